"""Reading DynamoDB Streams: every shard of every table, in lineage order, from checkpoints.

For each table the stream is found by ``DescribeTable`` (``LatestStreamArn``; a table
without one is refused, naming ``dal schema create --streams``). Its shards are
listed with ``DescribeStream`` (page by page). A shard is read only once its parent is
read to its end (or the parent is gone from the stream), so the changes of one item
are applied in the order they were made, across shard splits. A shard is read from
just after its checkpoint (``AFTER_SEQUENCE_NUMBER``) or, never read, from its oldest
record (``TRIM_HORIZON``). An iterator that expired (they live 15 minutes) is asked
for again from the checkpoint. A closed shard read to its end is marked ``done``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.dynamodb.client import DynamoClient, Item
from dal.aws import client_config, session_for
from dal.cdc.checkpoints import PositionStore
from interfaces import DalError

__all__ = [
    "DONE",
    "STREAM_PREFIX",
    "Shard",
    "StreamReader",
    "StreamRecord",
    "StreamsOff",
    "streams_client",
]

STREAM_PREFIX = "stream:"
"""Rows ``stream:<table>:<shard id>`` of ``dal_cdc_positions``."""

DONE = "done"
"""The position of a closed shard read to its end."""

_LIMIT = 1000


class StreamsOff(DalError):
    """A table of the contract has no stream to read."""


def streams_client(endpoint: str | None, region: str) -> Any:
    """A low-level DynamoDB Streams client (``endpoint`` None or empty: real AWS)."""
    return session_for(endpoint, region).client(
        "dynamodbstreams", endpoint_url=endpoint or None, config=client_config()
    )


@dataclass(frozen=True)
class StreamRecord:
    """One change of an item: ``INSERT``, ``MODIFY`` or ``REMOVE``, with its images."""

    table: str
    shard: str
    sequence: str
    event: str
    keys: Item
    new: Item | None
    old: Item | None
    created: float
    """When the change was made (seconds since the epoch)."""


@dataclass
class Shard:
    """A shard being read: where its records continue and whether it is read to its end."""

    table: str
    arn: str
    shard_id: str
    parent: str | None
    position: str | None = None
    iterator: str | None = None
    records: list[StreamRecord] = field(default_factory=list)
    ended: bool = False

    @property
    def name(self) -> str:
        """Its row in ``dal_cdc_positions``."""
        return f"{STREAM_PREFIX}{self.table}:{self.shard_id}"


class StreamReader:
    """Reads the streams of ``tables`` (physical names) shard by shard."""

    def __init__(
        self, client: DynamoClient, streams: Any, tables: list[str], positions: PositionStore
    ) -> None:
        self._client = client
        self._streams = streams
        self._tables = tables
        self._positions = positions
        self._open: dict[str, Shard] = {}

    def stream_arn(self, table: str) -> str:
        """The table's latest stream; StreamsOff when it has none."""
        described = self._client.call("DescribeTable", {"TableName": table})["Table"]
        arn = described.get("LatestStreamArn")
        enabled = described.get("StreamSpecification", {}).get("StreamEnabled")
        if not arn or not enabled:
            raise StreamsOff(
                f"the DynamoDB table {table} has no stream: create the tables with "
                "`dal schema create --streams` (or turn on a NEW_AND_OLD_IMAGES stream)"
            )
        return str(arn)

    def poll(self) -> list[Shard]:
        """The readable shards, each with the records read from it this time (maybe none)."""
        ready = [shard for table in self._tables for shard in self._readable(table)]
        for shard in ready:
            shard.records = self._read(shard)
        return ready

    def commit(self, shard: Shard) -> None:
        """Save ``shard``'s position after its records were applied."""
        if shard.records:
            shard.position = shard.records[-1].sequence
        if shard.ended:
            shard.position = DONE
            self._open.pop(shard.name, None)
        if shard.position is not None and (shard.records or shard.ended):
            self._positions.save(shard.name, shard.position, len(shard.records))
        shard.records = []

    def _readable(self, table: str) -> Iterator[Shard]:
        arn = self.stream_arn(table)
        listed = list(self._shards(arn))
        ids = {item["ShardId"] for item in listed}
        saved = {row.name: row.position for row in self._positions.matching(STREAM_PREFIX)}
        for item in listed:
            shard = Shard(table, arn, item["ShardId"], item.get("ParentShardId"))
            shard = self._open.setdefault(shard.name, shard)
            if shard.position is None:
                shard.position = saved.get(shard.name)
            if shard.position == DONE:
                continue
            parent = shard.parent
            parent_name = f"{STREAM_PREFIX}{table}:{parent}"
            if parent is not None and parent in ids and saved.get(parent_name) != DONE:
                continue  # the parent's records come first
            yield shard

    def _shards(self, arn: str) -> Iterator[Mapping[str, Any]]:
        start: str | None = None
        while True:
            request: dict[str, Any] = {"StreamArn": arn}
            if start is not None:
                request["ExclusiveStartShardId"] = start
            described = self._streams.describe_stream(**request)["StreamDescription"]
            yield from described.get("Shards", [])
            start = described.get("LastEvaluatedShardId")
            if not start:
                return

    def _read(self, shard: Shard) -> list[StreamRecord]:
        if shard.iterator is None:
            shard.iterator = self._iterator(shard)
        try:
            answer = self._streams.get_records(ShardIterator=shard.iterator, Limit=_LIMIT)
        except self._streams.exceptions.ExpiredIteratorException:
            shard.iterator = self._iterator(shard)
            answer = self._streams.get_records(ShardIterator=shard.iterator, Limit=_LIMIT)
        shard.iterator = answer.get("NextShardIterator")
        shard.ended = shard.iterator is None
        return [_record(shard, raw) for raw in answer.get("Records", [])]

    def _iterator(self, shard: Shard) -> str:
        request: dict[str, Any] = {"StreamArn": shard.arn, "ShardId": shard.shard_id}
        if shard.position is None:
            request["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            request["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER"
            request["SequenceNumber"] = shard.position
        return str(self._streams.get_shard_iterator(**request)["ShardIterator"])


def _record(shard: Shard, raw: Mapping[str, Any]) -> StreamRecord:
    change = raw["dynamodb"]
    created = change.get("ApproximateCreationDateTime")
    return StreamRecord(
        shard.table,
        shard.shard_id,
        str(change["SequenceNumber"]),
        str(raw["eventName"]),
        change.get("Keys", {}),
        change.get("NewImage"),
        change.get("OldImage"),
        created.timestamp() if hasattr(created, "timestamp") else float(created or 0),
    )
