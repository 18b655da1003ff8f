"""The stable contract application code depends on.

The generic repository Protocol and its registry, the entity declaration types,
the ``query``/``command`` markers, pages and tokens, the error tree, the clock,
the id allocator, :func:`run_in_unit_of_work` (a unit of work retried on
contention) and the deadline of backend calls. Imports nothing else of the project.
"""

from interfaces.deadlines import deadline, time_left
from interfaces.entities import EntitySpec, NamedQuery, OnDelete, Reference, Unique
from interfaces.errors import (
    AccessDenied,
    AlreadyExists,
    BackendUnavailable,
    ConcurrencyConflict,
    DalError,
    DeadlineExceeded,
    InvalidPageToken,
    NotFound,
    NoUnitOfWork,
    ReferenceConflict,
    Retryable,
    RuleViolation,
    Throttled,
    UnstorableValue,
    ValidationFailed,
)
from interfaces.markers import OperationKind, command, operation_kind, query
from interfaces.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page
from interfaces.repository import Repositories, Repository
from interfaces.retry import DEFAULT_ATTEMPTS, Backoff, run_in_unit_of_work
from interfaces.runtime import (
    Clock,
    IdAllocator,
    MemoryIdAllocator,
    SteppingClock,
    SystemClock,
    UnitOfWorkFactory,
    no_unit_of_work,
)
from interfaces.store import EntityStore
from interfaces.types import Money, Timestamp, as_utc, money, utc_now

__all__ = [
    "DEFAULT_ATTEMPTS",
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "AccessDenied",
    "AlreadyExists",
    "BackendUnavailable",
    "Backoff",
    "Clock",
    "ConcurrencyConflict",
    "DalError",
    "DeadlineExceeded",
    "EntitySpec",
    "EntityStore",
    "IdAllocator",
    "InvalidPageToken",
    "MemoryIdAllocator",
    "Money",
    "NamedQuery",
    "NoUnitOfWork",
    "NotFound",
    "OnDelete",
    "OperationKind",
    "Page",
    "Reference",
    "ReferenceConflict",
    "Repositories",
    "Repository",
    "Retryable",
    "RuleViolation",
    "SteppingClock",
    "SystemClock",
    "Throttled",
    "Timestamp",
    "Unique",
    "UnitOfWorkFactory",
    "UnstorableValue",
    "ValidationFailed",
    "as_utc",
    "command",
    "deadline",
    "money",
    "no_unit_of_work",
    "operation_kind",
    "query",
    "run_in_unit_of_work",
    "time_left",
    "utc_now",
]
