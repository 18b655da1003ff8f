"""``dal cdc mysql``: the binary log into DynamoDB, batch by batch, checkpointed after each.

The loop reads committed transactions (:class:`~dal.cdc.binlog.BinlogReader`) and
gathers them into a batch (up to ``batch_rows`` row changes or ``batch_seconds``).
For the entities whose stage carries changes from MySQL (:mod:`dal.cdc.directions`,
read at every batch as the router reads the flags), the changed rows become items
(:mod:`dal.cdc.items`, the rows a foreign key changed too, :mod:`dal.cdc.cascades`),
which are applied under version guards (:mod:`dal.cdc.dynamo_apply`). Then the
position after the batch's last commit is saved (``dal_cdc_positions``, name
``mysql``): a restart resumes exactly there, and repeats at most the batch that was
being applied, which the guards make harmless. Failing changes are recorded
(:mod:`dal.cdc.failures`); the position moves on.

The first run starts where the log ends now, or with ``from_backfill`` where the
earliest backfill pass started (the backfill records it), so that nothing written
while the backfill copied is missed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Table

from adapters.dynamodb.client import DynamoClient
from dal.cdc.binlog import (
    BinlogReader,
    RowChange,
    Transaction,
    check_server,
    current_position,
)
from dal.cdc.cascades import CascadeFinder
from dal.cdc.checkpoints import PositionStore
from dal.cdc.directions import Direction, direction_of
from dal.cdc.dynamo_apply import ApplyResult, DynamoApplier, entity_of
from dal.cdc.failures import FailureLog
from dal.cdc.items import ChangeSet, ItemMapper, Touched
from dal.cdc.metrics import CdcMetrics, MetricsSink
from dal.cdc.positions import BinlogPosition
from dal.migrate.plan import SourcePlan
from dal.migrate.tools import MigrationTools
from dal.routing.flags import FlagSource
from dal.telemetry import Telemetry, default_telemetry
from interfaces import DalError

__all__ = ["BACKFILL_PREFIX", "MYSQL_READER", "MysqlCdc", "MysqlCdcOptions", "NoBackfillPosition"]

log = logging.getLogger("dal.cdc")

MYSQL_READER = "mysql"
"""The name of the binary-log reader's row in ``dal_cdc_positions``."""

BACKFILL_PREFIX = "backfill:"
"""Rows ``backfill:<entity>``: where that entity's last backfill pass started in the log."""

_CASCADE_DEPTH = 8
_IDLE_SAVE = 2.0


class NoBackfillPosition(DalError):
    """``--from-backfill`` without a recorded backfill position."""


@dataclass(frozen=True)
class MysqlCdcOptions:
    """How ``dal cdc mysql`` runs."""

    from_backfill: bool = False
    server_id: int = 7_345_001
    batch_rows: int = 5_000
    batch_seconds: float = 0.1
    workers: int = 4


@dataclass
class _Batch:
    transactions: list[Transaction] = field(default_factory=list)
    opened: float = 0.0

    @property
    def rows(self) -> int:
        return sum(len(t.changes) for t in self.transactions)


