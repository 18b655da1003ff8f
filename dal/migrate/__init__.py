"""Moving the existing data: backfill, verify and repair, driven by the migration contract.

Entry points::

    from dal.migrate import BackfillOptions, RepairOptions, VerifyOptions, open_tools
    from dal.settings import load_settings

    with open_tools(load_settings()) as tools:
        summary = tools.backfill().run(BackfillOptions(workers=8))
        chosen = list(tools.plans.values())
        report = tools.verifier().run(VerifyOptions(), chosen)
        repaired = tools.repairer().run(RepairOptions(), chosen)

The ``dal backfill``, ``dal verify`` and ``dal repair`` commands are these calls
behind a command line (``docs/backfill-verify-repair.md``).
"""

from dal.migrate.backfill import (
    MODES,
    Backfill,
    BackfillOptions,
    BackfillSummary,
    EntityResult,
    select_plans,
)
from dal.migrate.checkpoints import (
    CHECKPOINT_TABLE,
    Checkpoint,
    CheckpointStore,
    CheckpointTableMissing,
    SegmentId,
)
from dal.migrate.derive import DerivationError
from dal.migrate.plan import SourcePlan, build_entity_plans
from dal.migrate.repair import (
    MassDeleteRefused,
    Outcome,
    RepairAction,
    Repairer,
    RepairOptions,
    RepairReport,
)
from dal.migrate.replay import EntryOutcome, Replayer, ReplayOptions, ReplayReport
from dal.migrate.sql import ConditionError
from dal.migrate.tools import MigrationTools, open_tools
from dal.migrate.verify import Finding, Kind, Verifier, VerifyOptions, VerifyReport

__all__ = [
    "CHECKPOINT_TABLE",
    "MODES",
    "Backfill",
    "BackfillOptions",
    "BackfillSummary",
    "Checkpoint",
    "CheckpointStore",
    "CheckpointTableMissing",
    "ConditionError",
    "DerivationError",
    "EntityResult",
    "EntryOutcome",
    "Finding",
    "Kind",
    "MassDeleteRefused",
    "MigrationTools",
    "Outcome",
    "RepairAction",
    "RepairOptions",
    "RepairReport",
    "Repairer",
    "ReplayOptions",
    "ReplayReport",
    "Replayer",
    "SegmentId",
    "SourcePlan",
    "Verifier",
    "VerifyOptions",
    "VerifyReport",
    "build_entity_plans",
    "open_tools",
    "select_plans",
]
