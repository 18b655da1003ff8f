"""The one boundary where PynamoDB/botocore errors become the layer's error tree.

:func:`translate` maps a backend exception to a :class:`~interfaces.DalError`
(the caller raises it ``from`` the original). Two backend outcomes carry
information the repositories need and are therefore surfaced as internal
signals instead: a failed condition of a single-item write
(:class:`ConditionFailed`, with the item as it was) and a cancelled transaction
(:class:`TransactionCancelled`, with one reason per action). Repositories turn
those into the domain error of the condition that failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import (
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from interfaces import (
    AccessDenied,
    BackendUnavailable,
    DalError,
    Throttled,
    UnstorableValue,
    ValidationFailed,
)

__all__ = [
    "CancelReason",
    "ConditionFailed",
    "MissingTable",
    "TransactionCancelled",
    "error_code",
    "is_transient",
    "translate",
]

Item = dict[str, Any]

_THROTTLING = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "Throttling",
        "ThrottlingError",
    }
)
_ACCESS = frozenset(
    {
        "AccessDeniedException",
        "UnrecognizedClientException",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "MissingAuthenticationTokenException",
        "IncompleteSignatureException",
    }
)
_UNAVAILABLE = frozenset(
    {"InternalServerError", "ServiceUnavailable", "InternalFailure", "ServiceUnavailableException"}
)
_TRANSIENT_REASONS = frozenset({"TransactionConflict", "ThrottlingError"}) | _THROTTLING


class MissingTable(BackendUnavailable):
    """A table the adapter needs does not exist (or is still being created)."""

    def __init__(self, table: str) -> None:
        super().__init__(f"DynamoDB table {table!r} does not exist; create it first")
        self.table = table


class ConditionFailed(Exception):
    """Internal: the condition of a single-item write failed; ``old_item`` is the stored item."""

    def __init__(self, old_item: Item | None) -> None:
        super().__init__("conditional check failed")
        self.old_item = old_item


@dataclass(frozen=True)
class CancelReason:
    """Why one action of a cancelled transaction failed (``code`` is ``"None"`` if it did not)."""

    code: str
    message: str | None
    old_item: Item | None


class TransactionCancelled(Exception):
    """Internal: a TransactWriteItems call was cancelled; one reason per action, in order."""

    def __init__(self, reasons: list[CancelReason]) -> None:
        codes = ", ".join(r.code for r in reasons)
        super().__init__(f"transaction cancelled: {codes}")
        self.reasons = reasons

    def failed_condition(self) -> int | None:
        """Index of the first action whose condition failed, or None."""
        for index, reason in enumerate(self.reasons):
            if reason.code == "ConditionalCheckFailed":
                return index
        return None


def error_code(exc: BaseException) -> str | None:
    """The DynamoDB error code of a botocore ClientError, else None."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "")) or None
    return None


def http_status(exc: ClientError) -> int:
    """The HTTP status of a botocore error (0 when there was no answer)."""
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def cancel_reasons(exc: ClientError) -> list[CancelReason]:
    """The cancellation reasons of a TransactionCanceledException, one per action."""
    raw = getattr(exc, "cancellation_reasons", None)
    if raw is not None:  # PynamoDB's VerboseClientError: None stands for "no failure"
        return [
            CancelReason("None", None, None)
            if r is None
            else CancelReason(r.code, r.message, r.raw_item)
            for r in raw
        ]
    reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons", [])  # type: ignore[assignment]
    return [
        CancelReason(str(r.get("Code", "None")), r.get("Message"), r.get("Item")) for r in reasons
    ]


def is_transient(exc: BaseException) -> bool:
    """Whether the same request may succeed if sent again: throttling, 5xx, conflicts.

    A read timeout is not: a server silent for the whole read timeout is hung, and
    waiting for it once more would only double the caller's wait (the breakers and the
    repair log deal with a hung secondary; a hung primary's caller hears of it at once).
    A connection closed mid-request is retried.
    """
    if isinstance(exc, ReadTimeoutError):
        return False
    if isinstance(exc, HTTPClientError):
        return True
    if isinstance(exc, TransactionCancelled):
        codes = {r.code for r in exc.reasons} - {"None"}
        return bool(codes) and codes <= _TRANSIENT_REASONS
    if not isinstance(exc, ClientError):
        return False
    code = error_code(exc) or ""
    return (
        code in _THROTTLING
        or code in _UNAVAILABLE
        or code == "TransactionInProgressException"
        or http_status(exc) >= 500
    )


def translate(exc: BaseException, table: str | None = None) -> DalError:
    """The layer's error for a backend exception (raise it ``from exc``).

    Throttling -> Throttled; 5xx and connection errors -> BackendUnavailable;
    credential and permission errors -> AccessDenied; validation errors ->
    ValidationFailed (UnstorableValue when DynamoDB refused a value); a missing
    table -> MissingTable naming it. A cancelled transaction whose reasons are
    all transient is Throttled; anything else is a BackendUnavailable that
    names the code.
    """
    if isinstance(exc, DalError):
        return exc
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return AccessDenied(f"DynamoDB credentials are missing: {exc}")
    if isinstance(exc, HTTPClientError):
        return BackendUnavailable(f"DynamoDB could not be reached: {exc}")
    if isinstance(exc, TransactionCancelled):
        return _translate_cancelled(exc)
    if not isinstance(exc, ClientError):
        return BackendUnavailable(f"unexpected DynamoDB failure: {exc!r}")
    return _translate_client_error(exc, table)


def _translate_client_error(exc: ClientError, table: str | None) -> DalError:
    code = error_code(exc) or ""
    message = str(exc.response.get("Error", {}).get("Message", ""))
    if code in _THROTTLING:
        return Throttled(f"DynamoDB throttled the request ({code}): {message}")
    if code in _ACCESS:
        return AccessDenied(f"DynamoDB refused the request ({code}): {message}")
    if code == "ResourceNotFoundException":
        return MissingTable(table or _table_from_message(message))
    if code == "ValidationException":
        return _validation(message)
    if code in _UNAVAILABLE or http_status(exc) >= 500:
        return BackendUnavailable(f"DynamoDB is unavailable ({code}): {message}")
    return BackendUnavailable(f"DynamoDB error {code}: {message}")


def _translate_cancelled(exc: TransactionCancelled) -> DalError:
    codes = sorted({r.code for r in exc.reasons} - {"None"})
    if is_transient(exc):
        return Throttled(f"transaction kept conflicting: {', '.join(codes)}")
    for reason in exc.reasons:
        if reason.code == "ValidationError":
            return _validation(reason.message or "invalid value")
    return BackendUnavailable(f"transaction cancelled: {', '.join(codes)}")


def _validation(message: str) -> ValidationFailed:
    lowered = message.lower()
    unstorable = (
        "item size",
        "size has exceeded",
        "too large",
        "number overflow",
        "underflow",
        "precision",
        "empty string",
        "empty set",
        "key size",
    )
    if any(word in lowered for word in unstorable):
        return UnstorableValue(f"DynamoDB cannot store a value: {message}")
    return ValidationFailed(f"DynamoDB refused the request: {message}")


def _table_from_message(message: str) -> str:
    """The request named no table (a transaction): say what DynamoDB said instead."""
    return f"(of this request: {message})" if message else "(unknown)"
