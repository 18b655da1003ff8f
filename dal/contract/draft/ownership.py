"""Which tables are aggregate roots and which are owned by another: the draft's first rule.

A table is *owned* by a parent when one of its foreign keys references the
parent's whole primary key with NOT NULL columns and either its primary key
starts with those columns (a composite key under the parent's) or the foreign
key deletes in cascade. A many-to-many join table (a primary key made of two
foreign keys) is owned by its first side. Only a root owns: a child of a child
stays a root of its own, since its items could not be put under the root's
partition key (it does not hold it). Self references never own. The overrides
file can force any table to be a root or the child of a named parent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ForeignKeyConstraint, Table
from sqlalchemy.exc import NoReferencedTableError

from dal.contract.draft.model import DraftError, Placement
from dal.contract.draft.overrides import Overrides

__all__ = ["Owner", "owners"]


@dataclass(frozen=True)
class Owner:
    """The parent owning a table, the columns holding the parent's key, and why."""

    parent: str
    columns: tuple[str, ...]
    placement: Placement
    reason: str


@dataclass(frozen=True)
class _Candidate:
    rank: int
    owner: Owner


def owners(
    tables: Mapping[str, Table], overrides: Overrides
) -> tuple[dict[str, Owner], dict[str, str]]:
    """The owner of each owned table, and the reason each other table is a root."""
    chosen: dict[str, Owner] = {}
    for name, table in tables.items():
        forced = overrides.table(name)
        if forced.placement == "root":
            continue
        if forced.parent is not None:
            chosen[name] = _forced(table, forced.parent, tables)
            continue
        candidate = _best(table, tables)
        if candidate is not None:
            chosen[name] = candidate
    owned: dict[str, Owner] = {}
    roots: dict[str, str] = {}
    for name in tables:
        owner = chosen.get(name)
        if owner is None:
            roots[name] = _root_reason(name, tables[name], overrides)
        elif owner.parent in chosen and overrides.table(name).parent is None:
            grand = chosen[owner.parent].parent
            roots[name] = (
                f"its parent {owner.parent} is itself kept in {grand}'s item collections; "
                f"{name} does not hold {grand}'s key, so it is a root of its own, found from "
                f"{owner.parent} through a GSI"
            )
        else:
            owned[name] = owner
    return owned, roots


def _root_reason(name: str, table: Table, overrides: Overrides) -> str:
    if overrides.table(name).placement == "root":
        return "the overrides file makes it a root"
    if not table.foreign_key_constraints:
        return "it references no other table, so no table owns it"
    return (
        "no foreign key owns it (none deletes in cascade or starts its primary key with a "
        "parent's key, with NOT NULL columns)"
    )


def _best(table: Table, tables: Mapping[str, Table]) -> Owner | None:
    candidates = [c for fk in _ordered(table) if (c := _candidate(table, fk, tables)) is not None]
    return min(candidates, key=lambda c: c.rank).owner if candidates else None


def _ordered(table: Table) -> list[ForeignKeyConstraint]:
    position = {column.name: i for i, column in enumerate(table.columns)}
    return sorted(
        table.foreign_key_constraints, key=lambda fk: [position[c.name] for c in fk.columns]
    )


def _target(fk: ForeignKeyConstraint, tables: Mapping[str, Table]) -> Table | None:
    try:
        target = fk.referred_table
    except NoReferencedTableError:
        return None
    return tables.get(target.name)


def _holds_key(fk: ForeignKeyConstraint, target: Table) -> bool:
    referenced = [element.column.name for element in fk.elements]
    return referenced == [c.name for c in target.primary_key.columns] and not any(
        c.nullable for c in fk.columns
    )


def _candidate(
    table: Table, fk: ForeignKeyConstraint, tables: Mapping[str, Table]
) -> _Candidate | None:
    target = _target(fk, tables)
    if target is None or target is table or not _holds_key(fk, target):
        return None
    local = tuple(c.name for c in fk.columns)
    key = tuple(c.name for c in table.primary_key.columns)
    prefix = key[: len(local)] == local
    cascade = (fk.ondelete or "").upper() == "CASCADE"
    if _is_join_table(table) and prefix:
        reason = (
            f"a many-to-many join table (its primary key is two foreign keys): one adjacency "
            f"item per pair in {target.name}'s item collection, a GSI for the other direction"
        )
        return _Candidate(0, Owner(target.name, local, Placement.ADJACENCY, reason))
    if prefix:
        reason = f"its primary key starts with {target.name}'s key ({', '.join(local)})"
        return _Candidate(1, Owner(target.name, local, Placement.CHILD, reason))
    if cascade:
        on = ", ".join(local)
        reason = f"deleting a {target.name} row deletes its rows (ON DELETE CASCADE on {on})"
        return _Candidate(2, Owner(target.name, local, Placement.CHILD, reason))
    return None


def _is_join_table(table: Table) -> bool:
    key = {c.name for c in table.primary_key.columns}
    groups = [frozenset(c.name for c in fk.columns) for fk in table.foreign_key_constraints]
    return any(a | b == key and not a & b for i, a in enumerate(groups) for b in groups[i + 1 :])


def _forced(table: Table, parent: str, tables: Mapping[str, Table]) -> Owner:
    if parent not in tables:
        raise DraftError(f"overrides: tables.{table.name}.parent: no table {parent} to own it")
    for fk in _ordered(table):
        target = _target(fk, tables)
        if target is not None and target.name == parent and _holds_key(fk, target):
            local = tuple(c.name for c in fk.columns)
            return Owner(
                parent, local, Placement.CHILD, "the overrides file puts it under its parent"
            )
    raise DraftError(
        f"overrides: tables.{table.name}.parent: {table.name} has no NOT NULL foreign key to "
        f"the primary key of {parent}, so its items cannot be put under {parent}'s partition key"
    )
