"""Changes that could not be mapped or applied: recorded with their position and key.

A failing change is never skipped silently: it is logged at ERROR and written as an
``error`` record to the layer's records (``DAL_RECORDS``), naming the direction, the
entity, the source position (a binary-log position, or a stream shard and sequence
number), the row's key and the reason. Keys and reasons pass through the layer's
redaction: sensitive values become stable tokens and values the drivers quote are
scrubbed.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from dal.routing.recording import ErrorRecord, Origin, Recorder
from dal.routing.redaction import DEFAULT_SENSITIVE, Redactor, scrub_message

__all__ = ["ChangeFailed", "FailureLog"]

log = logging.getLogger("dal.cdc")


class ChangeFailed(Exception):
    """A change that could not be mapped or applied (kept in the record, never raised)."""


class FailureLog:
    """Records failing changes; ``origin`` is the side the change was bound for."""

    def __init__(
        self,
        recorder: Recorder | None,
        origin: Origin,
        sensitive: Collection[str] = DEFAULT_SENSITIVE,
    ) -> None:
        self._recorder = recorder
        self._origin = origin
        self._redactor = Redactor(sensitive)
        self.count = 0

    def failed(
        self,
        entity: str,
        position: str,
        key: tuple[tuple[str, ...], tuple[Any, ...]],
        reason: str,
    ) -> None:
        """Record the change of ``entity``'s row ``key`` at ``position`` that failed."""
        columns, values = key
        shown = self._redactor.redact(dict(zip(columns, values, strict=False)))
        message = f"change at {position} of {entity} {shown}: {scrub_message(reason)}"
        self.count += 1
        log.error("change data capture: %s", message)
        if self._recorder is not None:
            self._recorder.record(
                ErrorRecord(self._origin, entity, "cdc", None, ChangeFailed(message), message)
            )
