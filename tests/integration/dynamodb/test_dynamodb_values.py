"""Values DynamoDB cannot store are refused before any request; the rest round-trip exactly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from adapters.dynamodb.values import decode_value, encode_value, format_timestamp, parse_timestamp
from dal.contract import Contract
from examples.store import NewCategory, NewProduct, NewUser, Product, Store
from examples.store.dynamodb.base import Layouts
from interfaces import SteppingClock, UnstorableValue

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _product_row(**fields: Any) -> dict[str, Any]:
    row = {
        "id": 1,
        "seller_id": 1,
        "category_id": 1,
        "name": "Atlas",
        "description": None,
        "price": Decimal("1.00"),
        "inventory_quantity": 1,
        "image_url": None,
        "created_at": NOW,
        "updated_at": NOW,
        "version": 1,
    }
    return {**row, **fields}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("1" * 39), "significant digits"),
        (Decimal("1e200"), "range"),
        (Decimal("1e-131"), "range"),
        (Decimal("NaN"), "cannot store"),
        (1.5, "floats"),
        (set(), "empty set"),
    ],
)
def test_unstorable_numbers_and_sets_name_the_field(value: object, message: str) -> None:
    with pytest.raises(UnstorableValue, match=message) as raised:
        encode_value(value, "price")
    assert raised.value.field == "price"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"price": Decimal("12345678901234567890123456789012345678.9")}, "price"),
        ({"price": Decimal("1e200")}, "price"),
        ({"description": "x" * 410_000}, "products item"),
        ({"name": "n" * 1025}, "name (GSI1SK of GSI1)"),
        ({"id": int("9" * 2049)}, None),
    ],
)
def test_items_dynamodb_refuses_are_refused_before_writing(
    contract: Contract, fields: dict[str, Any], field: str | None
) -> None:
    layout = Layouts.from_contract(contract).products
    with pytest.raises(UnstorableValue) as raised:
        layout.item(_product_row(**fields))
    if field is not None:
        assert raised.value.field == field


def test_an_empty_key_string_is_refused(contract: Contract) -> None:
    layout = Layouts.from_contract(contract).users
    with pytest.raises(UnstorableValue, match="empty"):
        layout.key({"email": ""})


def _count(raw: Any, table: str) -> int:
    return int(raw.scan(TableName=table, Select="COUNT")["Count"])


def test_the_store_writes_nothing_for_an_unstorable_value(
    store: Store, raw: Any, prefix: str
) -> None:
    seller = store.users.create(
        NewUser(username="s", email="s@example.com", password_hash="h", is_seller=True)
    )
    category = store.categories.create(NewCategory(name="Books"))
    before = _count(raw, prefix + "Products")
    huge = NewProduct.model_construct(
        seller_id=seller.id,
        category_id=category.id,
        name="Atlas",
        description="x" * 500_000,
        price=Decimal("1.00"),
        inventory_quantity=0,
        image_url=None,
    )
    with pytest.raises(UnstorableValue) as raised:
        store.products.create(huge)
    assert raised.value.field == "description"
    long_email = NewUser.model_construct(
        username="k",
        email="k" * 3000 + "@example.com",
        password_hash="h",
        first_name=None,
        last_name=None,
        is_seller=False,
        super_admin=False,
    )
    with pytest.raises(UnstorableValue):
        store.users.create(long_email)
    assert _count(raw, prefix + "Products") == before
    assert store.users.find_by_username("k") is None
    assert store.categories.get(category.id).version == 1


def test_decimals_and_timestamps_round_trip_exactly(
    make_store: Callable[..., Store],
) -> None:
    start = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)
    store = make_store(clock=SteppingClock(start=start))
    seller = store.users.create(
        NewUser(username="s", email="s@example.com", password_hash="h", is_seller=True)
    )
    category = store.categories.create(NewCategory(name="Books"))
    created = store.products.create(
        NewProduct(
            seller_id=seller.id,
            category_id=category.id,
            name="Atlas",
            price=Decimal("99999999.99"),
            inventory_quantity=2_147_483_647,
        )
    )
    stored: Product = store.products.get(created.id)
    assert stored == created
    assert stored.price == Decimal("99999999.99")
    assert seller.created_at == store.users.get(seller.id).created_at


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 1, 1, tzinfo=UTC), "2026-01-01T00:00:00Z"),
        (datetime(2026, 1, 1, 0, 0, 0, 5, tzinfo=UTC), "2026-01-01T00:00:00.000005Z"),
    ],
)
def test_canonical_timestamps(moment: datetime, text: str) -> None:
    assert format_timestamp(moment) == text
    assert parse_timestamp(text) == moment
    assert decode_value(encode_value(moment, "t")) == text
