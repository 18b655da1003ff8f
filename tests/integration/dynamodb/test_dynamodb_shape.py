"""Items as stored: keys, attribute names and DynamoDB types, read back with plain boto3."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from dal.contract import Contract, Entity
from examples.store import CategoryChanges, NewCategory, NewProduct, NewUser, Store, UserChanges


def _entity(contract: Contract, table: str, entity_type: str | None = None) -> Entity:
    found = contract.table(table)
    return found.entity(entity_type) if entity_type else found.entities[0]


def _get(raw: Any, table: str, pk: str, sk: str) -> dict[str, Any]:
    response = raw.get_item(TableName=table, Key={"PK": {"S": pk}, "SK": {"S": sk}})
    assert "Item" in response, f"no item {pk}/{sk} in {table}"
    return dict(response["Item"])


def _number(value: dict[str, str]) -> Decimal:
    """The number of an ``N`` attribute value (DynamoDB may or may not trim trailing zeros)."""
    ((kind, text),) = value.items()
    assert kind == "N"
    return Decimal(text)


def _assert_contract_types(item: dict[str, Any], entity: Entity) -> None:
    for attribute in entity.attributes:
        if attribute.name in item:
            (kind,) = item[attribute.name]
            assert kind == attribute.type.value, f"{attribute.name}: {kind} != {attribute.type}"


@pytest.fixture
def shop(store: Store) -> dict[str, Any]:
    seller = store.users.create(
        NewUser(
            username="ada",
            email="ada@example.com",
            password_hash="h",
            first_name="Ada",
            is_seller=True,
        )
    )
    books = store.categories.create(NewCategory(name="Books"))
    science = store.categories.create(NewCategory(name="Science", parent_id=books.id))
    atlas = store.products.create(
        NewProduct(
            seller_id=seller.id,
            category_id=science.id,
            name="Atlas",
            price=Decimal("19.90"),
            inventory_quantity=5,
        )
    )
    store.carts.add_item(seller.id, atlas.id, 2)
    return {"seller": seller, "books": books, "science": science, "atlas": atlas}


def test_user_item_and_username_guard(
    store: Store, shop: dict[str, Any], raw: Any, prefix: str, contract: Contract
) -> None:
    user = _get(raw, prefix + "Users", "ada@example.com", "#META")
    _assert_contract_types(user, _entity(contract, "Users", "USER"))
    assert user["username"] == {"S": "ada"}
    assert user["profile_data"] == {"M": {"first_name": {"S": "Ada"}}}
    assert user["is_seller"] == {"BOOL": True}
    assert user["created_at"] == {"S": "2026-01-01T00:00:00Z"}
    assert user["version"] == {"N": "1"}
    assert user["GSI1PK"] == user["GSI1SK"] == {"S": str(shop["seller"].id)}
    assert user["GSI2PK"] == user["GSI2SK"] == {"S": "ada"}
    guard = _get(raw, prefix + "Users", "USERNAME#ada", "#UNIQUE")
    assert guard["user_id"] == {"S": str(shop["seller"].id)}


def test_cart_and_order_items(
    store: Store, shop: dict[str, Any], raw: Any, prefix: str, contract: Contract
) -> None:
    product_id = shop["atlas"].id
    cart = _get(raw, prefix + "Users", "ada@example.com", f"CART#{product_id}")
    _assert_contract_types(cart, _entity(contract, "Users", "CART"))
    assert cart["quantity"] == {"N": "2"}
    assert _number(cart["price"]) == Decimal("19.90")
    assert cart["product_name"] == {"S": "Atlas"}

    order = store.orders.checkout(shop["seller"].id)
    stamp = order.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    item = _get(raw, prefix + "Users", "ada@example.com", f"ORDER#{stamp}#{order.id}")
    _assert_contract_types(item, _entity(contract, "Users", "ORDER"))
    assert item["order_status"] == {"S": "pending"}
    assert _number(item["total_amount"]) == Decimal("39.80")
    assert item["order_id"] == item["GSI3PK"] == {"S": str(order.id)}
    (line,) = item["order_items"]["L"]
    assert {k: _number(v) for k, v in line["M"].items()} == {
        "product_id": product_id,
        "quantity": 2,
        "price": Decimal("19.90"),
    }
    left = raw.query(
        TableName=prefix + "Users",
        KeyConditionExpression="PK = :pk AND begins_with(SK, :cart)",
        ExpressionAttributeValues={":pk": {"S": "ada@example.com"}, ":cart": {"S": "CART#"}},
    )
    assert left["Count"] == 0


def test_product_and_category_items(
    store: Store, shop: dict[str, Any], raw: Any, prefix: str, contract: Contract
) -> None:
    atlas, science = shop["atlas"], shop["science"]
    product = _get(raw, prefix + "Products", str(atlas.id), "#META")
    _assert_contract_types(product, _entity(contract, "Products"))
    assert product["product_name"] == product["GSI1SK"] == {"S": "Atlas"}
    assert product["GSI1PK"] == product["category_id"] == {"S": str(science.id)}
    assert product["category_path"] == {"S": "Science"}
    assert _number(product["price"]) == Decimal("19.90")

    root = _get(raw, prefix + "Categories", "ROOT", "Books")
    child = _get(raw, prefix + "Categories", "Books", "Science")
    _assert_contract_types(child, _entity(contract, "Categories"))
    assert root["level"] == {"N": "0"}
    assert root["children_count"] == {"N": "1"}
    assert root["GSI1PK"] == {"S": "ROOT"}
    assert child["level"] == {"N": "1"}
    assert child["parent_name"] == {"S": "Books"}
    assert child["category_path"] == {"S": "Books/Science"}
    assert child["product_count"] == {"N": "1"}
    assert child["GSI1PK"] == {"S": str(shop["books"].id)}


def test_rename_moves_children_and_rewrites_paths(
    store: Store, shop: dict[str, Any], raw: Any, prefix: str
) -> None:
    store.categories.update(shop["books"].id, CategoryChanges(name="Tomes"))
    child = _get(raw, prefix + "Categories", "Tomes", "Science")
    assert child["category_path"] == {"S": "Tomes/Science"}
    assert child["parent_name"] == {"S": "Tomes"}
    assert child["version"] == {"N": "1"}  # a derived attribute changed, not the category
    assert (
        raw.get_item(
            TableName=prefix + "Categories", Key={"PK": {"S": "Books"}, "SK": {"S": "Science"}}
        ).get("Item")
        is None
    )


def test_email_change_moves_the_collection(
    store: Store, shop: dict[str, Any], raw: Any, prefix: str
) -> None:
    seller = shop["seller"]
    store.users.update(seller.id, UserChanges(email="lovelace@example.com", username="lovelace"))
    moved = raw.query(
        TableName=prefix + "Users",
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "lovelace@example.com"}},
    )
    assert sorted(i["SK"]["S"] for i in moved["Items"]) == ["#META", f"CART#{shop['atlas'].id}"]
    old = raw.query(
        TableName=prefix + "Users",
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "ada@example.com"}},
    )
    assert old["Count"] == 0
    assert _get(raw, prefix + "Users", "USERNAME#lovelace", "#UNIQUE")
    assert store.carts.item_count(seller.id) == 2
