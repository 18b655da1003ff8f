"""The correlation id: one id shared by everything one routed call leaves behind.

Its record, the log lines the layer writes about it and its repair-log entry
carry the same id. It is the call's trace id (32 hex digits) when an
OpenTelemetry SDK records the call's span; without one there is no valid trace
id, and the router makes an id of the same shape for the call itself.

The id lives in a context variable: work handed to the router's shadow pool
runs in a context that carries the caller's id and span
(:func:`dal.routing.workcontext.work_context`).
:class:`CorrelationFilter` puts the id on every log record as
``correlation_id`` for a formatter to show.
"""

from __future__ import annotations

import logging
import random
from contextvars import ContextVar, Token

__all__ = [
    "CorrelationFilter",
    "correlation_fields",
    "current_correlation_id",
    "enter_correlation",
    "leave_correlation",
    "new_correlation_id",
]

_CURRENT: ContextVar[str | None] = ContextVar("dal_correlation_id", default=None)


def new_correlation_id() -> str:
    """A fresh id shaped like a trace id: 32 lowercase hex digits, not all zero.

    From :mod:`random` (no system call per id; the module reseeds a forked child, so
    forked workers do not repeat each other's ids). An id names a call, it guards nothing.
    """
    return f"{random.getrandbits(128) | 1:032x}"


def current_correlation_id() -> str | None:
    """The id of the routed call the current context is in, if any."""
    return _CURRENT.get()


def enter_correlation(correlation_id: str) -> Token[str | None]:
    """Make ``correlation_id`` current; pass the token to :func:`leave_correlation`."""
    return _CURRENT.set(correlation_id)


def leave_correlation(token: Token[str | None]) -> None:
    """Restore the id that was current before :func:`enter_correlation`."""
    _CURRENT.reset(token)


def correlation_fields() -> dict[str, str | None]:
    """``{"correlation_id": ...}`` for the ``extra`` of a log call."""
    return {"correlation_id": _CURRENT.get()}


class CorrelationFilter(logging.Filter):
    """Sets ``record.correlation_id`` (None outside a routed call) unless the call set it.

    Add it to a handler, then use ``%(correlation_id)s`` in its format.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the current correlation id to ``record``; never drops it."""
        if not hasattr(record, "correlation_id"):
            record.correlation_id = _CURRENT.get()
        return True
