"""Field types shared by the domain models: money, timestamps, ids, names."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

__all__ = ["MAX_INT", "Id", "Money", "Quantity", "Timestamp", "as_utc", "money", "utc_now"]

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
