"""Sample values for any declared entity, built from its model, its MySQL column and its spec.

:class:`SampleGenerator` answers "the values of the n-th distinct valid entity"
without a line of per-entity code: the field's annotation says the kind of value
(``int``, ``Decimal``, ``str``, ``bool``, ``datetime``, ``date``, ``Literal``,
an ``Enum``, optional or not) and its bounds (``ge``/``le``, ``max_length``);
the column in the SQLAlchemy ``MetaData`` refines it (string length, ``ENUM``
values, ``NUMERIC`` precision and scale, whether a ``DATETIME`` keeps
microseconds, as MySQL would store it). Distinct ``n`` give distinct values, so
unique fields and caller-given keys never collide; text mixes upper and lower
case so that code-point order and case-insensitive order differ. Reference
fields get a value of the right type only: the suite points them at targets it
creates first. A per-entity factory (``ConformanceConfig.samples``) replaces the
generated values of an entity whose fields this cannot describe.
"""

from __future__ import annotations

import enum
import string
import types
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic.fields import FieldInfo
from sqlalchemy import Column, MetaData
from sqlalchemy.dialects import mysql

from interfaces.entities import EntitySpec

__all__ = ["FieldKind", "SampleError", "SampleFactory", "SampleGenerator", "field_kind"]

SampleFactory = Callable[[int], dict[str, Any]]
"""Given n, the values of the n-th distinct valid entity (stamped fields excluded)."""

_START = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
_DEFAULT_TEXT_LENGTH = 60
_DEFAULT_PRECISION, _DEFAULT_SCALE = 10, 2
_MYSQL = mysql.dialect()


class SampleError(ValueError):
    """A field whose values cannot be generated: the entity needs a sample factory."""


@dataclass(frozen=True)
class FieldKind:
    """What one field holds, read from its annotation and its column."""

    base: Any
    """The Python type (``int``, ``str``...) or, for ``Literal``/``Enum``/``ENUM``, ``"choice"``."""
    nullable: bool
    choices: tuple[Any, ...] = ()
    lower: int | None = None
    upper: int | None = None
    max_length: int | None = None
    min_length: int = 0
    precision: int = _DEFAULT_PRECISION
    scale: int = _DEFAULT_SCALE
    microseconds: bool = False


def field_kind(info: FieldInfo, column: Column[Any] | None = None) -> FieldKind:
    """The kind of value a model field (stored in ``column``, when known) holds."""
    base, nullable, metadata = _unwrap(info.annotation)
    bounds = _Bounds.of([*info.metadata, *metadata])
    choices: tuple[Any, ...] = ()
    if get_origin(base) is Literal:
        choices, base = get_args(base), "choice"
    elif isinstance(base, type) and issubclass(base, enum.Enum):
        choices, base = tuple(base), "choice"
    column_type = column.type.dialect_impl(_MYSQL) if column is not None else None
    enums = tuple(getattr(column_type, "enums", None) or ())
    if base is str and enums:
        choices, base = enums, "choice"
    length = getattr(column_type, "length", None)
    return FieldKind(
        base=base,
        nullable=nullable,
        choices=choices,
        lower=bounds.lower,
        upper=bounds.upper,
        max_length=_smallest(bounds.max_length, length if isinstance(length, int) else None),
        min_length=bounds.min_length,
        precision=getattr(column_type, "precision", None) or _DEFAULT_PRECISION,
        scale=_scale(column_type),
        microseconds=bool(getattr(column_type, "fsp", None)),
    )


class SampleGenerator:
    """The n-th distinct valid values of every declared entity.

    ``metadata`` holds the MySQL tables (optional: without it, text is short,
    decimals have two places and datetimes whole seconds); ``factories`` give
    an entity's values instead of generating them.
    """

    def __init__(
        self,
        specs: Iterable[EntitySpec],
        metadata: MetaData | None = None,
        factories: Mapping[str, SampleFactory] | None = None,
    ) -> None:
        self._specs = {spec.name: spec for spec in specs}
        self._metadata = metadata
        self._factories = dict(factories or {})
        self._kinds: dict[tuple[str, str], FieldKind] = {}

    def values(self, entity: str, n: int) -> dict[str, Any]:
        """The values of the n-th entity: every field but the stamped ones."""
        spec = self._specs[entity]
        factory = self._factories.get(entity)
        if factory is not None:
            given = factory(n)
            return {name: value for name, value in given.items() if name not in spec.stamped}
        return {
            name: self.value(entity, name, n) for name in spec.fields if name not in spec.stamped
        }

    def value(self, entity: str, name: str, n: int) -> Any:
        """The n-th value of field ``name`` (never None); SampleError if it cannot be made.

        An entity's factory gives it when it sets the field to something other than None.
        """
        factory = self._factories.get(entity)
        if factory is not None:
            given = factory(n).get(name)
            if given is not None:
                return given
        kind = self.kind(entity, name)
        make = _MAKERS.get(kind.base)
        if make is None:
            raise SampleError(
                f"no sample of {entity}.{name} ({kind.base!r}) can be generated: "
                f"give ConformanceConfig.samples[{entity!r}]"
            )
        return make(kind, name, n)

    def invalid_value(self, entity: str, name: str) -> Any:
        """A value the model of ``entity`` refuses for field ``name``."""
        kind = self.kind(entity, name)
        if kind.base is str:
            return ["not", "text"]
        if kind.base is bool:
            return "neither true nor false"
        return "not-a-valid-value"

    def kind(self, entity: str, name: str) -> FieldKind:
        """What field ``name`` of ``entity`` holds."""
        found = self._kinds.get((entity, name))
        if found is None:
            spec = self._specs[entity]
            found = field_kind(spec.model.model_fields[name], self._column(spec, name))
            self._kinds[(entity, name)] = found
        return found

    def _column(self, spec: EntitySpec, name: str) -> Column[Any] | None:
        if self._metadata is None:
            return None
        table = self._metadata.tables.get(spec.table)
        if table is None:
            return None
        return table.columns.get(spec.column(name))


