"""The context that work off the request path runs in: the caller's telemetry, nothing else.

Shadow reads, comparisons and their timeouts run on the router's worker
threads. They must be linked to the call that caused them (its span, its
correlation id), but they must not see anything that binds the caller's
thread to a transaction: the routed unit of work, the MySQL adapter's active
session, a deadline, the answer of a mirrored write, a replay scope. A
secondary read that found the caller's session in its context would run on
the caller's connection, from another thread, inside the caller's uncommitted
transaction.

:func:`work_context` therefore builds a *fresh* :class:`contextvars.Context`
that holds only what is carried on purpose: the OpenTelemetry context (current
span, baggage), the correlation id, and any variable an application adds with
:func:`carry` (a logging context, say). Everything else starts at its default.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any

from opentelemetry import context as otel_context

from dal.telemetry.correlation import current_correlation_id, enter_correlation

__all__ = ["carried", "carry", "work_context"]

_carried: list[contextvars.ContextVar[Any]] = []
_carried_lock = threading.Lock()


def carry(variable: contextvars.ContextVar[Any]) -> None:
    """Also copy ``variable`` from the caller into the work it hands off.

    Only for variables that describe the call (a request id, a logging context);
    never for one that binds a session, a connection or a transaction.
    """
    with _carried_lock:
        if variable not in _carried:
            _carried.append(variable)


def carried() -> tuple[contextvars.ContextVar[Any], ...]:
    """The variables added with :func:`carry`, in the order they were added."""
    with _carried_lock:
        return tuple(_carried)


def work_context() -> contextvars.Context:
    """A new context with the current OpenTelemetry context, correlation id and carried vars."""
    telemetry = otel_context.get_current()
    correlation_id = current_correlation_id()
    values = [(variable, variable.get(_MISSING)) for variable in carried()]
    fresh = contextvars.Context()
    fresh.run(_enter, telemetry, correlation_id, values)
    return fresh


_MISSING: Any = object()


def _enter(
    telemetry: otel_context.Context,
    correlation_id: str | None,
    values: list[tuple[contextvars.ContextVar[Any], Any]],
) -> None:
    """Set the carried values in the (fresh) current context; nothing is reset: it is discarded."""
    otel_context.attach(telemetry)
    if correlation_id is not None:
        enter_correlation(correlation_id)
    for variable, value in values:
        if value is not _MISSING:
            variable.set(value)
