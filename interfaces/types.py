"""Field types shared by the domain models: money, timestamps, ids, names."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

__all__ = [
    "MAX_INT",
    "Id",
    "Int32",
    "Money",
    "Quantity",
    "Timestamp",
    "as_utc",
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
        if not amount.is_finite() or abs(amount) >= limit:
            raise ValueError(f"must be finite and below {limit} in magnitude, got {amount}")
        quantized = amount.quantize(step)
        if quantized != amount:
            raise ValueError(f"has at most {scale} decimal places, got {amount}")
        return quantized

    return BeforeValidator(exact)
