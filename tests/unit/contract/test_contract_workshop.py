"""The workshop's own migrationContract.json loads, with every derivation typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from dal.contract import (
    AggregateCalculation,
    AggregateOperation,
    AttributeType,
    ConditionalJoin,
    ConstructionType,
    Contract,
    ForeignKeyJoin,
    JsonConstructionJoin,
    SelfJoin,
    StringFormat,
    TableType,
    load_contract,
)


@pytest.fixture
def workshop(fixtures_dir: Path) -> Contract:
    return load_contract(fixtures_dir / "workshop_migration_contract.json")


def test_tables_and_kinds(workshop: Contract) -> None:
    assert workshop.table_names == ("Users", "Products", "Categories")
    assert [table.type for table in workshop.tables] == [
        TableType.MULTI_ENTITY,
        TableType.SINGLE_ENTITY,
        TableType.SINGLE_ENTITY,
    ]
    assert [gsi.index_name for gsi in workshop.table("Users").gsis] == ["GSI1", "GSI2", "GSI3"]


def test_multi_entity_templates(workshop: Contract) -> None:
    users = workshop.table("Users")

    templates = {e.entity_type: (e.pk_template.text, str(e.sk_template)) for e in users.entities}

    assert templates == {
        "USER": ("{email}", "#META"),
        "CART": ("{user_email}", "CART#{product_id}"),
        "ORDER": ("{user_email}", "ORDER#{created_at}#{order_id}"),
    }


def test_single_entity_tables_expose_one_synthetic_entity(workshop: Contract) -> None:
    (products,) = workshop.table("Products").entities
    (categories,) = workshop.table("Categories").entities

    assert products.synthetic
    assert (products.entity_type, products.pk_template.text) == ("Products", "{id}")
    assert str(products.sk_template) == "#META"
    # a key computed by a join is the value of the key attribute itself
    assert (categories.pk_template.text, str(categories.sk_template)) == ("{PK}", "{name}")
    assert products.attributes == workshop.table("Products").attributes


def test_derivations_are_typed(workshop: Contract) -> None:
    cart = workshop.table("Users").entity("CART")
    order = workshop.table("Users").entity("ORDER")
    categories = workshop.table("Categories").entity("Categories")

    price = cart.attribute("price")
    assert isinstance(price.join, ForeignKeyJoin)
    assert price.join.select_column == "products.price"
    assert price.denormalized
    assert price.justification == "Avoid product lookup for cart display"
    assert isinstance(cart.attribute("SK").transformation, StringFormat)

    items = order.attribute("order_items").join
    assert isinstance(items, JsonConstructionJoin)
    assert items.construction.type is ConstructionType.ARRAY
    assert dict(items.construction.select_columns) == {
        "product_id": "product_id",
        "quantity": "quantity",
        "price_at_time": "price_at_time",
    }
    assert order.attribute("order_items").type is AttributeType.S  # JSON text

    root = categories.attribute("PK").join
    assert isinstance(root, ConditionalJoin)
    assert root.else_value == "ROOT"
    assert isinstance(categories.attribute("category_path").join, SelfJoin)
    count = categories.attribute("product_count").calculation
    assert isinstance(count, AggregateCalculation)
    assert count.operation is AggregateOperation.COUNT


def test_key_types(workshop: Contract) -> None:
    users = workshop.table("Users")

    assert users.key_attributes == (
        "PK",
        "SK",
        "GSI1PK",
        "GSI1SK",
        "GSI2PK",
        "GSI2SK",
        "GSI3PK",
        "GSI3SK",
    )
    assert set(users.key_types.values()) == {AttributeType.S}


def test_lookups_name_what_is_missing(workshop: Contract) -> None:
    with pytest.raises(KeyError, match="no table 'Orders' in the contract"):
        workshop.table("Orders")
    with pytest.raises(KeyError, match="table Users has no entity 'PRODUCT'"):
        workshop.table("Users").entity("PRODUCT")
    with pytest.raises(KeyError, match="table Users has no index 'GSI9'"):
        workshop.table("Users").gsi("GSI9")
    with pytest.raises(KeyError, match="entity USER has no attribute 'age'"):
        workshop.table("Users").entity("USER").attribute("age")
