"""Which MySQL row a DynamoDB item was made from: the reverse direction of the contract.

Each item of a table is matched against the key templates of the entities
(and guard items) stored there, most specific first (``CART#{product_id}``
before ``{name}``). The matching target reads the item back into the columns it
holds (the adapter's own :meth:`~adapters.dynamodb.layout.EntityLayout.row`),
and the row is looked up by its primary key, or by a unique key when the item
does not carry the primary key (a cart line holds ``user_id`` and
``product_id``, not the line's ``id``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, UniqueConstraint

from adapters.dynamodb.client import Item, Key
from adapters.dynamodb.generic.guards import GUARD_SK as UNIQUE_SK
from dal.contract import Template, TemplateError
from dal.migrate.plan import AnyGuard, SourcePlan, Target, UniqueTarget
from dal.migrate.source import typed

__all__ = ["ItemIdentifier", "Owner"]


@dataclass(frozen=True)
class Owner:
    """The source row of an item: ``plan``'s row whose ``columns`` hold ``values``.

    ``target`` is what made the item (an entity of the contract, or a guard).
    """

    plan: SourcePlan
    columns: tuple[str, ...]
    values: tuple[Any, ...]
    target: Target | AnyGuard


@dataclass(frozen=True)
class _Matcher:
    plan: SourcePlan
    target: Target | AnyGuard
    pk: str
    sk: str | None
    templates: tuple[Template, Template | None]

    @property
    def specificity(self) -> int:
        """Literal characters of the key templates: more is more specific."""
        total = 0
        for template in self.templates:
            if template is not None:
                total += len(template.text) - sum(len(f) + 2 for f in template.fields)
        return total

    def matches(self, item: Item) -> bool:
        pk_template, sk_template = self.templates
        try:
            pk_template.parse(_text(item.get(self.pk)))
            if self.sk is not None and sk_template is not None:
                sk_template.parse(_text(item.get(self.sk)))
        except TemplateError:
            return False
        return True


def _text(value: Any) -> str:
    if not isinstance(value, dict) or len(value) != 1:
        return ""
    ((_, raw),) = value.items()
    return str(raw)


def _unique_keys(table: Table) -> list[tuple[str, ...]]:
    keys = [tuple(c.name for c in table.primary_key.columns)]
    keys += [
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    keys += [tuple(c.name for c in index.columns) for index in table.indexes if index.unique]
    return keys


class ItemIdentifier:
    """Finds the source row of items of the tables ``plans`` write."""

    def __init__(self, plans: Iterable[SourcePlan]) -> None:
        self._matchers: dict[str, list[_Matcher]] = {}
        self._keys: dict[str, tuple[str, ...]] = {}
        for plan in plans:
            targets: list[Target | AnyGuard] = [*plan.targets, *plan.guards]
            for target in targets:
                matcher = _matcher(plan, target)
                self._matchers.setdefault(target.table_name, []).append(matcher)
                names = (matcher.pk,) if matcher.sk is None else (matcher.pk, matcher.sk)
                self._keys[target.table_name] = names
        for matchers in self._matchers.values():
            matchers.sort(key=lambda m: m.specificity, reverse=True)

    @property
    def table_names(self) -> tuple[str, ...]:
        """The DynamoDB tables whose items can be identified."""
        return tuple(self._matchers)

    def key(self, table_name: str, item: Item) -> Key:
        """The primary key attributes of ``item``, an item of ``table_name``."""
        return {name: item[name] for name in self._keys[table_name] if name in item}

    def owner(self, table_name: str, item: Item) -> Owner | None:
        """The source row of ``item``, or None when no entity of the table matches it."""
        for matcher in self._matchers.get(table_name, ()):
            if matcher.matches(item):
                return _owner(matcher, item)
        return None

    def owner_row(self, table_name: str, item: Item) -> tuple[Owner, dict[str, Any]] | None:
        """The source row of ``item`` and the columns the item holds, typed for its table."""
        for matcher in self._matchers.get(table_name, ()):
            if matcher.matches(item):
                owner = _owner(matcher, item)
                if owner is None:
                    return None
                table = matcher.plan.table
                recovered = _recovered(matcher, item)
                row = {
                    name: typed(table, name, value)
                    for name, value in recovered.items()
                    if name in table.c
                }
                return owner, row
        return None


def _matcher(plan: SourcePlan, target: Target | AnyGuard) -> _Matcher:
    if isinstance(target, UniqueTarget):
        table = target.guard.table
        sk = None if table.sk is None else Template(UNIQUE_SK)
        return _Matcher(plan, target, table.pk, table.sk, (target.guard.pk_template, sk))
    table, entity = target.layout.table, target.layout.entity
    return _Matcher(plan, target, table.pk, table.sk, (entity.pk_template, entity.sk_template))


def _owner(matcher: _Matcher, item: Item) -> Owner | None:
    recovered = _recovered(matcher, item)
    table = matcher.plan.table
    for columns in _unique_keys(table):
        if all(recovered.get(column) is not None for column in columns):
            values = tuple(typed(table, c, recovered[c]) for c in columns)
            return Owner(matcher.plan, columns, values, matcher.target)
    return None


def _recovered(matcher: _Matcher, item: Item) -> dict[str, Any]:
    target = matcher.target
    if isinstance(target, Target):
        row, _ = target.layout.row(item)
        return row
    return target.owner_row(item)


def group_by_columns(owners: Sequence[Owner]) -> dict[tuple[str, ...], list[Owner]]:
    """Owners grouped by the columns that identify them (one MySQL query per group)."""
    groups: dict[tuple[str, ...], list[Owner]] = {}
    for owner in owners:
        groups.setdefault(owner.columns, []).append(owner)
    return groups
