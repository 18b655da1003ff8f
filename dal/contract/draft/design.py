"""The drafted design: where each table's items live, their keys, GSIs and access patterns.

:func:`design` applies the rules of ``docs/draft.md`` to an inspected schema:

* placement (:mod:`dal.contract.draft.ownership`): aggregate roots get partitions
  of their own (``USERS#{id}``, sort key ``#META``); owned children and
  many-to-many join tables live in their root's item collection (partition key
  ``USERS#{user_id}``, sort key ``INVOICES#{id}``);
* one GSI slot per lookup a partition key cannot answer: each secondary index,
  unique index and foreign key (a named access pattern each), and the key of a
  child whose item key holds more than its own key. Slots are overloaded: the
  entities of one DynamoDB table share ``GSI1``, ``GSI2``... (at most 20; a
  pattern beyond is served by a Scan and said so);
* the entity declaration of each table is the layer's default declaration
  (:func:`dal.entities.default_spec`), with the columns the draft carries and
  the personal data it recognizes marked sensitive.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model
from sqlalchemy import Table

from dal.contract.draft.columns import ColumnPlan, is_sensitive, plan_column
from dal.contract.draft.inspect import SchemaInfo
from dal.contract.draft.model import Design, DraftError, EntityDesign, Layout, Placement, template
from dal.contract.draft.overrides import Overrides
from dal.contract.draft.ownership import Owner, owners
from dal.contract.draft.patterns import access_patterns
from dal.entities.defaults import default_spec, field_names, model_name
from interfaces.entities import EntitySpec

__all__ = ["ROOT_SORT_KEY", "design"]

ROOT_SORT_KEY = "#META"
"""The sort key of a root's own item, apart from its children's in its collection."""


def design(
    schema: SchemaInfo,
    layout: Layout,
    overrides: Overrides | None = None,
    table_name: str | None = None,
) -> Design:
    """The design of ``schema`` in ``layout``; DraftError for an override that cannot apply."""
    overrides = overrides or Overrides()
    _check_overrides(schema, overrides)
    tables = {
        name: table
        for name, table in schema.tables.items()
        if overrides.table(name).placement != "skip"
    }
    notes = [
        f"{name}: skipped by the overrides file" for name in schema.tables if name not in tables
    ]
    if layout is Layout.PER_TABLE:
        owned: dict[str, Owner] = {}
        roots = dict.fromkeys(
            tables, "the per-table layout: every table in a DynamoDB table of its own"
        )
    else:
        owned, roots = owners(tables, overrides)
    homes = _homes(tables, owned, layout, overrides, table_name or _single_name(schema))
    entities = [
        _entity(
            tables[name],
            homes[name],
            owned.get(name),
            roots.get(name, ""),
            tables,
            overrides,
            owned,
        )
        for name in _order(tables, owned)
    ]
    grouped: dict[str, list[EntityDesign]] = {}
    for entity in entities:
        grouped.setdefault(entity.dynamodb_table, []).append(entity)
    return Design(layout, schema, {k: tuple(v) for k, v in grouped.items()}, tuple(notes))


def _check_overrides(schema: SchemaInfo, overrides: Overrides) -> None:
    problems: list[str] = []
    for name, wanted in overrides.tables.items():
        table = schema.tables.get(name)
        if table is None:
            known = ", ".join(schema.tables) or "none"
            problems.append(f"tables.{name}: no such table with a primary key (known: {known})")
            continue
        for key, columns in (
            ("sensitive", wanted.sensitive),
            ("not_sensitive", wanted.not_sensitive),
        ):
            unknown = [c for c in columns if c not in table.columns]
            if unknown:
                problems.append(f"tables.{name}.{key}: no column {', '.join(unknown)}")
    if problems:
        raise DraftError("overrides: " + "; ".join(problems))


def _single_name(schema: SchemaInfo) -> str:
    return model_name(schema.database) if schema.database else "Main"


def _order(tables: Mapping[str, Table], owned: Mapping[str, Owner]) -> list[str]:
    """Roots in name order, each followed by the tables it owns."""
    order: list[str] = []
    for name in tables:
        if name not in owned:
            order.append(name)
            order.extend(
                child for child in tables if child in owned and owned[child].parent == name
            )
    return order


def _homes(
    tables: Mapping[str, Table],
    owned: Mapping[str, Owner],
    layout: Layout,
    overrides: Overrides,
    single: str,
) -> dict[str, str]:
    homes: dict[str, str] = {}
    for name in tables:
        if layout is Layout.SINGLE:
            homes[name] = single
        elif name not in owned:
            homes[name] = overrides.table(name).dynamodb_table or model_name(name)
    for name in tables:
        if name in owned and overrides.table(name).dynamodb_table is not None:
            raise DraftError(
                f"overrides: tables.{name}.dynamodb_table: {name} lives in "
                f"{owned[name].parent}'s item collections; only a root names its table"
            )
        if name in owned and layout is not Layout.SINGLE:
            homes[name] = homes[owned[name].parent]
    return homes


def _entity(
    table: Table,
    home: str,
    owner: Owner | None,
    root_reason: str,
    tables: Mapping[str, Table],
    overrides: Overrides,
    owned: Mapping[str, Owner],
) -> EntityDesign:
    columns = tuple(plan_column(c) for c in table.columns)
    spec = _spec(table, columns, tables, overrides)
    prefix = table.name.upper()
    key = tuple(c.name for c in table.primary_key.columns)
    pk, sk = _item_key(prefix, key, owner)
    collection = owner.columns if owner is not None else None
    patterns, gsis = access_patterns(table, spec, prefix, (pk, sk), collection)
    placement = owner.placement if owner is not None else Placement.ROOT
    reason = owner.reason if owner is not None else root_reason
    children = sorted(n for n, o in owned.items() if o.parent == table.name)
    if children:
        reason += f"; its item collection also holds {', '.join(children)}"
    elif owner is None and not _referenced(table.name, tables):
        reason += "; no table references it either: a table with no relation, on its own"
    return EntityDesign(
        table=table.name,
        entity_type=prefix,
        dynamodb_table=home,
        placement=placement,
        parent=owner.parent if owner is not None else None,
        reason=reason,
        pk=pk,
        sk=sk,
        gsis=tuple(gsis),
        patterns=tuple(patterns),
        spec=spec,
        columns=columns,
    )


def _referenced(name: str, tables: Mapping[str, Table]) -> bool:
    return any(
        fk.elements[0].target_fullname.rsplit(".", 2)[-2] == name
        for table in tables.values()
        if table.name != name
        for fk in table.foreign_key_constraints
    )


def _item_key(prefix: str, key: tuple[str, ...], owner: Owner | None) -> tuple[str, str]:
    """A root's own partition and ``#META``; a child's parent partition and its own sort key."""
    if owner is None:
        return template(prefix, key), ROOT_SORT_KEY
    rest = tuple(c for c in key if c not in owner.columns)
    return template(owner.parent.upper(), owner.columns), template(
        prefix, rest if set(owner.columns) <= set(key) else key
    )


def _spec(
    table: Table, columns: tuple[ColumnPlan, ...], tables: Mapping[str, Table], overrides: Overrides
) -> EntitySpec:
    names = field_names(table)
    carried = {c.column for c in columns if c.carried}
    definitions: dict[str, Any] = {names[c]: (Any, ...) for c in carried}
    stand_in: type[BaseModel] = create_model(
        model_name(table.name), __config__=ConfigDict(frozen=True), **definitions
    )
    spec = default_spec(table, model=stand_in)
    wanted = overrides.table(table.name)
    sensitive = {c for c in carried if is_sensitive(c) or c in wanted.sensitive}
    sensitive -= set(wanted.not_sensitive)
    return dataclasses.replace(
        spec,
        references=tuple(r for r in spec.references if r.target in tables),
        sensitive=frozenset(names[c] for c in sensitive),
    )
