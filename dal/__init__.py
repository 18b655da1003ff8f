"""The machinery of the dual-database layer: contract, routing, comparison, tools, CLI.

The migration router is importable from here::

    from dal import MemoryRecorder, Router, Stage, StaticFlags

    router = Router(flags=StaticFlags({"tickets": Stage.SHADOW}), recorder=MemoryRecorder())
    tickets = router.route("tickets", TicketRepository, old=sql_tickets, new=dynamo_tickets)
"""

from dal.routing import (
    Category,
    CompareSettings,
    Comparison,
    Difference,
    DropRecord,
    EnvFlags,
    ErrorRecord,
    FileFlags,
    FlagsError,
    FlagSource,
    JsonlRecorder,
    KnownKeys,
    LoggingRecorder,
    MemoryRecorder,
    MetricsRecord,
    MultiRecorder,
    Recorder,
    RepairEntry,
    RepairLog,
    ReplayingClock,
    ReplayingIdAllocator,
    Router,
    ShadowSettings,
    Stage,
    StaticFlags,
)

__all__ = [
    "Category",
    "CompareSettings",
    "Comparison",
    "Difference",
    "DropRecord",
    "EnvFlags",
    "ErrorRecord",
    "FileFlags",
    "FlagSource",
    "FlagsError",
    "JsonlRecorder",
    "KnownKeys",
    "LoggingRecorder",
    "MemoryRecorder",
    "MetricsRecord",
    "MultiRecorder",
    "Recorder",
    "RepairEntry",
    "RepairLog",
    "ReplayingClock",
    "ReplayingIdAllocator",
    "Router",
    "ShadowSettings",
    "Stage",
    "StaticFlags",
]
