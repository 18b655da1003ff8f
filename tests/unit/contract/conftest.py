"""A small valid contract to break in one place per test, and the fixture files."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "contracts"
PROJECT_ROOT = Path(__file__).resolve().parents[3]


def _attribute(name: str, kind: str, table: str, column: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "source_table": table, "source_column": column, **extra}


_MINIMAL: dict[str, Any] = {
    "tables": [
        {
            "table": "Users",
            "type": "multi-entity",
            "source_table": "users",
            "pk": "PK",
            "sk": "SK",
            "gsis": [{"index_name": "GSI1", "pk": "GSI1PK", "sk": "GSI1SK", "projection": "ALL"}],
            "entities": [
                {
                    "entity_type": "USER",
                    "source_table": "users",
                    "pk_template": "{email}",
                    "sk_template": "#META",
                    "attributes": [
                        _attribute("email", "S", "users", "email"),
                        _attribute("GSI1PK", "S", "users", "id"),
                        _attribute("GSI1SK", "S", "users", "id"),
                    ],
                },
                {
                    "entity_type": "CART",
                    "source_table": "shopping_carts",
                    "pk_template": "{user_email}",
                    "sk_template": "CART#{product_id}",
                    "attributes": [
                        _attribute(
                            "PK",
                            "S",
                            "shopping_carts",
                            "user_id",
                            join={
                                "type": "foreign-key",
                                "target_table": "users",
                                "join_condition": "users.id = shopping_carts.user_id",
                                "select_column": "users.email",
                            },
                        ),
                        _attribute(
                            "SK",
                            "S",
                            "shopping_carts",
                            "product_id",
                            transformation={"type": "string-format", "format": "CART#{product_id}"},
                        ),
                        _attribute(
                            "price",
                            "N",
                            "shopping_carts",
                            "product_id",
                            join={
                                "type": "foreign-key",
                                "target_table": "products",
                                "join_condition": "products.id = shopping_carts.product_id",
                                "select_column": "products.price",
                            },
                            denormalized=True,
                            justification="cart display",
                        ),
                    ],
                },
            ],
            "satisfies": ["user by email"],
            "estimated_item_size_bytes": 1000,
        },
        {
            "table": "Products",
            "type": "single-entity",
            "source_table": "products",
            "pk": "PK",
            "sk": None,
            "gsis": [],
            "attributes": [
                _attribute("PK", "S", "products", "id"),
                _attribute("name", "S", "products", "name"),
                _attribute("price", "N", "products", "price"),
            ],
            "satisfies": [],
            "estimated_item_size_bytes": 500,
        },
    ]
}


@pytest.fixture
def contract_data() -> dict[str, Any]:
    """A fresh copy of a small valid contract (Users: USER and CART; Products)."""
    return copy.deepcopy(_MINIMAL)


@pytest.fixture
def fixtures_dir() -> Path:
    """tests/fixtures/contracts."""
    return FIXTURES


@pytest.fixture
def project_root() -> Path:
    """The root of the checkout."""
    return PROJECT_ROOT
