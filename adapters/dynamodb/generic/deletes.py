"""A delete and everything the on-delete rules of references to it require.

:class:`DeletePlan` walks :func:`adapters.rules.dependents` from the deleted
entity before anything is written: a RESTRICT reference that still has
referencing entities raises ReferenceConflict; CASCADE plans the deletion of the
referencing entities (recursively, under their own rules); SET_NULL plans their
change (the reference fields set to None by
:meth:`~adapters.rules.EntityRules.cleared_row`, so version and ``updated_at``
move). Referencing entities are found through the index whose partition key
derives from the reference fields (the base table's item collection or a GSI);
where no index does, with a filtered Scan of the whole table. The plan then
becomes transactions: every write conditioned on the item as it was read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.dynamodb.generic.context import Context
from adapters.dynamodb.generic.mapping import EntityMap
from adapters.dynamodb.generic.writes import Transaction, guard_actions, item_actions
from adapters.rules import Row, dependents
from interfaces.entities import OnDelete, key_tuple
from interfaces.errors import ReferenceConflict

__all__ = ["DeletePlan"]

Identity = tuple[str, tuple[Any, ...]]


class DeletePlan:
    """The deletes and changes one delete makes, found before anything is written."""

    def __init__(self, context: Context, now: datetime) -> None:
        self._context = context
        self._now = now
        self._deleted: dict[Identity, tuple[EntityMap, Row]] = {}
        self._cleared: dict[Identity, tuple[EntityMap, Row, set[str]]] = {}

    def delete(self, emap: EntityMap, row: Row) -> None:
        """Plan the deletion of ``row`` and what references to it require."""
        identity = _identity(emap, row)
        if identity in self._deleted:
            return
        self._deleted[identity] = (emap, row)
        for dependent in dependents(self._context.specs, emap.name):
            reference = dependent.reference
            target_fields = reference.target_fields or emap.spec.key
            values = {f: row[t] for f, t in zip(reference.fields, target_fields, strict=True)}
            if any(value is None for value in values.values()):
                continue
            child = self._context.maps[dependent.spec.name]
            found = self._context.referencing(child.name, reference, values)
            rows = [r for r in found if _identity(child, r) not in self._deleted]
            if not rows:
                continue
            if reference.on_delete is OnDelete.RESTRICT:
                label = emap.rules.label(emap.rules.key_of(row))
                raise ReferenceConflict(emap.name, label, child.name)
            for referencing in rows:
                if reference.on_delete is OnDelete.CASCADE:
                    self.delete(child, referencing)
                else:
                    self._clear(child, referencing, reference.fields)

    def _clear(self, emap: EntityMap, row: Row, fields: tuple[str, ...]) -> None:
        entry = self._cleared.setdefault(_identity(emap, row), (emap, row, set()))
        entry[2].update(fields)

    def transactions(self) -> list[Transaction]:
        """The plan's writes: changed dependents, deleted dependents, the deleted entity last."""
        groups = []
        for identity, (emap, stored, fields) in self._cleared.items():
            if identity in self._deleted:
                continue
            row = emap.rules.cleared_row(stored, sorted(fields), self._now)
            txn = Transaction()
            item_actions(txn, emap, stored, row, self._context.derived(emap.name, row))
            guard_actions(txn, emap, stored, row)
            groups.append(txn)
        for emap, stored in reversed(list(self._deleted.values())):
            txn = Transaction()
            item_actions(txn, emap, stored, None, {})
            guard_actions(txn, emap, stored, None)
            groups.append(txn)
        return groups


def _identity(emap: EntityMap, row: Row) -> Identity:
    return emap.name, key_tuple(emap.spec, row)
