"""Batch writes of items: conditional (never over a newer item) or plain BatchWriteItem.

BatchWriteItem cannot carry a condition, and an unconditional put would
overwrite an item that a dual write stored after the row was read. Each batch
is therefore written as one TransactWriteItems request whose puts are each
conditioned on ``attribute_not_exists(PK) OR <freshness> < :value``, where the
freshness attribute is ``version`` (``updated_at`` for entities without one;
none for guard items, which are only created). A cancelled transaction reports
one reason per put: a failed condition means *skipped, newer or equal*; a
refused value fails that item alone; the rest are sent again, with capped
exponential backoff and full jitter while DynamoDB reports conflicts or
throttling. Errors that no retry can cure (the table is missing, the endpoint
is down) are raised, so a backfill stops at its last checkpoint.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from adapters.dynamodb.batch import BatchIncomplete, WriteRequest, batch_write
from adapters.dynamodb.client import DynamoClient, Item, Key
from adapters.dynamodb.errors import ConditionFailed, TransactionCancelled
from adapters.dynamodb.expressions import Expr
from interfaces import Throttled, ValidationFailed

__all__ = ["BatchWriter", "ConditionalWriter", "ItemWriter", "WriteItem", "WriteResult"]

_RETRY_CODES = frozenset(
    {
        "None",
        "TransactionConflict",
        "ThrottlingError",
        "ProvisionedThroughputExceeded",
        "RequestLimitExceeded",
    }
)


@dataclass(frozen=True)
class WriteItem:
    """One item to put in ``table``; ``label`` names its source row in reports.

    ``freshness`` is the attribute compared with the stored item's (``version``),
    or None to write only where no item exists. ``row`` is the source row's key
    (columns, values) and ``guard`` tells a unique-value guard item from an
    entity's item.
    """

    table: str
    key: Key
    item: Item
    label: str
    freshness: str | None = "version"
    row: tuple[tuple[str, ...], tuple[Any, ...]] = ((), ())
    guard: bool = False

    def action(self) -> dict[str, object]:
        """The conditional Put of a TransactWriteItems request."""
        expr = Expr()
        pk = next(iter(self.key))
        condition = expr.missing(pk)
        if self.freshness is not None and self.freshness in self.item:
            fresh = expr.name(self.freshness)
            condition += f" OR {fresh} < {expr.wire(self.item[self.freshness])}"
        body = {"TableName": self.table, "Item": self.item}
        return {"Put": {**body, **expr.request(ConditionExpression=condition)}}


@dataclass
class WriteResult:
    """What happened to each item of a write."""

    written: list[WriteItem] = field(default_factory=list)
    skipped: list[WriteItem] = field(default_factory=list)
    failed: list[tuple[WriteItem, str]] = field(default_factory=list)

    def merge(self, other: WriteResult) -> None:
        """Add ``other``'s items to this result."""
        self.written.extend(other.written)
        self.skipped.extend(other.skipped)
        self.failed.extend(other.failed)


class ItemWriter(Protocol):
    """Writes a batch of items and says what happened to each."""

    def write(self, items: Sequence[WriteItem]) -> WriteResult:
        """Write ``items``."""
        ...


@dataclass
class ConditionalWriter:
    """Writes batches of :class:`WriteItem` with one conditional transaction per batch.

    ``rounds`` bounds how often the remaining puts of a cancelled transaction
    are sent again; ``base_delay``/``max_delay`` shape the backoff between rounds.
    """

    client: DynamoClient
    rounds: int = 8
    base_delay: float = 0.05
    max_delay: float = 2.0
    sleep: Callable[[float], None] = time.sleep

    def write(self, items: Sequence[WriteItem]) -> WriteResult:
        """Put ``items`` (at most 100, distinct keys) where nothing as new is stored."""
        result = WriteResult()
        pending = list(items)
        for attempt in range(self.rounds):
            if not pending:
                return result
            pending = self._round(pending, result)
            if pending:
                self.sleep(random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt)))
        for item in pending:
            result.failed.append((item, "still conflicting or throttled after every retry"))
        return result

    def _round(self, pending: list[WriteItem], result: WriteResult) -> list[WriteItem]:
        """Send one transaction; return the items to send again."""
        try:
            self.client.transact([item.action() for item in pending])
        except TransactionCancelled as cancelled:
            return self._sort_out(pending, cancelled, result)
        except Throttled:
            return pending
        except ValidationFailed:
            self._one_by_one(pending, result)
            return []
        result.written.extend(pending)
        return []

    def _sort_out(
        self, pending: list[WriteItem], cancelled: TransactionCancelled, result: WriteResult
    ) -> list[WriteItem]:
        again: list[WriteItem] = []
        for item, reason in zip(pending, cancelled.reasons, strict=False):
            if reason.code == "ConditionalCheckFailed":
                result.skipped.append(item)
            elif reason.code in _RETRY_CODES:
                again.append(item)
            else:
                result.failed.append((item, f"{reason.code}: {reason.message or ''}".strip()))
        return again

    def _one_by_one(self, pending: list[WriteItem], result: WriteResult) -> None:
        """Isolate the item DynamoDB refused by writing each alone (a Put, or a Delete)."""
        for item in pending:
            ((kind, request),) = item.action().items()
            assert isinstance(request, dict)
            extra = {k: v for k, v in request.items() if k not in ("TableName", "Item", "Key")}
            try:
                if kind == "Delete":
                    self.client.delete(item.table, item.key, **extra)
                else:
                    self.client.put(item.table, request["Item"], **extra)
            except ConditionFailed:
                result.skipped.append(item)
            except ValidationFailed as error:
                result.failed.append((item, str(error)))
            else:
                result.written.append(item)


@dataclass
class BatchWriter:
    """Unconditional BatchWriteItem, for an entity no other writer touches in DynamoDB.

    Only safe while the entity's stage is ``off`` (the application writes MySQL
    alone); the adapter's batch module resends unprocessed items with backoff
    and reports by key those still unprocessed when its budget runs out.
    """

    client: DynamoClient

    def write(self, items: Sequence[WriteItem]) -> WriteResult:
        """Put ``items`` (overwriting whatever is stored under their keys)."""
        result = WriteResult()
        by_table: dict[str, list[WriteItem]] = {}
        for item in items:
            by_table.setdefault(item.table, []).append(item)
        for table, group in by_table.items():
            names = list(group[0].key)
            try:
                batch_write(
                    self.client, table, [WriteRequest(item=i.item) for i in group], key_names=names
                )
            except BatchIncomplete as incomplete:
                left = [_identity(key) for key in incomplete.failed_keys]
                for item in group:
                    if _identity(item.key) in left:
                        result.failed.append((item, "still unprocessed after every retry"))
                    else:
                        result.written.append(item)
            else:
                result.written.extend(group)
        return result


def _identity(key: Key) -> list[tuple[str, str]]:
    return sorted((name, str(value)) for name, value in key.items())
