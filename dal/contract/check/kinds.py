"""What `dal contract check` can find, how much it matters, and what the contract may say.

Each :class:`Kind` is one reason a MySQL value would not arrive in DynamoDB as it
is, or would make the two sides answer differently:

* a :attr:`Level.LOSS` kind is a value the backfill cannot store faithfully: it is
  refused (the row is reported, the others copied) unless the contract says how
  to store it;
* a :attr:`Level.DIFFER` kind is stored, but the two sides then compare, sort,
  validate or look it up differently; the backfill copies it.

"The contract says how" means the contract entity that stores the column maps it
with an attribute of its own (a plain copy, no join or calculation) whose type is
one of the kind's :attr:`KindInfo.accepted` types (``S`` keeps a number's exact
value as text, a float's shortest exact text, a zero date's text and a TIME's
``[-]H:MM:SS[.ffffff]``; ``L`` keeps a SET's members, an empty SET as an empty
list). A kind with no accepted type (an item over 400 KB, an empty key, a key
collision) can only be fixed in the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dal.contract import AttributeType

__all__ = ["KINDS", "Kind", "KindInfo", "Level"]


class Level(StrEnum):
    """How bad a finding is."""

    LOSS = "loss"
    """The value cannot be stored as it is: the backfill refuses it."""
    DIFFER = "differ"
    """The value is stored, but the two sides would disagree about it."""


class Kind(StrEnum):
    """One kind of finding (the names are stable: ``--json`` prints them)."""

    DECIMAL_DIGITS = "decimal_digits"
    FLOAT = "float"
    NOT_A_NUMBER = "not_a_number"
    UNSIGNED_BIGINT = "unsigned_bigint"
    ITEM_TOO_LARGE = "item_too_large"
    ZERO_DATE = "zero_date"
    TIME = "time"
    NEGATIVE_TIME = "negative_time"
    FRACTION_DROPPED = "fraction_dropped"
    TRAILING_SPACE = "trailing_space"
    EMPTY_KEY = "empty_key"
    KEY_COLLISION = "key_collision"
    EQUAL_IN_MYSQL = "equal_in_mysql"
    ENUM = "enum"
    SET = "set"
    YEAR = "year"
    BIT = "bit"
    JSON = "json"
    SPATIAL = "spatial"


@dataclass(frozen=True)
class KindInfo:
    """What a kind means: its level, why it matters, and the types that store it faithfully."""

    level: Level
    reason: str
    accepted: frozenset[AttributeType] = frozenset()


_S = AttributeType.S
_N = AttributeType.N
_B = AttributeType.B

KINDS: dict[Kind, KindInfo] = {
    Kind.DECIMAL_DIGITS: KindInfo(
        Level.LOSS,
        "more than 38 significant digits (or outside 1e-130..1e126): a DynamoDB number "
        "cannot hold it",
        frozenset({_S}),
    ),
    Kind.FLOAT: KindInfo(
        Level.LOSS,
        "a binary FLOAT/DOUBLE value: a DynamoDB number holds 38 digits within "
        "1e-130..1e126 and the layer stores exact numbers only",
        frozenset({_S}),
    ),
    Kind.NOT_A_NUMBER: KindInfo(
        Level.LOSS, "NaN or infinity: a DynamoDB number cannot hold it", frozenset({_S})
    ),
    Kind.UNSIGNED_BIGINT: KindInfo(
        Level.DIFFER,
        "an unsigned BIGINT above 2^63-1: DynamoDB keeps it, but readers that take numbers "
        "as signed 64-bit integers (Java, Go) or doubles (JavaScript) do not",
        frozenset({_S, _N}),
    ),
    Kind.ITEM_TOO_LARGE: KindInfo(
        Level.LOSS,
        "the row would be an item over DynamoDB's 400 KB (this column is its largest field)",
    ),
    Kind.ZERO_DATE: KindInfo(
        Level.LOSS,
        "a zero date ('0000-00-00'): no timestamp can represent it",
        frozenset({_S}),
    ),
    Kind.TIME: KindInfo(
        Level.LOSS,
        "a TIME value (a duration, up to 838 hours): no DynamoDB type holds it as it is",
        frozenset({_S}),
    ),
    Kind.NEGATIVE_TIME: KindInfo(
        Level.LOSS, "a negative TIME value: no DynamoDB type holds it as it is", frozenset({_S})
    ),
    Kind.FRACTION_DROPPED: KindInfo(
        Level.DIFFER,
        "fractional seconds the contract's date-format pattern has no place for: the item "
        "gets the canonical form instead of the pattern",
    ),
    Kind.TRAILING_SPACE: KindInfo(
        Level.DIFFER,
        "trailing spaces in a key or unique column: MySQL ignores them when it compares "
        "(PAD SPACE), DynamoDB does not",
    ),
    Kind.EMPTY_KEY: KindInfo(
        Level.LOSS, "an empty string in a key attribute: DynamoDB refuses empty keys"
    ),
    Kind.KEY_COLLISION: KindInfo(
        Level.LOSS,
        "rows MySQL holds distinct that get the same DynamoDB key or unique guard "
        "(the collation or the declaration compares differently)",
    ),
    Kind.EQUAL_IN_MYSQL: KindInfo(
        Level.DIFFER,
        "rows MySQL holds equal under the column's collation that DynamoDB keeps distinct",
    ),
    Kind.ENUM: KindInfo(
        Level.DIFFER,
        "an ENUM label: stored as text, DynamoDB does not enforce the labels or their order",
        frozenset({_S}),
    ),
    Kind.SET: KindInfo(
        Level.DIFFER,
        "a SET value: DynamoDB has no type that enforces its members",
        frozenset({AttributeType.L}),  # SS cannot hold an empty SET; S is not a set's form
    ),
    Kind.YEAR: KindInfo(
        Level.DIFFER, "a YEAR value: stored as a number, range not enforced", frozenset({_N, _S})
    ),
    Kind.BIT: KindInfo(
        Level.DIFFER, "a BIT value: stored as bytes, not as a number", frozenset({_B, _N})
    ),
    Kind.JSON: KindInfo(
        Level.DIFFER,
        "a JSON document: stored as text; a map would reorder keys and normalize numbers",
        frozenset({_S, AttributeType.M, AttributeType.L}),
    ),
    Kind.SPATIAL: KindInfo(
        Level.DIFFER,
        "a spatial value: stored as MySQL's internal bytes, not searchable in DynamoDB",
        frozenset({_B}),
    ),
}
"""Every kind's level, reason and accepted attribute types."""
