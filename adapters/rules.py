"""The rules every generic repository applies the same way, whatever the backend.

:class:`EntityRules` reads one :class:`~interfaces.entities.EntitySpec` once and
answers what the backends must agree on: the shape of a key, a new row and a
changed row (validated by the entity's model, stamped with the clock, the id
allocator and the version), the version check, unique values as a collation
compares them, the references to check, the arguments of a named query, the
sort key of a row in a query's order and the neutral page tokens. A backend
only stores and finds rows; it never re-implements one of these rules.

Every row is checked against the stricter of the two backends before any backend
writes it (:meth:`EntityRules.validate`): the model's own limits (character
limits, integer ranges, DECIMAL precision, the byte limits of ``TEXT``/``BLOB``
columns declared with :class:`~interfaces.types.MaxBytes`), DynamoDB's numbers (at
most 38 significant digits, magnitudes from 1e-130 to below 1e126) and DynamoDB's
400 KB item (:func:`item_size` estimates it the way DynamoDB counts, and
:data:`ITEM_ALLOWANCE` is kept free for the key and index attributes the item
layout adds). A value over a limit raises
:class:`~interfaces.errors.UnstorableValue` naming the entity and the field.

Rows are plain dicts of field name to Python value (the model's field names,
not the MySQL columns).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from interfaces.entities import EntitySpec, KeyValue, NamedQuery, Reference, Unique
from interfaces.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    DalError,
    InvalidPageToken,
    NotFound,
    UnstorableValue,
    ValidationFailed,
)
from interfaces.paging import Page, check_page_size, decode_token, encode_token
from interfaces.repository import MAX_BATCH_KEYS
from interfaces.types import TOO_MANY_BYTES

__all__ = [
    "DYNAMODB_ITEM_BYTES",
    "ITEM_ALLOWANCE",
    "Dependent",
    "EntityRules",
    "QueryArgs",
    "Row",
    "dependents",
    "item_size",
    "number_problem",
    "oversized_field",
    "sort_value",
    "value_size",
]

DYNAMODB_ITEM_BYTES = 400 * 1024
"""The largest DynamoDB item: attribute names and values together."""

ITEM_ALLOWANCE = 32 * 1024
"""Bytes of an item kept for what the layout adds to a row's fields: the table's key
attributes (up to 2 KB and 1 KB of value), index keys, the entity type and renamed
attributes. A row whose estimate exceeds ``DYNAMODB_ITEM_BYTES - ITEM_ALLOWANCE``
is refused."""

_MAX_DIGITS = 38
_SMALLEST = Decimal("1e-130")
_LARGEST = Decimal("9.9999999999999999999999999999999999999e125")

Row = dict[str, Any]
M = TypeVar("M", bound=BaseModel)


def sort_value(value: Any) -> tuple[int, Any]:
    """A value as it sorts in every backend: None first, then by value (text by code point)."""
    return (0, 0) if value is None else (1, value)


@dataclass(frozen=True)
class QueryArgs:
    """A named query's validated arguments."""

    named: NamedQuery
    where: Mapping[str, Any]
    page_size: int
    after: tuple[Any, ...] | None
    """The sort key of the last entity of the previous page (from the token)."""
    scope: tuple[Any, ...]


@dataclass(frozen=True)
class Dependent:
    """An entity that references another through ``reference``."""

    spec: EntitySpec
    reference: Reference


def dependents(specs: Mapping[str, EntitySpec], target: str) -> list[Dependent]:
    """Every (entity, reference) that points at ``target``, in declaration order."""
    return [
        Dependent(spec, reference)
        for spec in specs.values()
        for reference in spec.references
        if reference.target == target
    ]


