"""``dal cdc dynamodb``: DynamoDB Streams into MySQL, checkpointed per shard.

The loop polls every readable shard of the contract's tables
(:class:`~dal.cdc.streams.StreamReader`), applies each shard's records in order
(:class:`~dal.cdc.mysql_apply.MysqlApplier`) for the entities whose stage carries
changes from DynamoDB (``live``, ``rampdown``; read at every poll), then saves the
shard's position (``stream:<table>:<shard>`` in ``dal_cdc_positions``). A restart
repeats at most the records of the poll under way, which the version guard makes
harmless. Records of entities in other stages are passed over: the layer's own writes
carry them, and the stream is read on only for the entities it must carry.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence

from sqlalchemy import Engine, Table

from adapters.dynamodb.client import DynamoClient
from dal.cdc.checkpoints import PositionStore
from dal.cdc.directions import Direction, entities_in
from dal.cdc.failures import FailureLog
from dal.cdc.metrics import CdcMetrics, MetricsSink
from dal.cdc.mysql_apply import MysqlApplier
from dal.cdc.streams import Shard, StreamReader
from dal.migrate.plan import SourcePlan
from dal.migrate.tools import MigrationTools
from dal.routing.flags import FlagSource
from dal.telemetry import Telemetry, default_telemetry

__all__ = ["DYNAMODB_READER", "DynamoCdc"]

log = logging.getLogger("dal.cdc")

_IDLE = 0.5
_RESULTS = {"derived": "skipped", "other": "skipped"}
"""Outcomes counted under another result: a derived item follows from its row's, and an
entity in another stage is carried by the layer's own writes."""
_BEAT = 2.0

DYNAMODB_READER = "dynamodb"
"""The stream reader's own row in ``dal_cdc_positions`` (its shards have rows of their own)."""


class DynamoCdc:
    """Carries DynamoDB's changes into MySQL; see the module documentation."""

    def __init__(
        self,
        engine: Engine,
        client: DynamoClient,
        streams: object,
        plans: Mapping[str, SourcePlan],
        tables: Mapping[str, Table],
        flags: FlagSource,
        failures: FailureLog,
        sinks: Sequence[MetricsSink] = (),
        telemetry: Telemetry | None = None,
    ) -> None:
        positions = PositionStore(engine)
        self._telemetry = telemetry if telemetry is not None else default_telemetry()
        self._positions = positions
        names = sorted({t.table_name for plan in plans.values() for t in plan.targets})
        self._reader = StreamReader(client, streams, names, positions)
        self._applier = MysqlApplier(engine, plans.values(), tables)
        self._plans = plans
        self._flags = flags
        self._failures = failures
        self._sinks = sinks
        self.metrics = CdcMetrics(Direction.DYNAMODB)

    @classmethod
    def over(
        cls,
        tools: MigrationTools,
        streams: object,
        failures: FailureLog,
        sinks: Sequence[MetricsSink] = (),
    ) -> DynamoCdc:
        """A loop over the connections, plans, flags and telemetry of ``tools``."""
        return cls(
            tools.engine,
            tools.client,
            streams,
            tools.plans,
            tools.tables,
            tools.flags,
            failures,
            sinks,
            tools.telemetry,
        )

    def run(self, stop: threading.Event) -> None:
        """Poll and apply until ``stop`` is set; the poll under way is finished first."""
        unwatch = self._telemetry.cdc.watch(self.metrics.reading)
        try:
            self._run(stop)
        finally:
            unwatch()

    def _run(self, stop: threading.Event) -> None:
        for table in self._reader_tables():
            self._reader.stream_arn(table)  # every table has a stream, or stop now
        log.info("change data capture from DynamoDB streams starts")
        beat = 0.0
        while not stop.is_set():
            applied = self.poll_once()
            if time.monotonic() - beat >= _BEAT or applied:
                self._beat(applied)
                beat = time.monotonic()
            if not applied:
                stop.wait(_IDLE)

    def _beat(self, applied: int) -> None:
        """Save the reader's own row (``dynamodb``): alive, applied so far, last lag."""
        lag = self.metrics.last_lag
        self._positions.save(
            DYNAMODB_READER, "streams", applied, None if lag is None else int(lag * 1000)
        )
        self.metrics.saved()

    def _reader_tables(self) -> list[str]:
        return sorted({t.table_name for plan in self._plans.values() for t in plan.targets})

    def poll_once(self) -> int:
        """Read every readable shard once and apply what was read; the records applied."""
        wanted = set(entities_in(self._flags, list(self._plans), Direction.DYNAMODB))
        total = 0
        for shard in self._reader.poll():
            total += self._apply(shard, wanted)
            self._reader.commit(shard)
            self.metrics.saved()
        return total

    def _apply(self, shard: Shard, wanted: set[str]) -> int:
        if not shard.records:
            return 0
        telemetry = self._telemetry.cdc
        span = telemetry.start_batch(Direction.DYNAMODB)
        counts: Counter[str] = Counter()
        by_entity: Counter[tuple[str, str]] = Counter()
        for record in shard.records:
            outcome = self._applier.apply(record, wanted)
            counts[outcome.kind] += 1
            if outcome.entity:
                by_entity[outcome.entity, "read"] += 1
                by_entity[outcome.entity, _RESULTS.get(outcome.kind, outcome.kind)] += 1
            if outcome.kind == "failed":
                position = f"{shard.table}:{shard.shard_id}:{record.sequence}"
                self._failures.failed(outcome.entity, position, outcome.key, outcome.reason)
        self.metrics.batch(dict(counts), shard.records[-1].created)
        telemetry.changes(Direction.DYNAMODB, by_entity)
        if self.metrics.last_lag is not None:
            telemetry.batch_lag(Direction.DYNAMODB, self.metrics.last_lag)
        telemetry.end_batch(span, by_entity)
        snapshot = self.metrics.snapshot()
        for sink in self._sinks:
            sink(snapshot)
        return len(shard.records)
