"""Field types shared by the domain models: money, timestamps, ids, names, byte limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation, localcontext
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

__all__ = [
    "BLOB_BYTES",
    "LONGTEXT_BYTES",
    "MAX_INT",
    "MEDIUMTEXT_BYTES",
    "TEXT_BYTES",
    "TINYTEXT_BYTES",
    "TOO_MANY_BYTES",
    "Id",
    "Int32",
    "MaxBytes",
    "Money",
    "Quantity",
    "Timestamp",
    "as_utc",
    "byte_limit",
    "exact_decimal",
    "money",
    "utc_now",
]

MAX_INT = 2_147_483_647
"""The largest value of the legacy schema's signed 32-bit INT columns (ids, quantities)."""

_CENT = Decimal("0.01")
_MONEY_LIMIT = Decimal("100000000")  # DECIMAL(10,2): at most 8 digits before the point


def money(value: object) -> Decimal:
    """Coerce ``value`` to a money amount with exactly two decimal places.

    Accepts ``Decimal``, ``int`` and numeric strings; refuses floats (they are
    not exact), more than two decimal places and amounts outside DECIMAL(10,2).
    """
    if isinstance(value, float):
        raise ValueError("money must be a Decimal, int or string, not a float")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a decimal number: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"money must be finite, got {amount}")
    if abs(amount) >= _MONEY_LIMIT:
        raise ValueError(f"money must be below {_MONEY_LIMIT}, got {amount}")
    quantized = amount.quantize(_CENT)
    if quantized != amount:
        raise ValueError(f"money has at most 2 decimal places, got {amount}")
    return quantized


def as_utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; a naive datetime is refused rather than guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware")
    return value.astimezone(UTC)


def utc_now() -> datetime:
    """The current time in UTC, truncated to whole seconds (the legacy schema's precision)."""
    return datetime.now(UTC).replace(microsecond=0)


Money = Annotated[Decimal, BeforeValidator(money)]
"""An exact amount of money: ``Decimal`` with two decimal places, |amount| < 10**8."""

Timestamp = Annotated[datetime, AfterValidator(as_utc)]
"""A timezone-aware datetime, normalized to UTC."""

Id = Annotated[int, Field(ge=1, le=MAX_INT)]
"""An entity id: a positive signed 32-bit integer, as in the legacy INT columns."""

Quantity = Annotated[int, Field(ge=0, le=MAX_INT)]
"""A non-negative count of units."""


Int32 = Annotated[int, Field(ge=-MAX_INT - 1, le=MAX_INT)]
"""A value of a signed 32-bit INT column."""


def exact_decimal(precision: int, scale: int) -> BeforeValidator:
    """The validator of a ``DECIMAL(precision, scale)`` column.

    Use as ``Annotated[Decimal, exact_decimal(12, 4)]``.

    Refuses floats, more than ``scale`` decimal places and values with more than
    ``precision - scale`` digits before the point; returns the value at exactly
    ``scale`` places, so every backend stores and compares the same number.
    """
    if not 0 <= scale <= precision:
        raise ValueError(f"DECIMAL({precision},{scale}) is not a valid column type")
    step = Decimal(1).scaleb(-scale)
    limit = Decimal(10) ** (precision - scale)

    def exact(value: object) -> Decimal:
        if isinstance(value, float):
            raise ValueError("must be a Decimal, int or string, not a float")
        try:
            amount = value if isinstance(value, Decimal) else Decimal(str(value))
        except InvalidOperation as exc:
            raise ValueError(f"not a decimal number: {value!r}") from exc
        if not amount.is_finite() or amount.copy_abs() >= limit:  # abs() would round
            raise ValueError(f"must be finite and below {limit} in magnitude, got {amount}")
        with localcontext() as context:  # DECIMAL(65,30) has more digits than the default 28
            context.prec = max(context.prec, precision + 2)
            quantized = amount.quantize(step)
        if quantized != amount:
            raise ValueError(f"has at most {scale} decimal places, got {amount}")
        return quantized

    return BeforeValidator(exact)


TINYTEXT_BYTES = 255
"""The most a MySQL ``TINYTEXT``/``TINYBLOB`` holds, in bytes."""
TEXT_BYTES = 65_535
"""The most a MySQL ``TEXT``/``BLOB`` holds, in bytes (not characters)."""
BLOB_BYTES = TEXT_BYTES
MEDIUMTEXT_BYTES = 16_777_215
"""The most a MySQL ``MEDIUMTEXT``/``MEDIUMBLOB`` holds, in bytes."""
LONGTEXT_BYTES = 4_294_967_295
"""The most a MySQL ``LONGTEXT``/``LONGBLOB`` holds, in bytes."""

TOO_MANY_BYTES = "too_many_bytes"
"""The pydantic error type :class:`MaxBytes` raises."""


@dataclass(frozen=True)
class MaxBytes:
    """A byte limit on a text (UTF-8, as utf8mb4 stores it) or bytes field.

    MySQL's ``TEXT`` and ``BLOB`` families limit bytes, not characters: a
    ``TEXT`` holds 65,535 bytes, which is 16,383 four-byte emoji. Use as
    ``Annotated[str, MaxBytes(TEXT_BYTES)]`` (with ``Field(max_length=...)`` for a
    character limit as well); a longer value fails validation with the error type
    :data:`TOO_MANY_BYTES`, naming its size and the limit. Default declarations
    put it on every ``TEXT``/``BLOB``/``VARBINARY`` column.
    """

    limit: int

    def __post_init__(self) -> None:
        if self.limit < 0:
            raise ValueError(f"MaxBytes needs a limit >= 0, got {self.limit}")

    def size(self, value: object) -> int | None:
        """The size of ``value`` in bytes as stored (None for a value that is no text or bytes)."""
        if isinstance(value, str):
            return len(value.encode("utf-8", "surrogatepass"))
        if isinstance(value, bytes | bytearray | memoryview):
            return len(value)
        return None

    def check(self, value: Any) -> Any:
        """``value`` unchanged if it fits; a pydantic error naming both sizes if not."""
        size = self.size(value)
        if size is not None and size > self.limit:
            raise PydanticCustomError(
                TOO_MANY_BYTES,
                "is {size} bytes in UTF-8, more than the {limit} bytes its column holds",
                {"size": f"{size:,}", "limit": f"{self.limit:,}"},
            )
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """The inner schema, then the byte check."""
        return core_schema.no_info_after_validator_function(self.check, handler(source))


def byte_limit(metadata: Any) -> int | None:
    """The smallest :class:`MaxBytes` limit among ``metadata`` (a field's), or None."""
    limits = [item.limit for item in metadata if isinstance(item, MaxBytes)]
    return min(limits) if limits else None