class EntityRules(Generic[M]):
    """The rules of one entity, read once from its declaration."""

    def __init__(self, spec: EntitySpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.model: type[BaseModel] = spec.model
        self._fields = frozenset(spec.fields)
        self._stamped = spec.stamped
        self._key_fields = frozenset(spec.key)
        self._key_label = ",".join(spec.key)
        self._adapters: dict[str, TypeAdapter[Any]] = {
            name: TypeAdapter(info.annotation or Any)
            for name, info in spec.model.model_fields.items()
        }

    # --- keys ---------------------------------------------------------------------------

    def key(self, key: KeyValue) -> Row:
        """``key`` as a mapping of the key fields, validated; ValidationFailed(field="key")."""
        try:
            mapping = self.spec.key_of(key)
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="key") from exc
        return {name: self._field_value(name, value, "key") for name, value in mapping.items()}

    def key_of(self, row: Mapping[str, Any]) -> Row:
        """The key fields of a stored row."""
        return {name: row[name] for name in self.spec.key}

    def label(self, key: Mapping[str, Any]) -> Any:
        """How errors name ``key``: a bare value or a tuple."""
        return self.spec.key_label(key)

    def not_found(self, key: Mapping[str, Any]) -> NotFound:
        """NotFound for ``key``."""
        return NotFound(self.name, self.label(key))

    def batch_keys(self, keys: Sequence[KeyValue]) -> list[Row]:
        """The distinct keys of a batch get, in order; ValidationFailed for over 100."""
        if len(keys) > MAX_BATCH_KEYS:
            raise ValidationFailed(f"at most {MAX_BATCH_KEYS} keys, got {len(keys)}", field="keys")
        seen: set[tuple[Any, ...]] = set()
        found = []
        for key in keys:
            mapping = self.key(key)
            identity = tuple(mapping.values())
            if identity not in seen:
                seen.add(identity)
                found.append(mapping)
        return found

    # --- rows -----------------------------------------------------------------------------

    def new_row(
        self,
        values: Mapping[str, Any] | BaseModel,
        now: datetime,
        allocate: Callable[[str], int],
    ) -> Row:
        """The row a create stores: validated, stamped, with its allocated key."""
        given = values.model_dump() if isinstance(values, BaseModel) else dict(values)
        if isinstance(values, BaseModel):
            given = {k: v for k, v in given.items() if k not in self._stamped}
        self._refuse(given, self._stamped, "is set by the layer")
        row = dict(given)
        if self.spec.id_sequence is not None:
            row[self.spec.key[0]] = allocate(self.spec.id_sequence)
        for stamp in (self.spec.created_at, self.spec.updated_at):
            if stamp is not None:
                row[stamp] = now
        if self.spec.version is not None:
            row[self.spec.version] = 1
        return self.validate(row)

    def changed_row(
        self, stored: Mapping[str, Any], changes: Mapping[str, Any], now: datetime
    ) -> Row:
        """``stored`` with ``changes`` applied, validated, version and ``updated_at`` moved."""
        self._refuse(changes, self._key_fields | self._stamped, "cannot be changed")
        return self._revised(stored, changes, now)

    def cleared_row(self, stored: Mapping[str, Any], fields: Iterable[str], now: datetime) -> Row:
        """``stored`` with ``fields`` set to None (an on-delete SET_NULL), as a change."""
        return self._revised(stored, dict.fromkeys(fields), now)

    def _revised(self, stored: Mapping[str, Any], changes: Mapping[str, Any], now: datetime) -> Row:
        """``stored`` with ``changes``, ``updated_at`` moved and the version one more, validated."""
        row = {**stored, **changes}
        if self.spec.updated_at is not None:
            row[self.spec.updated_at] = now
        if self.spec.version is not None:
            row[self.spec.version] = stored[self.spec.version] + 1
        return self.validate(row)

    def validate(self, row: Mapping[str, Any]) -> Row:
        """``row`` through the model: every field, converted; ValidationFailed naming a field."""
        unknown = sorted(set(row) - self._fields)
        if unknown:
            raise ValidationFailed(f"{self.name} has no field {unknown[0]!r}", field=unknown[0])
        try:
            model = self.model.model_validate(row)
        except ValidationError as exc:
            raise _validation_failed(exc, self.name) from exc
        valid = model.model_dump()
        self.check_storable(valid)
        return valid

    def check_storable(self, row: Mapping[str, Any]) -> None:
        """UnstorableValue naming the entity and field if DynamoDB cannot hold ``row``.

        Numbers need at most 38 significant digits within DynamoDB's range; the
        whole row, estimated as an item (:func:`item_size`), must leave
        :data:`ITEM_ALLOWANCE` of the 400 KB free.
        """
        for name, value in row.items():
            problem = number_problem(value)
            if problem is not None:
                raise UnstorableValue(f"{self.name}.{name}: {problem}", field=name)
        largest = oversized_field(row)
        if largest is not None:
            size, limit = item_size(row), DYNAMODB_ITEM_BYTES - ITEM_ALLOWANCE
            raise UnstorableValue(
                f"{self.name}.{largest}: the {self.name} would be a DynamoDB item of about "
                f"{size:,} bytes (its largest field {largest} alone {value_size(row[largest]):,});"
                f" an item holds at most {DYNAMODB_ITEM_BYTES:,} bytes, {limit:,} of them for "
                "the entity's fields",
                field=largest,
            )

    def to_model(self, row: Mapping[str, Any]) -> M:
        """The model of a stored row; DalError naming the entity if the stored data is corrupt."""
        try:
            return self.model.model_validate(row)  # type: ignore[return-value]
        except ValidationError as exc:
            raise DalError(f"a stored {self.name} cannot be read: {exc}") from exc

    def check_version(
        self, stored: Mapping[str, Any], key: Mapping[str, Any], expected: int | None
    ) -> None:
        """ConcurrencyConflict unless ``expected`` is None or the stored version."""
        if expected is None:
            return
        if self.spec.version is None:
            raise ValidationFailed(
                f"{self.name} has no version to compare", field="expected_version"
            )
        if stored[self.spec.version] != expected:
            raise ConcurrencyConflict(self.name, self.label(key), expected)

    def _refuse(self, given: Mapping[str, Any], names: Iterable[str], why: str) -> None:
        for name in names:
            if name in given:
                raise ValidationFailed(f"{why}", field=name)

    def _field_value(self, name: str, value: Any, where: str) -> Any:
        try:
            return self._adapters[name].validate_python(value)
        except ValidationError as exc:
            raise ValidationFailed(f"{name}: {exc.errors()[0]['msg']}", field=where) from exc

    # --- uniqueness and references -------------------------------------------------------

    def already_exists_key(self, key: Mapping[str, Any]) -> AlreadyExists:
        """AlreadyExists for a taken key."""
        return AlreadyExists(self.name, self._key_label, self.label(key))

    def unique_value(self, unique: Unique, row: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The values of ``unique`` as the collation compares them; None if any is None."""
        values = tuple(row.get(name) for name in unique.fields)
        if any(value is None for value in values):
            return None
        if unique.case_insensitive:
            values = tuple(v.casefold() if isinstance(v, str) else v for v in values)
        return values

    def already_exists_unique(self, unique: Unique, row: Mapping[str, Any]) -> AlreadyExists:
        """AlreadyExists for a taken unique value of ``row``."""
        values = tuple(row[name] for name in unique.fields)
        return AlreadyExists(self.name, unique.label, values[0] if len(values) == 1 else values)

    def changed_uniques(
        self, stored: Mapping[str, Any] | None, row: Mapping[str, Any]
    ) -> list[Unique]:
        """The unique constraints whose value in ``row`` differs from ``stored`` (all on create)."""
        return [
            unique
            for unique in self.spec.unique
            if stored is None or self.unique_value(unique, stored) != self.unique_value(unique, row)
        ]

    def reference_value(
        self, reference: Reference, row: Mapping[str, Any]
    ) -> tuple[Any, ...] | None:
        """The referenced key values of ``row``; None when the reference is empty."""
        values = tuple(row.get(name) for name in reference.fields)
        return None if all(value is None for value in values) else values

    def changed_references(
        self, stored: Mapping[str, Any] | None, row: Mapping[str, Any]
    ) -> list[tuple[Reference, tuple[Any, ...]]]:
        """References to check: set in ``row`` and different from ``stored``."""
        checks = []
        for reference in self.spec.references:
            value = self.reference_value(reference, row)
            if value is None:
                continue
            if stored is not None and self.reference_value(reference, stored) == value:
                continue
            checks.append((reference, value))
        return checks

    # --- named queries --------------------------------------------------------------------

    def query_args(
        self, name: str, page_size: int, page_token: str | None, params: Mapping[str, Any]
    ) -> QueryArgs:
        """Validated arguments of the named query ``name``."""
        try:
            named = self.spec.query(name)
        except KeyError as exc:
            raise ValidationFailed(str(exc.args[0]), field="access_pattern") from exc
        missing = [f for f in named.where if f not in params]
        if missing:
            raise ValidationFailed(f"query {name} needs {missing[0]}", field=missing[0])
        extra = [p for p in params if p not in named.where]
        if extra:
            raise ValidationFailed(f"query {name} takes no parameter {extra[0]}", field=extra[0])
        where = {f: self._field_value(f, params[f], f) for f in named.where}
        check_page_size(page_size)
        scope = (self.name, name, *(where[f] for f in named.where))
        after = decode_token(scope, page_token) if page_token is not None else None
        if after is not None and len(after) != len(self.order_fields(named)):
            raise InvalidPageToken()
        return QueryArgs(named, where, page_size, after, scope)

    def order_fields(self, named: NamedQuery) -> tuple[str, ...]:
        """The fields a query sorts by: its ``order_by``, then the key."""
        return tuple(dict.fromkeys((*named.order_by, *self.spec.key)))

    def sort_key(self, named: NamedQuery, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """The raw sort key of ``row`` in ``named``'s order (what a page token holds)."""
        return tuple(row[name] for name in self.order_fields(named))

    def comparable(self, sort_key: Sequence[Any]) -> tuple[tuple[int, Any], ...]:
        """A sort key as Python compares it the way every backend sorts it."""
        return tuple(sort_value(value) for value in sort_key)

    def after_token(self, args: QueryArgs, row: Mapping[str, Any]) -> bool:
        """Whether ``row`` comes after the previous page's last entity."""
        if args.after is None:
            return True
        mine = self.comparable(self.sort_key(args.named, row))
        last = self.comparable(args.after)
        return mine < last if args.named.descending else mine > last

    def page(self, args: QueryArgs, rows: Iterable[Mapping[str, Any]]) -> Page[M]:
        """A page of ``rows`` (already matching, ordered and after the token).

        Reads one row past the page to know whether another page follows.
        """
        taken: list[Mapping[str, Any]] = []
        more = False
        for row in rows:
            if len(taken) == args.page_size:
                more = True
                break
            taken.append(row)
        token = None
        if more:
            token = encode_token(args.scope, self.sort_key(args.named, taken[-1]))
        return Page[Any](items=tuple(self.to_model(row) for row in taken), next_token=token)

    def ordered(
        self, args: QueryArgs, rows: Iterable[Mapping[str, Any]]
    ) -> list[Mapping[str, Any]]:
        """``rows`` that match the query and follow the token, sorted (for backends that sort)."""
        matching = [
            row
            for row in rows
            if all(row.get(f) == v for f, v in args.where.items()) and self.after_token(args, row)
        ]
        matching.sort(
            key=lambda row: self.comparable(self.sort_key(args.named, row)),
            reverse=args.named.descending,
        )
        return matching


def _validation_failed(exc: ValidationError, entity: str) -> ValidationFailed:
    error = exc.errors()[0]
    location = error.get("loc") or ()
    field = str(location[0]) if location else None
    message = error.get("msg", "invalid value")
    if error.get("type") == TOO_MANY_BYTES:
        return UnstorableValue(f"{entity}.{field} {message}", field=field)
    return ValidationFailed(message, field=field)


def number_problem(value: object) -> str | None:
    """Why DynamoDB cannot store the number(s) in ``value`` (at any depth), or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Decimal):
        number = Decimal(value)
        if not number.is_finite():
            return f"DynamoDB cannot store {number}"
        if number == 0:
            return None
        digits = "".join(map(str, number.as_tuple().digits)).strip("0")
        if len(digits) > _MAX_DIGITS:
            return (
                f"{len(digits)} significant digits, DynamoDB stores a number of at most "
                f"{_MAX_DIGITS}"
            )
        if not _SMALLEST <= abs(number) <= _LARGEST:
            return f"the magnitude of {number} is outside DynamoDB's range (1e-130 to 9.99e125)"
        return None
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, list | tuple | set | frozenset):
        for item in value:
            problem = number_problem(item)
            if problem is not None:
                return problem
    return None


def item_size(row: Mapping[str, Any]) -> int:
    """The size of ``row`` as a DynamoDB item, in bytes: attribute names plus values.

    Counted as DynamoDB counts: text as its UTF-8 bytes, binary as its length, a
    number as one byte per two significant digits plus one, a boolean or null as
    one byte, a map or list as 3 bytes plus one per element plus its elements (a
    map's keys too). Timestamps count as the text they are stored as. Fields that
    are None are left out (the backends store no attribute for them).
    """
    return sum(
        len(name.encode("utf-8")) + value_size(value)
        for name, value in row.items()
        if value is not None
    )


def oversized_field(row: Mapping[str, Any]) -> str | None:
    """The largest field of ``row`` if its item would leave less than :data:`ITEM_ALLOWANCE`
    of DynamoDB's 400 KB free (:func:`item_size`), else None."""
    if item_size(row) <= DYNAMODB_ITEM_BYTES - ITEM_ALLOWANCE:
        return None
    return max((n for n in row if row[n] is not None), key=lambda n: value_size(row[n]))


def value_size(value: Any) -> int:
    """The bytes one attribute value counts for in an item (see :func:`item_size`)."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, bytes | bytearray | memoryview):
        return len(value)
    if isinstance(value, int | Decimal):
        digits = len(Decimal(value).as_tuple().digits)
        return (digits + 1) // 2 + 1
    if isinstance(value, datetime | date | time):
        return len(value.isoformat()) + 1
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, Mapping):
        return 3 + sum(
            len(str(key).encode("utf-8")) + 1 + value_size(item) for key, item in value.items()
        )
    if isinstance(value, list | tuple | set | frozenset):
        return 3 + sum(1 + value_size(item) for item in value)
    return len(str(value).encode("utf-8", "surrogatepass"))
