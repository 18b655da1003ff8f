"""Declarations resolved for the tracker's reflected tables and the store's tables."""

from __future__ import annotations

from sqlalchemy import Table

from dal.contract import load_contract
from dal.entities import default_spec, resolve_specs
from examples.store import CONTRACT as STORE_CONTRACT_PATH
from examples.store.schema import metadata as store_metadata
from examples.tracker import CONTRACT
from examples.tracker.declarations import LABELS, PROJECTS, SPECS, TICKETS
from interfaces.entities import OnDelete

STORE_CONTRACT = STORE_CONTRACT_PATH


def test_the_tracker_without_declarations(reflected: dict[str, Table]) -> None:
    specs = resolve_specs(load_contract(CONTRACT), reflected)
    assert list(specs) == ["projects", "labels", "tickets"]
    for name, spec in specs.items():
        assert (
            spec.model.model_fields.keys()
            == default_spec(reflected[name]).model.model_fields.keys()
        )
        assert spec.key == default_spec(reflected[name]).key
    assert [(r.target, r.on_delete) for r in specs["tickets"].references] == [
        ("projects", OnDelete.RESTRICT),
        ("labels", OnDelete.SET_NULL),
    ]


def test_the_tracker_with_its_declarations(reflected: dict[str, Table]) -> None:
    specs = resolve_specs(load_contract(CONTRACT), reflected, SPECS)
    assert specs == {"projects": PROJECTS, "labels": LABELS, "tickets": TICKETS}


def test_the_tracker_with_some_declarations(reflected: dict[str, Table]) -> None:
    specs = resolve_specs(load_contract(CONTRACT), reflected, [TICKETS])
    assert specs["tickets"] is TICKETS
    assert specs["projects"].sensitive == frozenset()  # a default declares nothing sensitive
    assert specs["labels"].id_sequence == "labels"


def test_the_store_entities_are_its_main_tables_not_embedded_children() -> None:
    specs = resolve_specs(load_contract(STORE_CONTRACT), store_metadata.tables)
    assert set(specs) == {"users", "categories", "products", "shopping_carts", "orders"}
    assert list(specs) == ["users", "shopping_carts", "orders", "products", "categories"]
    assert "order_items" not in specs


def test_the_store_defaults() -> None:
    specs = resolve_specs(load_contract(STORE_CONTRACT), store_metadata.tables)
    users, carts, orders = specs["users"], specs["shopping_carts"], specs["orders"]
    assert users.id_sequence == "users"
    assert {u.fields for u in users.unique} == {("username",), ("email",)}
    assert users.version == "version"
    assert (carts.version, carts.created_at, carts.updated_at) == (
        None,
        "created_at",
        "updated_at",
    )
    assert [u.fields for u in carts.unique] == [("user_id", "product_id")]
    assert {(r.fields, r.target, r.on_delete) for r in carts.references} == {
        (("user_id",), "users", OnDelete.CASCADE),
        (("product_id",), "products", OnDelete.CASCADE),
    }
    assert [(r.fields, r.target, r.on_delete) for r in specs["categories"].references] == [
        (("parent_id",), "categories", OnDelete.SET_NULL)
    ]
    assert {q.name for q in orders.queries} == {"by_user_id", "by_status", "by_created_at"}
    price = specs["products"].model.model_validate(
        {
            "id": 1,
            "seller_id": 1,
            "category_id": 1,
            "name": "Lamp",
            "price": "9.9",
            "inventory_quantity": 3,
            "version": 1,
        }
    )
    assert str(price.price) == "9.90"  # type: ignore[attr-defined]
