"""How an attribute's value is derived: joins, calculations and transformations.

One frozen dataclass per variant of the workshop's schema. Field names follow
the JSON keys (``else`` is spelled ``else_value``). SQL fragments (conditions,
select columns) are kept as written; they describe the derivation for people
and for tools that generate SQL, the layer does not execute them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from dal.contract.dates import DatePattern
from dal.contract.template import Template

__all__ = [
    "AggregateCalculation",
    "AggregateOperation",
    "Calculation",
    "CalculationType",
    "CaseCalculation",
    "CaseWhen",
    "ChainJoin",
    "ChainStep",
    "ConcatCalculation",
    "ConditionalJoin",
    "Construction",
    "ConstructionType",
    "DateFormat",
    "DateMathCalculation",
    "ForeignKeyJoin",
    "Join",
    "JoinType",
    "JsonConstructionJoin",
    "JsonParse",
    "LookupTableJoin",
    "MultiColumnJoin",
    "NumberFormat",
    "SelfJoin",
    "StringFormat",
    "Transformation",
    "TransformationType",
]


class JoinType(StrEnum):
    """The ``join.type`` values of the schema."""

    SELF_JOIN = "self-join"
    FOREIGN_KEY = "foreign-key"
    MULTI_COLUMN = "multi-column"
    CONDITIONAL = "conditional"
    CHAIN = "chain"
    LOOKUP_TABLE = "lookup-table"
    JSON_CONSTRUCTION = "json-construction"


class ConstructionType(StrEnum):
    """What a ``json-construction`` builds: one object, or an array of objects."""

    ARRAY = "array"
    OBJECT = "object"


class CalculationType(StrEnum):
    """The ``calculation.type`` values of the schema."""

    AGGREGATE = "aggregate"
    CASE = "case"
    CONCAT = "concat"
    DATE_MATH = "date-math"


class AggregateOperation(StrEnum):
    """The aggregate functions of an ``aggregate`` calculation."""

    SUM = "SUM"
    COUNT = "COUNT"
    AVG = "AVG"
    MIN = "MIN"
    MAX = "MAX"


class TransformationType(StrEnum):
    """The ``transformation.type`` values of the schema."""

    DATE_FORMAT = "date-format"
    STRING_FORMAT = "string-format"
    NUMBER_FORMAT = "number-format"
    JSON_PARSE = "json-parse"


# --- joins ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SelfJoin:
    """A value from another row of the same table (``parent.name``); ``null_value`` if none."""

    kind: ClassVar[JoinType] = JoinType.SELF_JOIN
    join_alias: str
    join_condition: str
    select_column: str
    null_value: str | None = None


@dataclass(frozen=True)
class ForeignKeyJoin:
    """A column of the row a foreign key points to (``projects.name``)."""

    kind: ClassVar[JoinType] = JoinType.FOREIGN_KEY
    target_table: str
    join_condition: str
    select_column: str
    join_alias: str | None = None


@dataclass(frozen=True)
class MultiColumnJoin:
    """A column of a row matched on several columns (a composite foreign key)."""

    kind: ClassVar[JoinType] = JoinType.MULTI_COLUMN
    target_table: str
    join_conditions: tuple[str, ...]
    select_column: str
    join_alias: str | None = None


@dataclass(frozen=True)
class ConditionalJoin:
    """The joined column when ``condition`` holds, else the literal ``else_value``."""

    kind: ClassVar[JoinType] = JoinType.CONDITIONAL
    condition: str
    target_table: str
    join_condition: str
    select_column: str
    else_value: str
    join_alias: str | None = None


@dataclass(frozen=True)
class ChainStep:
    """One hop of a chain join."""

    target_table: str
    join_condition: str
    select_column: str


@dataclass(frozen=True)
class ChainJoin:
    """Several hops (A -> B -> C); with a separator, the hops' values are concatenated."""

    kind: ClassVar[JoinType] = JoinType.CHAIN
    joins: tuple[ChainStep, ...]
    chain_separator: str | None = None


@dataclass(frozen=True)
class LookupTableJoin:
    """A value reached through a many-to-many lookup table."""

    kind: ClassVar[JoinType] = JoinType.LOOKUP_TABLE
    target_table: str
    join_condition: str
    select_column: str
    join_alias: str | None = None


@dataclass(frozen=True)
class Construction:
    """The shape a ``json-construction`` builds: output key -> source column."""

    type: ConstructionType
    select_columns: Mapping[str, str] = field(hash=False)
    limit: int | None = None
    order_by: str | None = None


@dataclass(frozen=True)
class JsonConstructionJoin:
    """An object from columns, or an array of objects from related rows (embedded children)."""

    kind: ClassVar[JoinType] = JoinType.JSON_CONSTRUCTION
    target_table: str
    join_condition: str
    construction: Construction
    join_alias: str | None = None


Join = (
    SelfJoin
    | ForeignKeyJoin
    | MultiColumnJoin
    | ConditionalJoin
    | ChainJoin
    | LookupTableJoin
    | JsonConstructionJoin
)

# --- calculations --------------------------------------------------------------------------


@dataclass(frozen=True)
class AggregateCalculation:
    """An aggregate over related rows (``COUNT(tickets.number)``)."""

    kind: ClassVar[CalculationType] = CalculationType.AGGREGATE
    target_table: str
    join_condition: str
    operation: AggregateOperation
    select_column: str
    join_alias: str | None = None


@dataclass(frozen=True)
class CaseWhen:
    """One branch of a case calculation."""

    when: str
    then: str


@dataclass(frozen=True)
class CaseCalculation:
    """The ``then`` of the first branch whose ``when`` holds, else ``else_value``."""

    kind: ClassVar[CalculationType] = CalculationType.CASE
    cases: tuple[CaseWhen, ...]
    else_value: str | None = None


@dataclass(frozen=True)
class ConcatCalculation:
    """The source columns joined with ``separator`` (``columns`` when given explicitly)."""

    kind: ClassVar[CalculationType] = CalculationType.CONCAT
    separator: str = ""
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class DateMathCalculation:
    """Date arithmetic; the schema leaves its members open, so they are kept as written."""

    kind: ClassVar[CalculationType] = CalculationType.DATE_MATH
    expression: str | None = None
    options: Mapping[str, object] = field(default_factory=dict, hash=False)


Calculation = AggregateCalculation | CaseCalculation | ConcatCalculation | DateMathCalculation

# --- transformations -----------------------------------------------------------------------


@dataclass(frozen=True)
class StringFormat:
    """The value written through a template (``CART#{product_id}``, or a constant ``#META``)."""

    kind: ClassVar[TransformationType] = TransformationType.STRING_FORMAT
    template: Template
    source_format: str | None = None

    @property
    def format(self) -> str:
        """The template as written."""
        return self.template.text


@dataclass(frozen=True)
class DateFormat:
    """A timestamp written as text in ``pattern`` (UTC)."""

    kind: ClassVar[TransformationType] = TransformationType.DATE_FORMAT
    pattern: DatePattern
    source_format: str | None = None

    @property
    def format(self) -> str:
        """The pattern as written."""
        return self.pattern.text


@dataclass(frozen=True)
class NumberFormat:
    """A number written in a format (kept as written)."""

    kind: ClassVar[TransformationType] = TransformationType.NUMBER_FORMAT
    format: str | None = None
    source_format: str | None = None


@dataclass(frozen=True)
class JsonParse:
    """A JSON text column parsed into a map or list."""

    kind: ClassVar[TransformationType] = TransformationType.JSON_PARSE
    format: str | None = None
    source_format: str | None = None


Transformation = StringFormat | DateFormat | NumberFormat | JsonParse
