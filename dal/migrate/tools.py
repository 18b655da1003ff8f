"""Everything backfill, verify and repair need, over connections the composition root built.

:class:`MigrationTools` holds a MySQL engine, a DynamoDB client, the contract,
the plans and the stage flags of one run. The connections are built by the
container (:mod:`dal.container`, provider ``migration_tools``), the one place
that constructs concrete adapters; :func:`open_tools` is the short way to get
tools from settings and dispose of them when the ``with`` block ends::

    with open_tools(load_settings()) as tools:
        summary = tools.backfill().run(BackfillOptions(workers=8))
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Table

from dal.contract import Contract
from dal.migrate.backfill import Backfill, Writers
from dal.migrate.checkpoints import CheckpointStore, target_identity
from dal.migrate.plan import SourcePlan
from dal.migrate.progress import ProgressReporter
from dal.migrate.repair import Repairer
from dal.migrate.replay import Replayer
from dal.migrate.verify import Verifier
from dal.migrate.writer import BatchWriter, ConditionalWriter
from dal.routing.flags import FlagSource
from dal.routing.redaction import DEFAULT_SENSITIVE
from dal.routing.stages import Stage
from dal.settings import Settings
from dal.telemetry import Telemetry

if TYPE_CHECKING:
    from adapters.dynamodb.client import DynamoClient
    from interfaces import IdAllocator

__all__ = ["MigrationTools", "open_tools"]


@dataclass
class MigrationTools:
    """The connections, contract, plans and flags of one run."""

    engine: Engine
    client: DynamoClient
    contract: Contract
    plans: Mapping[str, SourcePlan]
    tables: Mapping[str, Table]
    flags: FlagSource
    sensitive: tuple[str, ...] = DEFAULT_SENSITIVE
    """Fields whose values are redacted in findings (every field a declaration marks)."""
    table_prefix: str = ""
    """The prefix of the DynamoDB table names (part of a checkpoint's target identity)."""
    ids: Callable[[], IdAllocator] | None = None
    """The layer's id allocator (built on first use), for rows a repair writes into MySQL
    whose items hold no id; None lets the database pick."""
    telemetry: Telemetry | None = None
    """Where progress (``dal.migration.rows``) and batch spans go; None: the global
    OpenTelemetry providers."""

    def stage_of(self, entity: str) -> Stage:
        """The entity's stage now (``off`` unless the flags say otherwise)."""
        return self.flags.snapshot().stage_for(entity, entity)

    def backfill(self, progress: ProgressReporter | None = None) -> Backfill:
        """A backfill over these connections."""
        writers = Writers(ConditionalWriter(self.client), BatchWriter(self.client), self.stage_of)
        checkpoints = CheckpointStore(self.engine)
        return Backfill(
            self.engine,
            writers,
            self.plans,
            self.tables,
            checkpoints,
            progress,
            identify=self.target_identity,
            telemetry=self.telemetry,
            on_new_pass=self._record_log_position,
        )

    def _record_log_position(self, plan: SourcePlan) -> None:
        """Where the binary log stands as ``plan``'s pass begins (for ``dal cdc mysql``)."""
        from dal.cdc.handover import record_backfill_start

        record_backfill_start(self.engine, plan.name)

    def target_identity(self, plan: SourcePlan) -> str:
        """The identity of the DynamoDB tables ``plan``'s items go to, as they exist now.

        One DescribeTable per table; a missing table raises
        :class:`~adapters.dynamodb.errors.MissingTable`.
        """

        def describe(name: str) -> dict[str, Any]:
            table: dict[str, Any] = self.client.call("DescribeTable", {"TableName": name})["Table"]
            return table

        return target_identity(describe, plan.table_names, self.table_prefix)

    def verifier(self, progress: ProgressReporter | None = None) -> Verifier:
        """A verifier over these connections."""
        return Verifier(self.engine, self.client, self.plans, self.tables, progress, self.telemetry)

    def repairer(
        self, progress: ProgressReporter | None = None, verifier: Verifier | None = None
    ) -> Repairer:
        """A repairer over these connections, directed by the stage flags.

        ``verifier`` verifies before and after the repair (default: :meth:`verifier`).
        """
        return Repairer(
            self.engine,
            self.client,
            verifier or self.verifier(progress),
            self.tables,
            self.stage_of,
            self.sensitive,
            self._allocate if self.ids is not None else None,
            self.telemetry,
        )

    def replayer(self, progress: ProgressReporter | None = None) -> Replayer:
        """Replays repair log entries by their own intent (``dal repair --from-log``)."""
        repairer = self.repairer(progress)
        return Replayer(repairer, repairer.verifier, self.sensitive)

    def _allocate(self, sequence: str) -> int:
        assert self.ids is not None
        return self.ids().allocate(sequence)


@contextmanager
def open_tools(
    settings: Settings, *, workers: int = 4, contract: Path | None = None
) -> Iterator[MigrationTools]:
    """Tools over the settings' MySQL database, DynamoDB endpoint, contract and flags.

    The container builds them (connection pools sized for ``workers`` threads)
    and disposes of them when the block ends. Raises ContractError for a bad
    contract and FlagsError for a bad flags file before anything is connected.
    """
    from dal.container import build_container  # the composition root imports this module

    if contract is not None:
        settings = settings.model_copy(update={"contract": contract})
    container = build_container(settings)
    container.migration_workers.override(workers)
    try:
        yield container.migration_tools()
    finally:
        container.shutdown_resources()
