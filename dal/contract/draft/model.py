"""The types of a drafted design: layouts, placements, access patterns, entities, tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from dal.contract.draft.columns import ColumnPlan
from dal.contract.draft.inspect import SchemaInfo
from interfaces.entities import EntitySpec

__all__ = [
    "MAX_GSIS",
    "Design",
    "DraftError",
    "EntityDesign",
    "GsiUse",
    "Layout",
    "Pattern",
    "Placement",
    "Served",
    "key_fields",
    "template",
]

MAX_GSIS = 20
"""DynamoDB's limit of global secondary indexes per table."""


def template(prefix: str, columns: tuple[str, ...]) -> str:
    """A key template: ``template("USERS", ("id",))`` is ``USERS#{id}``."""
    return prefix + "".join(f"#{{{c}}}" for c in columns)


def key_fields(key_template: str) -> list[str]:
    """The columns a key template is built from: ``USERS#{id}`` -> ``["id"]``."""
    return [part.split("}")[0] for part in key_template.split("{")[1:]]


class DraftError(ValueError):
    """A draft cannot be made as asked (a bad overrides file, a parent with no foreign key)."""


class Layout(StrEnum):
    """How the MySQL tables are spread over DynamoDB tables."""

    AGGREGATE = "aggregate"
    """A table per aggregate root, its owned children in its item collections (the default)."""
    SINGLE = "single"
    """Every entity in one table; roots still own their children's item collections."""
    PER_TABLE = "per-table"
    """A DynamoDB table per MySQL table: no item collections, a GSI per lookup."""


class Placement(StrEnum):
    """Where an entity's items live."""

    ROOT = "root"
    """Partitions of its own."""
    CHILD = "child"
    """In its parent's item collection (under the parent's partition key)."""
    ADJACENCY = "adjacency"
    """A many-to-many join table: an item per pair in the first side's collection."""


class Served(StrEnum):
    """How DynamoDB answers an access pattern."""

    GET = "get"
    COLLECTION = "collection"
    INDEX = "index"
    SCAN = "scan"


@dataclass(frozen=True)
class GsiUse:
    """An entity's use of one overloaded GSI slot (``GSI<slot>``)."""

    slot: int
    pk: str
    sk: str
    pattern: str

    @property
    def index_name(self) -> str:
        """The GSI's name: ``GSI1``, ``GSI2``..."""
        return f"GSI{self.slot}"


@dataclass(frozen=True)
class Pattern:
    """A named access pattern of an entity and how DynamoDB serves it."""

    name: str
    columns: tuple[str, ...]
    origin: str
    served: Served
    how: str

    @property
    def consistent(self) -> bool:
        """Whether the read is strongly consistent (a GSI is not)."""
        return self.served is not Served.INDEX


@dataclass(frozen=True)
class EntityDesign:
    """One MySQL table as an entity of the drafted contract."""

    table: str
    entity_type: str
    dynamodb_table: str
    placement: Placement
    parent: str | None
    reason: str
    pk: str
    sk: str
    gsis: tuple[GsiUse, ...]
    patterns: tuple[Pattern, ...]
    spec: EntitySpec
    columns: tuple[ColumnPlan, ...]

    @property
    def carried(self) -> tuple[ColumnPlan, ...]:
        """The columns the items hold."""
        return tuple(c for c in self.columns if c.carried)


@dataclass(frozen=True)
class Design:
    """A drafted design: DynamoDB tables (by name, in order) and the entities in each."""

    layout: Layout
    schema: SchemaInfo
    tables: dict[str, tuple[EntityDesign, ...]]
    notes: tuple[str, ...] = field(default=())

    @property
    def entities(self) -> tuple[EntityDesign, ...]:
        """Every entity, table by table."""
        return tuple(e for entities in self.tables.values() for e in entities)

    def entity(self, table: str) -> EntityDesign:
        """The entity of MySQL table ``table``; KeyError if it has none."""
        for entity in self.entities:
            if entity.table == table:
                return entity
        raise KeyError(table)

    def gsi_count(self, dynamodb_table: str) -> int:
        """How many GSIs ``dynamodb_table`` needs (the most slots one of its entities uses)."""
        return max((len(e.gsis) for e in self.tables[dynamodb_table]), default=0)
