"""decode_value: every attribute value kind DynamoDB sends, decoded by one shared table."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from adapters.dynamodb.values import AttributeValue, decode_item, decode_value


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ({"S": "a#b"}, "a#b"),
        ({"S": ""}, ""),
        ({"N": "12"}, 12),
        ({"N": "-3"}, -3),
        ({"N": "12.50"}, Decimal("12.50")),
        ({"N": "1E+2"}, 100),
        ({"BOOL": True}, True),
        ({"BOOL": False}, False),
        ({"NULL": True}, None),
        ({"B": b"\x00\x01"}, b"\x00\x01"),
        ({"M": {"a": {"N": "1"}, "b": {"M": {"c": {"S": "x"}}}}}, {"a": 1, "b": {"c": "x"}}),
        ({"L": [{"S": "x"}, {"N": "2.5"}, {"L": []}]}, ["x", Decimal("2.5"), []]),
        ({"SS": ["b", "a"]}, {"a", "b"}),
        ({"NS": ["1", "2.5"]}, {1, Decimal("2.5")}),
        ({"BS": [b"a", b"b"]}, {b"a", b"b"}),
    ],
)
def test_decode_value(wire: AttributeValue, expected: Any) -> None:
    decoded = decode_value(wire)
    assert decoded == expected
    assert type(decoded) is type(expected)


def test_a_decimal_number_stays_a_decimal() -> None:
    assert type(decode_value({"N": "2.0"})) is Decimal


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(KeyError):
        decode_value({"X": "1"})


def test_decode_item() -> None:
    assert decode_item({"PK": {"S": "P#1"}, "n": {"N": "7"}}) == {"PK": "P#1", "n": 7}
