"""Everything backfill, verify and repair need, built from the layer's settings.

:func:`open_tools` connects to MySQL (the store's engine) and DynamoDB (the
adapter's client, whose retries and error translation apply), loads the
contract, builds the plans, and reads the stage flags; it disposes of the
connections when the ``with`` block ends::

    with open_tools(load_settings()) as tools:
        summary = tools.backfill().run(BackfillOptions(workers=8))
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, Table

from adapters.dynamodb.client import DynamoClient, connect
from adapters.mysql import create_engine
from adapters.mysql.tables import metadata
from dal.contract import Contract, load_contract
from dal.migrate.backfill import Backfill, Writers
from dal.migrate.checkpoints import CheckpointStore
from dal.migrate.plan import SourcePlan, build_plans
from dal.migrate.progress import ProgressReporter
from dal.migrate.repair import Repairer
from dal.migrate.verify import Verifier
from dal.migrate.writer import BatchWriter, ConditionalWriter
from dal.routing.flags import FileFlags, FlagSource, StaticFlags
from dal.routing.stages import Stage
from dal.settings import Settings

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

    def stage_of(self, entity: str) -> Stage:
        """The entity's stage now (``off`` unless the flags say otherwise)."""
        return self.flags.snapshot().stage_for(entity, entity)

    def backfill(self, progress: ProgressReporter | None = None) -> Backfill:
        """A backfill over these connections."""
        writers = Writers(ConditionalWriter(self.client), BatchWriter(self.client), self.stage_of)
        checkpoints = CheckpointStore(self.engine)
        return Backfill(self.engine, writers, self.plans, self.tables, checkpoints, progress)

    def verifier(self, progress: ProgressReporter | None = None) -> Verifier:
        """A verifier over these connections."""
        return Verifier(self.engine, self.client, self.plans, self.tables, progress)

    def repairer(self, progress: ProgressReporter | None = None) -> Repairer:
        """A repairer over these connections, directed by the stage flags."""
        return Repairer(
            self.engine, self.client, self.verifier(progress), self.tables, self.stage_of
        )


@contextmanager
def open_tools(
    settings: Settings, *, workers: int = 4, contract: Path | None = None
) -> Iterator[MigrationTools]:
    """Tools over the settings' MySQL database, DynamoDB endpoint, contract and flags.

    Raises ContractError for a bad contract and FlagsError for a bad flags file
    before anything is connected.
    """
    loaded = load_contract(contract or settings.contract)
    flags: FlagSource = FileFlags(settings.flags) if settings.flags else StaticFlags({})
    tables = dict(metadata.tables)
    plans = build_plans(loaded, tables, settings.table_prefix)
    pool = {} if settings.mysql_url.startswith("sqlite") else {"pool_size": workers + 2}
    engine = create_engine(settings.mysql_url, **pool)
    connection = connect(
        settings.dynamodb_endpoint,
        settings.dynamodb_region,
        read_timeout=30.0,
        max_pool_connections=max(10, workers * 2),
    )
    client = DynamoClient(connection)
    _ = connection.client  # create the botocore client once, before worker threads share it
    try:
        yield MigrationTools(engine, client, loaded, plans, tables, flags)
    finally:
        engine.dispose()
