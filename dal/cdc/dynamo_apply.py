"""Applying a batch of item changes to DynamoDB under version guards.

Every item is first read (consistent BatchGetItem). An item DynamoDB already holds
exactly as MySQL's row makes it, such as one the layer's own dual write stored, is
*already applied* and not written again; a delete of an item that is not there
likewise. The rest are written in conditional transactions of up to 25 actions:

* an item of an entity with a version column (``version``, else ``updated_at``) is put
  or deleted only where none is stored or the stored one is not newer
  (``attribute_not_exists(PK) OR version <= :version``);
* any other item (an entity without one, a unique-value guard item) only where the
  stored one carries no stamp newer than the change's binary-log position
  (``... OR attribute_not_exists(dal_cdc_position) OR dal_cdc_position <= :position``).

A put carries the stamp (:data:`~dal.cdc.stamp.CDC_STAMP`): the binary-log position of
the change, which tells the DynamoDB stream reader the item came from MySQL. A failed
condition means a newer item is stored: the change is *stale* and left alone.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial

from adapters.dynamodb.client import DynamoClient, Item
from adapters.dynamodb.expressions import Expr
from dal.cdc.items import ChangeSet
from dal.cdc.stamp import CDC_STAMP, without_stamp
from dal.migrate.diff import item_differences
from dal.migrate.verify import item_identity, stored_items
from dal.migrate.writer import ConditionalWriter, WriteItem
from dal.routing.redaction import Redactor

__all__ = ["ApplyResult", "DynamoApplier", "GuardedItem", "entity_of"]

_PLAIN = Redactor(())
"""Comparisons here show no value: nothing needs redacting."""

_READ = 100
"""Items read per BatchGetItem."""


@dataclass(frozen=True)
class GuardedItem(WriteItem):
    """A put (or, with ``delete``, a delete) guarded by version or by ``stamp``."""

    stamp: int = 0
    delete: bool = False

    def action(self) -> dict[str, object]:
        """The guarded Put or Delete of a TransactWriteItems request."""
        expr = Expr()
        condition = expr.missing(next(iter(self.key)))
        if self.freshness is not None and self.freshness in self.item:
            condition += (
                f" OR {expr.name(self.freshness)} <= {expr.wire(self.item[self.freshness])}"
            )
        else:
            stamp = expr.name(CDC_STAMP)
            condition += f" OR attribute_not_exists({stamp}) OR {stamp} <= {expr.value(self.stamp)}"
        if self.delete:
            body: dict[str, object] = {"TableName": self.table, "Key": self.key}
            return {"Delete": {**body, **expr.request(ConditionExpression=condition)}}
        item = {**self.item, CDC_STAMP: {"N": str(self.stamp)}}
        body = {"TableName": self.table, "Item": item}
        return {"Put": {**body, **expr.request(ConditionExpression=condition)}}


@dataclass
class ApplyResult:
    """What became of a batch's items."""

    applied: int = 0
    already: int = 0
    """Items DynamoDB already held as the change makes them (a dual write's, a replay's)."""
    stale: int = 0
    """Items left alone because DynamoDB holds a newer one."""
    failed: list[tuple[WriteItem, str]] = field(default_factory=list)
    by_entity: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Items by ``(entity, result)``: applied, already_applied, stale, failed."""

    def count(self, items: list[WriteItem], result: str) -> None:
        """Note ``items`` under ``result`` in :attr:`by_entity`."""
        for item in items:
            self.by_entity[entity_of(item), result] += 1


def entity_of(item: WriteItem) -> str:
    """The entity whose row made ``item`` (its label starts with the entity's name)."""
    return item.label.split(" ", 1)[0]


class DynamoApplier:
    """Applies :class:`~dal.cdc.items.ChangeSet` batches; see the module documentation."""

    def __init__(self, client: DynamoClient, workers: int = 4, batch_size: int = 25) -> None:
        self._client = client
        self._workers = workers
        self._batch_size = batch_size
        self._writer = ConditionalWriter(client)

    def apply(self, changes: ChangeSet, stamp: int) -> ApplyResult:
        """Apply ``changes``, stamping the puts with ``stamp``."""
        result = ApplyResult()
        with ThreadPoolExecutor(self._workers, thread_name_prefix="cdc-apply") as pool:
            pending = self._needed(changes, stamp, result, pool)
            self._write(pending, result, pool)
        return result

    def _write(
        self, pending: list[GuardedItem], result: ApplyResult, pool: ThreadPoolExecutor
    ) -> None:
        batches = [
            pending[start : start + self._batch_size]
            for start in range(0, len(pending), self._batch_size)
        ]
        for outcome in pool.map(self._writer.write, batches):
            result.applied += len(outcome.written)
            result.stale += len(outcome.skipped)
            result.failed.extend(outcome.failed)
            result.count(outcome.written, "applied")
            result.count(outcome.skipped, "stale")
            result.count([item for item, _ in outcome.failed], "failed")

    def _needed(
        self, changes: ChangeSet, stamp: int, result: ApplyResult, pool: ThreadPoolExecutor
    ) -> list[GuardedItem]:
        """The guarded writes still needed, after reading what DynamoDB holds."""
        everything = [*changes.puts, *changes.deletes]
        chunks = [everything[start : start + _READ] for start in range(0, len(everything), _READ)]
        stored: dict[tuple[str, str], Item] = {}
        for found in pool.map(partial(stored_items, self._client), chunks):
            stored.update(found)
        needed: list[GuardedItem] = []
        for item in changes.puts:
            held = stored.get(_identity(item))
            if held is not None and _same(item.item, held):
                result.already += 1
                result.count([item], "already_applied")
            else:
                needed.append(_guarded(item, stamp, delete=False))
        for item in changes.deletes:
            if _identity(item) not in stored:
                result.already += 1
                result.count([item], "already_applied")
            else:
                needed.append(_guarded(item, stamp, delete=True))
        return needed


def _guarded(item: WriteItem, stamp: int, *, delete: bool) -> GuardedItem:
    fields = {name: getattr(item, name) for name in WriteItem.__dataclass_fields__}
    return replace(GuardedItem(**fields), stamp=stamp, delete=delete)


def _same(wanted: Item, held: Item) -> bool:
    """Whether ``held`` is ``wanted`` (the stamp aside): as stored, else value by value."""
    stored = without_stamp(held)
    return wanted == stored or not item_differences(wanted, stored, redactor=_PLAIN)


def _identity(item: WriteItem) -> tuple[str, str]:
    return item_identity(item.table, item.key)
