"""The migration router: stages, flags, shadow reads, comparison, recording, repair log.

See ``docs/router.md``. The names below are the public API; the modules behind
them are private to the package.
"""

from dal.routing.compare import Comparator, CompareSettings, Outcome, Verdict
from dal.routing.flags import (
    EnvFlags,
    FileFlags,
    FlagsError,
    FlagSnapshot,
    FlagSource,
    KnownKeys,
    StaticFlags,
    parse_flags,
)
from dal.routing.metrics import Metrics
from dal.routing.processes import ProcessPoolState, ShadowFactory, ShadowParts
from dal.routing.recording import (
    Category,
    Comparison,
    Difference,
    DropRecord,
    ErrorRecord,
    JsonlRecorder,
    LoggingRecorder,
    MemoryRecorder,
    MetricsRecord,
    MultiRecorder,
    Record,
    Recorder,
    to_json,
)
from dal.routing.redaction import Redactor
from dal.routing.registry import DeferredRepositories, RoutedRepositories
from dal.routing.repairlog import RepairEntry, RepairLog, RepairLogError
from dal.routing.replay import ReplayingClock, ReplayingIdAllocator, replay_scope
from dal.routing.router import Router
from dal.routing.shadow import CircuitBreaker, PoolState, ShadowSettings
from dal.routing.stages import PLANS, Plan, Side, Stage
from dal.routing.workcontext import carry

__all__ = [
    "PLANS",
    "Category",
    "CircuitBreaker",
    "Comparator",
    "CompareSettings",
    "Comparison",
    "DeferredRepositories",
    "Difference",
    "DropRecord",
    "EnvFlags",
    "ErrorRecord",
    "FileFlags",
    "FlagSnapshot",
    "FlagSource",
    "FlagsError",
    "JsonlRecorder",
    "KnownKeys",
    "LoggingRecorder",
    "MemoryRecorder",
    "Metrics",
    "MetricsRecord",
    "MultiRecorder",
    "Outcome",
    "Plan",
    "PoolState",
    "ProcessPoolState",
    "Record",
    "Recorder",
    "Redactor",
    "RepairEntry",
    "RepairLog",
    "RepairLogError",
    "ReplayingClock",
    "ReplayingIdAllocator",
    "RoutedRepositories",
    "Router",
    "ShadowFactory",
    "ShadowParts",
    "ShadowSettings",
    "Side",
    "Stage",
    "StaticFlags",
    "Verdict",
    "carry",
    "parse_flags",
    "replay_scope",
    "to_json",
]
