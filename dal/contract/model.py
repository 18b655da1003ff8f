"""The validated migration contract: tables, their indexes, entities and attributes.

Every object is immutable. A single-entity table exposes one synthetic entity
(named after the table, keys derived from its key attributes) so that callers
treat both kinds of table alike through :attr:`Table.entities`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from dal.contract.derivations import Calculation, Join, Transformation
from dal.contract.template import Template

__all__ = [
    "KEY_TYPES",
    "Attribute",
    "AttributeType",
    "Contract",
    "Entity",
    "Gsi",
    "Projection",
    "Table",
    "TableType",
]


class TableType(StrEnum):
    """Whether a table holds one kind of item or several."""

    SINGLE_ENTITY = "single-entity"
    MULTI_ENTITY = "multi-entity"


class Projection(StrEnum):
    """Which attributes a global secondary index copies."""

    ALL = "ALL"
    KEYS_ONLY = "KEYS_ONLY"
    INCLUDE = "INCLUDE"


class AttributeType(StrEnum):
    """DynamoDB attribute types."""

    S = "S"
    N = "N"
    B = "B"
    SS = "SS"
    NS = "NS"
    BS = "BS"
    M = "M"
    L = "L"
    BOOL = "BOOL"
    NULL = "NULL"


KEY_TYPES = frozenset({AttributeType.S, AttributeType.N, AttributeType.B})
"""The types a key attribute (of the table or of an index) may have."""


@dataclass(frozen=True)
class Attribute:
    """One attribute of an item and where its value comes from."""

    name: str
    type: AttributeType
    source_table: str
    source_column: str | tuple[str, ...]
    join: Join | None = None
    calculation: Calculation | None = None
    transformation: Transformation | None = None
    denormalized: bool = False
    justification: str | None = None

    @property
    def source_columns(self) -> tuple[str, ...]:
        """``source_column`` as a tuple, whether one column or several were given."""
        column = self.source_column
        return (column,) if isinstance(column, str) else column

    @property
    def is_derived(self) -> bool:
        """Whether the value is computed (a join or a calculation) rather than copied."""
        return self.join is not None or self.calculation is not None


@dataclass(frozen=True)
class Entity:
    """One kind of item of a table, with the templates of its primary key."""

    entity_type: str
    source_table: str
    pk_template: Template
    sk_template: Template | None
    attributes: tuple[Attribute, ...]
    synthetic: bool = False

    @property
    def attribute_names(self) -> tuple[str, ...]:
        """The names of the attributes, in contract order."""
        return tuple(attribute.name for attribute in self.attributes)

    def has_attribute(self, name: str) -> bool:
        """Whether items of this entity carry attribute ``name``."""
        return any(attribute.name == name for attribute in self.attributes)

    def attribute(self, name: str) -> Attribute:
        """The attribute called ``name``; KeyError naming the entity if there is none."""
        for attribute in self.attributes:
            if attribute.name == name:
                return attribute
        raise KeyError(f"entity {self.entity_type} has no attribute {name!r}")

    @property
    def denormalized(self) -> tuple[Attribute, ...]:
        """The attributes flagged ``denormalized`` (snapshots of another table's data)."""
        return tuple(attribute for attribute in self.attributes if attribute.denormalized)


@dataclass(frozen=True)
class Gsi:
    """A global secondary index."""

    index_name: str
    pk: str
    sk: str | None = None
    projection: Projection = Projection.ALL
    projected_attributes: tuple[str, ...] = ()

    @property
    def key_attributes(self) -> tuple[str, ...]:
        """Partition key, then sort key if any."""
        return (self.pk,) if self.sk is None else (self.pk, self.sk)


@dataclass(frozen=True)
class Table:
    """A DynamoDB table of the contract (its name without any environment prefix)."""

    name: str
    type: TableType
    source_table: str
    pk: str
    sk: str | None
    gsis: tuple[Gsi, ...]
    entities: tuple[Entity, ...]
    attributes: tuple[Attribute, ...]
    satisfies: tuple[str, ...]
    estimated_item_size_bytes: float
    key_types: Mapping[str, AttributeType] = field(hash=False, repr=False)
    """The DynamoDB type of every key attribute of the table and its indexes."""

    @property
    def is_multi_entity(self) -> bool:
        """Whether the table holds several kinds of items."""
        return self.type is TableType.MULTI_ENTITY

    @property
    def key_attributes(self) -> tuple[str, ...]:
        """Names of the table's and its indexes' key attributes, each once, table keys first."""
        names = [self.pk] if self.sk is None else [self.pk, self.sk]
        for gsi in self.gsis:
            names.extend(name for name in gsi.key_attributes if name not in names)
        return tuple(names)

    def entity(self, entity_type: str) -> Entity:
        """The entity called ``entity_type``; KeyError naming the table if there is none."""
        for entity in self.entities:
            if entity.entity_type == entity_type:
                return entity
        known = ", ".join(entity.entity_type for entity in self.entities)
        raise KeyError(f"table {self.name} has no entity {entity_type!r} (it has {known})")

    def gsi(self, index_name: str) -> Gsi:
        """The index called ``index_name``; KeyError naming the table if there is none."""
        for gsi in self.gsis:
            if gsi.index_name == index_name:
                return gsi
        raise KeyError(f"table {self.name} has no index {index_name!r}")


@dataclass(frozen=True)
class Contract:
    """A validated migration contract; ``source`` names where it was read from."""

    tables: tuple[Table, ...]
    source: str = "<memory>"

    @property
    def table_names(self) -> tuple[str, ...]:
        """The table names, in contract order."""
        return tuple(table.name for table in self.tables)

    def table(self, name: str) -> Table:
        """The table called ``name``; KeyError listing the contract's tables if there is none."""
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"no table {name!r} in the contract (it has {', '.join(self.table_names)})")
