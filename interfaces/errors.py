"""The error tree every adapter raises.

The same situation raises the same error from every adapter: a missing row and
a missing item are both :class:`NotFound`, a duplicate username is
:class:`AlreadyExists` whether MySQL's unique index or a DynamoDB guard item
caught it. Adapters translate their backend's errors at their boundary with
``raise ... from original`` so the driver's error stays available as
``__cause__``.

::

    DalError
    ├── NotFound
    ├── AlreadyExists
    ├── ConcurrencyConflict
    ├── ValidationFailed
    │   ├── InvalidPageToken
    │   └── UnstorableValue
    ├── RuleViolation
    │   └── ReferenceConflict
    ├── AccessDenied
    ├── NoUnitOfWork
    └── Retryable
        ├── Throttled
        └── BackendUnavailable
            └── DeadlineExceeded
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AccessDenied",
    "AlreadyExists",
    "BackendUnavailable",
    "ConcurrencyConflict",
    "DalError",
    "DeadlineExceeded",
    "InvalidPageToken",
    "NoUnitOfWork",
    "NotFound",
    "ReferenceConflict",
    "Retryable",
    "RuleViolation",
    "Throttled",
    "UnstorableValue",
    "ValidationFailed",
]


class DalError(Exception):
    """Root of every error the layer raises on purpose."""


class NotFound(DalError):
    """The entity with the given key does not exist."""

    def __init__(self, entity: str, key: Any) -> None:
        super().__init__(f"{entity} {key!r} not found")
        self.entity = entity
        self.key = key


class AlreadyExists(DalError):
    """A create or update would duplicate a unique value (a key, a username, an email...)."""

    def __init__(self, entity: str, field: str, value: Any) -> None:
        super().__init__(f"{entity} with {field}={value!r} already exists")
        self.entity = entity
        self.field = field
        self.value = value


class ConcurrencyConflict(DalError):
    """The entity changed since it was read: the update was based on a stale version."""

    def __init__(self, entity: str, key: Any, expected_version: int | None = None) -> None:
        detail = f" (expected version {expected_version})" if expected_version is not None else ""
        super().__init__(f"{entity} {key!r} was changed concurrently{detail}")
        self.entity = entity
        self.key = key
        self.expected_version = expected_version


class ValidationFailed(DalError):
    """An argument is invalid; ``field`` names it when there is one to name."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


class InvalidPageToken(ValidationFailed):
    """A page token was not produced by this listing (or was tampered with)."""

    def __init__(self, message: str = "page token is not valid for this listing") -> None:
        super().__init__(message, field="page_token")


class UnstorableValue(ValidationFailed):
    """A value the backend cannot store (too many digits, too large, an empty set...).

    Raised before anything is written, so nothing is half-stored.
    """


class RuleViolation(DalError):
    """A business rule refuses the change; nothing was changed.

    Applications subclass it for their own rules (the reference store's
    rule that stock never goes below zero, for example).
    """


class ReferenceConflict(RuleViolation):
    """The entity is still referenced (a project with tickets, a label still in use...)."""

    def __init__(self, entity: str, key: Any, referenced_by: str) -> None:
        super().__init__(f"{entity} {key!r} is still referenced by {referenced_by}")
        self.entity = entity
        self.key = key
        self.referenced_by = referenced_by


class AccessDenied(DalError):
    """The backend refused the credentials or the permission; never retried."""


class NoUnitOfWork(DalError):
    """A repository that needs the caller's unit of work was called outside of one."""


class Retryable(DalError):
    """A transient failure: the same call may succeed later."""


class Throttled(Retryable):
    """The backend throttled the request (provisioned throughput, lock wait, contention)."""

    attempts: int = 1
    """How many times the work was tried before this error reached the caller
    (:func:`~interfaces.retry.run_in_unit_of_work` and the SQL adapter's own
    transactions set it when they give up)."""


class BackendUnavailable(Retryable):
    """The backend could not be reached or answered with a server error."""


class DeadlineExceeded(BackendUnavailable):
    """The backend did not answer before the caller's deadline (see :mod:`interfaces.deadlines`).

    Whether a write sent before the deadline was applied is unknown.
    """