# --- reading annotations ------------------------------------------------------------------


@dataclass(frozen=True)
class _Bounds:
    lower: int | None = None
    upper: int | None = None
    max_length: int | None = None
    min_length: int = 0

    @classmethod
    def of(cls, metadata: Iterable[Any]) -> _Bounds:
        """The bounds that ``annotated_types`` constraints (or nested ``Field(...)``) set."""
        found: dict[str, Any] = {}
        for item in _flatten(metadata):
            for name in ("ge", "gt", "le", "lt", "max_length", "min_length"):
                value = getattr(item, name, None)
                if isinstance(value, int):
                    found[name] = value
        lower = found.get("ge", found["gt"] + 1 if "gt" in found else None)
        upper = found.get("le", found["lt"] - 1 if "lt" in found else None)
        return cls(lower, upper, found.get("max_length"), found.get("min_length", 0))


def _flatten(metadata: Iterable[Any]) -> list[Any]:
    items: list[Any] = []
    for item in metadata:
        items.extend(_flatten(item.metadata) if isinstance(item, FieldInfo) else [item])
    return items


def _unwrap(annotation: Any) -> tuple[Any, bool, list[Any]]:
    """The type inside ``Annotated``/``Optional``, whether None is allowed, the metadata met."""
    metadata: list[Any] = []
    nullable = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            metadata.extend(extra)
        elif origin is Union or origin is types.UnionType:
            members = [a for a in get_args(annotation) if a is not type(None)]
            nullable = nullable or len(members) < len(get_args(annotation))
            if len(members) != 1:
                return annotation, nullable, metadata
            annotation = members[0]
        else:
            return annotation, nullable, metadata


def _smallest(*limits: int | None) -> int | None:
    known = [limit for limit in limits if limit is not None]
    return min(known) if known else None


def _scale(column_type: Any) -> int:
    scale = getattr(column_type, "scale", None)
    return scale if isinstance(scale, int) else _DEFAULT_SCALE


# --- making values ------------------------------------------------------------------------


def _integer(kind: FieldKind, name: str, n: int) -> int:
    start = 1 if kind.lower is None else max(kind.lower, 1)
    if kind.upper is not None and start > kind.upper:
        start = kind.lower if kind.lower is not None else kind.upper
    if kind.upper is None or start + n <= kind.upper:
        return start + n
    return start + n % (kind.upper - start + 1)


def _decimal(kind: FieldKind, name: str, n: int) -> Decimal:
    whole_digits = kind.precision - kind.scale
    whole = (n + 1) % 10**whole_digits if whole_digits > 0 else 0
    fraction = Decimal(n % 9 + 1).scaleb(-kind.scale) if kind.scale else Decimal(0)
    return (Decimal(whole) + fraction).quantize(Decimal(1).scaleb(-kind.scale))


def _text(kind: FieldKind, name: str, n: int) -> str:
    """``A-Field Name-0``, ``b-Field Name-1``...: distinct, case mixed, within the column."""
    letter = string.ascii_lowercase[n % 26]
    head = letter.upper() if n % 2 == 0 else letter
    tail = f"-{n}"
    limit = kind.max_length if kind.max_length is not None else _DEFAULT_TEXT_LENGTH
    room = limit - len(head) - len(tail)
    if room < 0:
        return str(n)[-limit:]
    middle = f"-{name.replace('_', ' ').title()}"[:room]
    return f"{head}{middle}{tail}".ljust(kind.min_length, "x")


def _boolean(kind: FieldKind, name: str, n: int) -> bool:
    return n % 2 == 0


def _choice(kind: FieldKind, name: str, n: int) -> Any:
    return kind.choices[n % len(kind.choices)]


def _datetime(kind: FieldKind, name: str, n: int) -> datetime:
    instant = _START + timedelta(days=n, seconds=n)
    return (
        instant + timedelta(microseconds=(n * 1013 + 7) % 1_000_000)
        if kind.microseconds
        else instant
    )


def _date(kind: FieldKind, name: str, n: int) -> date:
    return _START.date() + timedelta(days=n)


def _float(kind: FieldKind, name: str, n: int) -> float:
    return n + 0.5


def _uuid(kind: FieldKind, name: str, n: int) -> uuid.UUID:
    return uuid.UUID(int=n + 1)


_MAKERS: dict[Any, Callable[[FieldKind, str, int], Any]] = {
    int: _integer,
    Decimal: _decimal,
    str: _text,
    bool: _boolean,
    "choice": _choice,
    datetime: _datetime,
    date: _date,
    float: _float,
    uuid.UUID: _uuid,
}
