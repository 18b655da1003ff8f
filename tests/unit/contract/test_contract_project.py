"""The project's contract follows the DynamoDB design of store.md, and ships unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dal.contract import (
    AggregateCalculation,
    AggregateOperation,
    AttributeType,
    CaseCalculation,
    ConditionalJoin,
    ConstructionType,
    Contract,
    DateFormat,
    ForeignKeyJoin,
    JsonConstructionJoin,
    Projection,
    SelfJoin,
    StringFormat,
    TableType,
    load_contract,
)

S, N, BOOL = AttributeType.S, AttributeType.N, AttributeType.BOOL


@pytest.fixture(scope="module")
def contract() -> Contract:
    root = Path(__file__).resolve().parents[3]
    return load_contract(root / "examples" / "store" / "contract.json")


def test_valid_against_the_workshop_json_schema(project_root: Path, fixtures_dir: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((fixtures_dir / "migration_contract_schema.json").read_text("utf-8"))
    data = json.loads((project_root / "examples" / "store" / "contract.json").read_text("utf-8"))

    jsonschema.Draft7Validator(schema).validate(data)


def test_tables_keys_and_indexes(contract: Contract) -> None:
    layout = {
        table.name: (
            table.type,
            table.source_table,
            table.pk,
            table.sk,
            [(g.index_name, g.pk, g.sk, g.projection) for g in table.gsis],
        )
        for table in contract.tables
    }

    def gsi(n: int) -> tuple[str, str, str, Projection]:
        return (f"GSI{n}", f"GSI{n}PK", f"GSI{n}SK", Projection.ALL)

    assert layout == {
        "Users": (TableType.MULTI_ENTITY, "users", "PK", "SK", [gsi(1), gsi(2), gsi(3)]),
        "Products": (TableType.SINGLE_ENTITY, "products", "PK", "SK", [gsi(1), gsi(2)]),
        "Categories": (TableType.SINGLE_ENTITY, "categories", "PK", "SK", [gsi(1)]),
    }
    for table in contract.tables:
        assert set(table.key_types.values()) == {S}, table.name


def test_item_layout_per_entity(contract: Contract) -> None:
    keys = {
        (table.name, e.entity_type): (
            e.source_table,
            e.pk_template.text,
            str(e.sk_template),
        )
        for table in contract.tables
        for e in table.entities
    }

    assert keys == {
        ("Users", "USER"): ("users", "{email}", "#META"),
        ("Users", "CART"): ("shopping_carts", "{user_email}", "CART#{product_id}"),
        ("Users", "ORDER"): ("orders", "{user_email}", "ORDER#{created_at}#{order_id}"),
        ("Users", "USERNAME_GUARD"): ("users", "USERNAME#{username}", "#UNIQUE"),
        ("Products", "Products"): ("products", "{id}", "#META"),
        ("Categories", "Categories"): ("categories", "{PK}", "{name}"),
    }


EXPECTED_ATTRIBUTES = {
    "USER": {
        "PK": S, "SK": S, "username": S, "email": S, "password_hash": S,
        "profile_data": AttributeType.M, "is_seller": BOOL, "super_admin": BOOL,
        "created_at": S, "updated_at": S, "version": N,
        "GSI1PK": S, "GSI1SK": S, "GSI2PK": S, "GSI2SK": S,
    },
    "CART": {
        "PK": S, "SK": S, "product_id": S, "quantity": N, "price": N, "product_name": S,
        "created_at": S, "updated_at": S,
    },
    "ORDER": {
        "PK": S, "SK": S, "user_id": S, "order_status": S, "total_amount": N,
        "order_items": AttributeType.L, "created_at": S, "updated_at": S, "order_id": S,
        "version": N, "GSI3PK": S, "GSI3SK": S,
    },
    "USERNAME_GUARD": {"PK": S, "SK": S, "user_id": S},
    "Products": {
        "PK": S, "SK": S, "seller_id": S, "category_id": S, "category_path": S,
        "product_name": S, "description": S, "price": N, "inventory_quantity": N,
        "image_url": S, "created_at": S, "updated_at": S, "version": N,
        "GSI1PK": S, "GSI1SK": S, "GSI2PK": S, "GSI2SK": S,
    },
    "Categories": {
        "PK": S, "SK": S, "category_id": S, "parent_id": S, "parent_name": S,
        "category_name": S, "category_path": S, "level": N, "children_count": N,
        "product_count": N, "created_at": S, "version": N, "GSI1PK": S, "GSI1SK": S,
    },
}  # fmt: skip


def test_attributes_and_types(contract: Contract) -> None:
    actual = {
        entity.entity_type: {a.name: a.type for a in entity.attributes}
        for table in contract.tables
        for entity in table.entities
    }

    assert actual == EXPECTED_ATTRIBUTES


def test_index_keys_come_from_the_columns_of_store_md(contract: Contract) -> None:
    def source(table: str, entity: str, name: str) -> object:
        attribute = contract.table(table).entity(entity).attribute(name)
        return attribute.source_column

    assert [source("Users", "USER", f"GSI{n}") for n in ("1PK", "1SK", "2PK", "2SK")] == [
        "id",
        "id",
        "username",
        "username",
    ]
    assert [source("Users", "ORDER", k) for k in ("GSI3PK", "GSI3SK")] == ["id", "id"]
    assert [source("Products", "Products", k) for k in ("GSI1PK", "GSI1SK")] == [
        "category_id",
        "name",
    ]
    assert [source("Products", "Products", k) for k in ("GSI2PK", "GSI2SK")] == [
        "seller_id",
        "name",
    ]
    assert source("Categories", "Categories", "GSI1SK") == "id"


def test_denormalized_attributes_are_flagged_with_a_justification(contract: Contract) -> None:
    flagged = {
        (table.name, entity.entity_type, attribute.name)
        for table in contract.tables
        for entity in table.entities
        for attribute in entity.denormalized
    }

    assert flagged == {
        ("Users", "CART", "price"),
        ("Users", "CART", "product_name"),
        ("Products", "Products", "category_path"),
        ("Categories", "Categories", "category_path"),
    }
    for table in contract.tables:
        for entity in table.entities:
            for attribute in entity.denormalized:
                assert attribute.justification, attribute.name


def test_joins_and_calculations(contract: Contract) -> None:
    users = contract.table("Users")
    cart, order, user = users.entity("CART"), users.entity("ORDER"), users.entity("USER")
    (product,) = contract.table("Products").entities
    (category,) = contract.table("Categories").entities

    for attribute, column in (("price", "products.price"), ("product_name", "products.name")):
        join = cart.attribute(attribute).join
        assert isinstance(join, ForeignKeyJoin)
        assert (join.target_table, join.select_column) == ("products", column)
    for entity in (cart, order):
        join = entity.attribute("PK").join
        assert isinstance(join, ForeignKeyJoin)
        assert join.select_column == "users.email"
    path = product.attribute("category_path").join
    assert isinstance(path, ForeignKeyJoin)
    assert path.select_column == "categories.name"

    profile = user.attribute("profile_data").join
    assert isinstance(profile, JsonConstructionJoin)
    assert profile.construction.type is ConstructionType.OBJECT
    assert set(profile.construction.select_columns) == {"first_name", "last_name"}
    lines = order.attribute("order_items").join
    assert isinstance(lines, JsonConstructionJoin)
    assert lines.target_table == "order_items"
    assert lines.construction.type is ConstructionType.ARRAY
    assert dict(lines.construction.select_columns) == {
        "product_id": "order_items.product_id",
        "quantity": "order_items.quantity",
        "price": "order_items.price_at_time",
    }
    assert lines.construction.order_by == "order_items.id"

    for key in ("PK", "GSI1PK"):
        root = category.attribute(key).join
        assert isinstance(root, ConditionalJoin)
        assert root.else_value == "ROOT"
    assert isinstance(category.attribute("parent_name").join, SelfJoin)
    assert isinstance(category.attribute("category_path").join, SelfJoin)
    assert isinstance(category.attribute("level").calculation, CaseCalculation)
    for name, target in (("children_count", "categories"), ("product_count", "products")):
        count = category.attribute(name).calculation
        assert isinstance(count, AggregateCalculation)
        assert (count.operation, count.target_table) == (AggregateOperation.COUNT, target)


def test_constant_sort_keys_are_string_formats(contract: Contract) -> None:
    formats = {
        (entity.entity_type, "SK"): entity.attribute("SK").transformation
        for table in contract.tables
        for entity in table.entities
        if entity.entity_type in {"USER", "CART", "USERNAME_GUARD", "Products"}
    }

    assert {key: f.format for key, f in formats.items() if isinstance(f, StringFormat)} == {
        ("USER", "SK"): "#META",
        ("CART", "SK"): "CART#{product_id}",
        ("USERNAME_GUARD", "SK"): "#UNIQUE",
        ("Products", "SK"): "#META",
    }


def test_every_timestamp_has_the_same_sortable_utc_format(contract: Contract) -> None:
    stamps = [
        attribute.transformation
        for table in contract.tables
        for entity in table.entities
        for attribute in entity.attributes
        if attribute.name in {"created_at", "updated_at"}
    ]

    assert len(stamps) == 9
    assert {s.format if isinstance(s, DateFormat) else None for s in stamps} == {
        "YYYY-MM-DD[T]HH:mm:ss[Z]"
    }


def test_keys_render_from_the_contract(contract: Contract) -> None:
    order = contract.table("Users").entity("ORDER")
    created = order.attribute("created_at").transformation
    assert isinstance(created, DateFormat)

    created_at = created.pattern.render(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    sort_key = order.sk_template
    assert sort_key is not None

    assert sort_key.render({"created_at": created_at, "order_id": 17}) == (
        "ORDER#2026-01-02T03:04:05Z#17"
    )
    guard = contract.table("Users").entity("USERNAME_GUARD")
    assert guard.pk_template.render({"username": "alice"}) == "USERNAME#alice"
