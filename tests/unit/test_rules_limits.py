"""The rules refuse what either backend cannot hold: DynamoDB's numbers and its 400 KB item."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import pytest
from pydantic import BaseModel

from adapters.rules import DYNAMODB_ITEM_BYTES, ITEM_ALLOWANCE, EntityRules, item_size
from interfaces.entities import EntitySpec
from interfaces.errors import UnstorableValue
from interfaces.types import MaxBytes, exact_decimal


class Note(BaseModel):
    id: int
    count: int = 0
    amount: Annotated[Decimal, exact_decimal(65, 0)] = Decimal(0)
    body: str | None = None
    blob: Annotated[bytes, MaxBytes(16)] | None = None


RULES: EntityRules[Note] = EntityRules(
    EntitySpec(name="notes", table="notes", model=Note, key=("id",))
)


def refused(**values: object) -> UnstorableValue:
    with pytest.raises(UnstorableValue) as raised:
        RULES.validate({"id": 1, **values})
    return raised.value


def test_numbers_dynamodb_cannot_hold_are_refused_naming_entity_and_field() -> None:
    assert RULES.validate({"id": 1, "count": 10**37})["count"] == 10**37
    error = refused(count=10**38 + 1)
    assert error.field == "count"
    assert "notes.count" in str(error)
    assert "39 significant digits" in str(error)
    assert refused(amount=Decimal(10**40 + 7)).field == "amount"


def test_an_item_over_400_kb_is_refused_with_room_for_its_key_attributes() -> None:
    fits = "x" * (DYNAMODB_ITEM_BYTES - ITEM_ALLOWANCE - 100)
    assert RULES.validate({"id": 1, "body": fits})["body"] == fits
    error = refused(body="x" * (DYNAMODB_ITEM_BYTES - ITEM_ALLOWANCE))
    assert error.field == "body"
    assert "notes.body" in str(error)


def test_a_declared_byte_limit_names_entity_and_field() -> None:
    error = refused(blob=b"\x00" * 17)
    assert error.field == "blob"
    assert "notes.blob is 17 bytes" in str(error)


def test_item_size_counts_like_dynamodb() -> None:
    assert item_size({"ab": "\N{GRINNING FACE}"}) == 2 + 4
    assert item_size({"n": 12345}) == 1 + 4
    assert item_size({"m": {"k": "v"}, "gone": None}) == 1 + 3 + 1 + 1 + 1