class MysqlCdc:
    """Carries MySQL's changes into DynamoDB; see the module documentation."""

    def __init__(
        self,
        engine: Engine,
        client: DynamoClient,
        plans: Mapping[str, SourcePlan],
        tables: Mapping[str, Table],
        flags: FlagSource,
        failures: FailureLog,
        sinks: Sequence[MetricsSink] = (),
        telemetry: Telemetry | None = None,
    ) -> None:
        self._engine = engine
        self._telemetry = telemetry if telemetry is not None else default_telemetry()
        self._entities = {plan.table.name: plan.name for plan in plans.values()}
        self._plans = plans
        self._tables = tables
        self._flags = flags
        self._failures = failures
        self._sinks = sinks
        self._positions = PositionStore(engine)
        self._mapper = ItemMapper(engine, plans.values(), tables)
        self._cascades = CascadeFinder(client, plans.values())
        self._client = client
        self.metrics = CdcMetrics(Direction.MYSQL)
        self.position: BinlogPosition | None = None
        self.observer: Callable[[ChangeSet], None] | None = None
        """Called with each batch's changes once they are applied (benchmarks, tests)."""
        self._skipped: BinlogPosition | None = None

    @classmethod
    def over(
        cls,
        tools: MigrationTools,
        failures: FailureLog,
        sinks: Sequence[MetricsSink] = (),
    ) -> MysqlCdc:
        """A loop over the connections, plans, flags and telemetry of ``tools``."""
        return cls(
            tools.engine,
            tools.client,
            tools.plans,
            tools.tables,
            tools.flags,
            failures,
            sinks,
            tools.telemetry,
        )

    def start_position(self, from_backfill: bool) -> BinlogPosition:
        """Where to start: the saved position, else the backfill's, else the log's end."""
        stored = self._positions.load(MYSQL_READER)
        if stored is not None:
            return BinlogPosition.parse(stored.position)
        if from_backfill:
            recorded = self._positions.matching(BACKFILL_PREFIX)
            if not recorded:
                raise NoBackfillPosition(
                    "no backfill position is recorded: run `dal backfill` (on a server "
                    "with the binary log on) before `dal cdc mysql --from-backfill`"
                )
            return min(BinlogPosition.parse(row.position) for row in recorded)
        return current_position(self._engine)

    def run(self, options: MysqlCdcOptions, stop: threading.Event) -> None:
        """Follow the log until ``stop`` is set; the batch under way is finished first."""
        unwatch = self._telemetry.cdc.watch(self.metrics.reading)
        try:
            self._run(options, stop)
        finally:
            unwatch()

    def _run(self, options: MysqlCdcOptions, stop: threading.Event) -> None:
        check_server(self._engine)
        self.position = self.start_position(options.from_backfill)
        if self._positions.load(MYSQL_READER) is None:  # a crash before the first batch
            self._save(str(self.position))  # resumes here too
        log.info("change data capture from MySQL starts at %s", self.position)
        applier = DynamoApplier(self._client, options.workers)
        reader = BinlogReader(
            self._engine.url.render_as_string(hide_password=False),
            self._tables,
            self.position,
            server_id=options.server_id,
        )
        batch = _Batch()
        saved = time.monotonic()
        for transaction in reader.transactions():
            if transaction is not None and transaction.changes:
                if not batch.transactions:
                    batch.opened = time.monotonic()
                batch.transactions.append(transaction)
            elif transaction is not None:
                self._skipped = transaction.end  # no change of a contract table
            full = batch.rows >= options.batch_rows
            due = time.monotonic() - batch.opened >= options.batch_seconds
            if batch.transactions and (transaction is None or full or due or stop.is_set()):
                self._apply(batch.transactions, applier)
                batch, saved = _Batch(), time.monotonic()
            elif not batch.transactions and time.monotonic() - saved > _IDLE_SAVE:
                self._save_idle()
                saved = time.monotonic()
            if stop.is_set() and not batch.transactions:
                self._save_idle()
                break

    def _save_idle(self) -> None:
        """Save the position past transactions without contract changes (at most every few
        seconds: the save is itself such a transaction)."""
        if self._skipped is not None and (self.position is None or self._skipped > self.position):
            self.position = self._skipped
            self._save(str(self.position), 0, 0)

    def _save(self, position: str, applied: int = 0, lag_ms: int | None = None) -> None:
        self._positions.save(MYSQL_READER, position, applied, lag_ms)
        self.metrics.saved()

    def _apply(self, transactions: list[Transaction], applier: DynamoApplier) -> None:
        telemetry = self._telemetry.cdc
        span = telemetry.start_batch(Direction.MYSQL)
        end = transactions[-1].end
        rows = [c for t in transactions for c in t.changes]
        changes = self._changes(rows)
        result = applier.apply(changes, end.stamp) if changes.puts or changes.deletes else None
        self._record_failures(changes, result, end)
        applied = 0 if result is None else result.applied
        lag = max(0.0, time.time() - transactions[-1].written_at)
        self._save(str(end), applied, int(lag * 1000))
        counts = self._by_entity(rows, changes, result)
        telemetry.changes(Direction.MYSQL, counts)
        telemetry.batch_lag(Direction.MYSQL, lag)
        telemetry.end_batch(span, counts)
        self.position = end
        if self.observer is not None:
            self.observer(changes)
        self.metrics.batch(_counts(changes, result, len(transactions)), transactions[-1].written_at)
        snapshot = self.metrics.snapshot()
        for sink in self._sinks:
            sink(snapshot)

    def _changes(self, rows: list[RowChange]) -> ChangeSet:
        def wanted(entity: str) -> bool:
            return direction_of(self._flags, entity) is Direction.MYSQL

        touched = self._mapper.touched(rows, wanted)
        changes, gone = self._mapper.map(touched)
        seen = {name: set(t.before) for name, t in touched.items()}
        for _ in range(_CASCADE_DEPTH):
            children = _unseen(self._cascades.children(gone, self._plans), seen, wanted)
            if not children:
                break
            more, gone = self._mapper.map(children)
            changes.puts += more.puts
            changes.deletes += more.deletes
            changes.failures += more.failures
            changes.rows += more.rows
        return changes

    def _by_entity(
        self, rows: list[RowChange], changes: ChangeSet, result: ApplyResult | None
    ) -> Counter[tuple[str, str]]:
        """Row changes read, and items by result, per ``(entity, result)``."""
        counts: Counter[tuple[str, str]] = Counter()
        for row in rows:
            entity = self._entities.get(row.table)
            if entity is not None:
                counts[entity, "read"] += 1
        for failure in changes.failures:
            counts[failure.entity, "failed"] += 1
        if result is not None:
            counts.update(result.by_entity)
        return counts

    def _record_failures(
        self, changes: ChangeSet, result: ApplyResult | None, end: BinlogPosition
    ) -> None:
        for failure in changes.failures:
            self._failures.failed(failure.entity, str(end), failure.row, failure.reason)
        for item, reason in () if result is None else result.failed:
            self._failures.failed(entity_of(item), str(end), item.row, reason)


def _unseen(
    found: dict[str, Touched], seen: dict[str, set[Any]], wanted: Callable[[str], bool]
) -> dict[str, Touched]:
    """The rows of ``found`` not handled yet in this batch, of the entities ``wanted``."""
    fresh: dict[str, Touched] = {}
    for name, touched in found.items():
        if not wanted(name):
            continue
        keys = seen.setdefault(name, set())
        new = {key: images for key, images in touched.before.items() if key not in keys}
        if new:
            keys.update(new)
            fresh[name] = Touched(touched.plan, new)
    return fresh


def _counts(changes: ChangeSet, result: ApplyResult | None, transactions: int) -> dict[str, int]:
    counts = {
        "transactions": transactions,
        "rows": changes.rows,
        "failed": len(changes.failures),
    }
    if result is not None:
        counts.update(
            applied=result.applied,
            already=result.already,
            stale=result.stale,
            failed=counts["failed"] + len(result.failed),
        )
    return counts
