"""Field types of the domain: money and timestamps refuse what they cannot hold exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from interfaces import as_utc, money


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (Decimal("10"), Decimal("10.00")),
        ("0.01", Decimal("0.01")),
        (7, Decimal("7.00")),
        (Decimal("99999999.99"), Decimal("99999999.99")),
        (Decimal("-5.5"), Decimal("-5.50")),
    ],
)
def test_money_is_normalized_to_two_places(given: object, expected: Decimal) -> None:
    result = money(given)
    assert result == expected
    assert result.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (1.5, "not a float"),
        ("abc", "not a decimal"),
        (Decimal("NaN"), "finite"),
        (Decimal("Infinity"), "finite"),
        (Decimal("0.001"), "2 decimal places"),
        (Decimal("100000000"), "below"),
        (Decimal("1e200"), "below"),
        (Decimal("-1e200"), "below"),
    ],
)
def test_money_refuses_what_it_cannot_hold(given: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        money(given)


def test_as_utc_converts_offsets_and_refuses_naive() -> None:
    paris = timezone(timedelta(hours=1))
    assert as_utc(datetime(2026, 1, 1, 1, tzinfo=paris)) == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="timezone-aware"):
        as_utc(datetime(2026, 1, 1))
