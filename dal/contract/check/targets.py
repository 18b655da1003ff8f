"""What to check in each table: from the contract, or from every reflected table.

With a contract, the tables are the entities' source tables, and the contract
says which columns a DynamoDB key holds alone (an empty string there is refused),
which columns key templates are built from, and how each column is stored
(:func:`~dal.contract.check.columns.column_checks`). Without one, every base
table of the database is checked (views and the layer's own tables left out)
as a drafted contract would store it: keyed on its primary key, every column
copied by the layout's defaults.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, Table

from adapters.dynamodb.generic.guards import GUARD_SK
from dal.contract import Contract, Entity, StringFormat
from dal.contract import Table as ContractTable
from dal.contract.check.collisions import KeyGroup, unique_group
from dal.contract.check.reflect import (
    base_table_names,
    describe_tables,
    is_padded,
    key_groups,
    row_key_columns,
)
from dal.contract.check.screen import RowScreen, build_screen

__all__ = ["LAYER_TABLES", "CheckTarget", "contract_targets", "database_targets", "key_columns"]

LAYER_TABLES = (
    "dal_alembic_version",
    "dal_backfill_checkpoints",
    "dal_cdc_positions",
    "dal_id_blocks",
)
"""The layer's own bookkeeping tables, never checked."""


@dataclass(frozen=True)
class CheckTarget:
    """One table to read: its screen, the columns naming its rows and its key groups."""

    table: Table
    screen: RowScreen
    key_columns: tuple[str, ...]
    groups: tuple[KeyGroup, ...]


def key_columns(tables: Iterable[ContractTable], entities: Sequence[Entity]) -> tuple[str, ...]:
    """The columns that alone make a key attribute (of a table or index) of ``entities``."""
    found: list[str] = []
    for contract_table in tables:
        for entity in entities:
            if entity not in contract_table.entities:
                continue
            templates = [entity.pk_template]
            if contract_table.sk is not None and entity.sk_template is not None:
                templates.append(entity.sk_template)
            for name in contract_table.key_attributes:
                if entity.has_attribute(name):
                    transformation = entity.attribute(name).transformation
                    if isinstance(transformation, StringFormat):
                        templates.append(transformation.template)
            found.extend(t.fields[0] for t in templates if t.text == "{" + "".join(t.fields) + "}")
    return tuple(dict.fromkeys(found))


def _entities_by_table(contract: Contract) -> dict[str, list[tuple[ContractTable, Entity]]]:
    by_table: dict[str, list[tuple[ContractTable, Entity]]] = {}
    for contract_table in contract.tables:
        for entity in contract_table.entities:
            if entity.sk_template is not None and entity.sk_template.text == GUARD_SK:
                continue
            by_table.setdefault(entity.source_table, []).append((contract_table, entity))
    return by_table


def contract_targets(engine: Engine, contract: Contract) -> list[CheckTarget]:
    """A target per source table of the contract's entities, in contract order."""
    by_table = _entities_by_table(contract)
    tables = describe_tables(engine, by_table)
    targets = []
    for name, pairs in by_table.items():
        entities = [entity for _, entity in pairs]
        keys = key_columns({t for t, _ in pairs}, entities)
        templates = tuple(dict.fromkeys(f for e in entities for f in e.pk_template.fields))
        extra = [KeyGroup(templates, False)] if templates else []
        targets.append(_target(tables[name], entities, keys, extra))
    return targets


def database_targets(engine: Engine) -> list[CheckTarget]:
    """A target per base table of the database (the layer's own left out), by name."""
    names = base_table_names(engine, skip=LAYER_TABLES)
    tables = describe_tables(engine, names)
    return [
        _target(tables[name], (), tuple(c.name for c in tables[name].primary_key.columns), [])
        for name in names
    ]


def _target(
    table: Table, entities: Sequence[Entity], keys: Sequence[str], extra: list[KeyGroup]
) -> CheckTarget:
    primary = tuple(column.name for column in table.primary_key.columns)
    groups = [
        unique_group(table, columns, primary=columns == primary) for columns in key_groups(table)
    ]
    groups += [group for group in extra if group.columns not in {g.columns for g in groups}]
    grouped = {name for group in groups for name in group.columns}
    padded = [name for name in grouped if name in table.c and is_padded(table.c[name])]
    screen = build_screen(table, entities, keys, padded)
    return CheckTarget(table, screen, row_key_columns(table), tuple(groups))
