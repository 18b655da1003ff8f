"""Generated store data written straight into MySQL (bulk inserts), for migration tests.

Rows are valid for the store (foreign keys hold, names unique) and cover what
the contract maps: category trees three levels deep, products with and without
descriptions and images, cart lines, orders with several lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, insert

from examples.store.schema import categories, order_items, orders, products, shopping_carts, users

BASE = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Sizes:
    """How many rows of each table to generate."""

    users: int = 20
    categories: int = 9
    products: int = 40
    carts_per_user: int = 2
    orders_per_user: int = 1


def _at(serial: int) -> datetime:
    return BASE + timedelta(seconds=serial)


def fill(engine: Engine, sizes: Sizes = Sizes(), start: int = 1) -> None:
    """Insert generated rows (ids from ``start``) into an empty store database."""
    user_rows = [_user(start + n) for n in range(sizes.users)]
    category_rows = [_category(start + n, start) for n in range(sizes.categories)]
    first_category = start
    product_rows = [
        _product(start + n, start + n % sizes.users, first_category + n % sizes.categories)
        for n in range(sizes.products)
    ]
    cart_rows, order_rows, line_rows = [], [], []
    for n, user in enumerate(user_rows):
        for k in range(sizes.carts_per_user):
            product = product_rows[(n + k) % len(product_rows)]
            cart_rows.append(_cart(user["id"], product["id"], k + 1))
        for k in range(sizes.orders_per_user):
            order_id = start + n * sizes.orders_per_user + k
            lines = [product_rows[(n + k + j) % len(product_rows)] for j in range(2)]
            order_rows.append(_order(order_id, user["id"], lines))
            line_rows += [_line(order_id, p, j + 1) for j, p in enumerate(lines)]
    with engine.begin() as connection:
        for table, rows in (
            (users, user_rows),
            (categories, category_rows),
            (products, product_rows),
            (shopping_carts, cart_rows),
            (orders, order_rows),
            (order_items, line_rows),
        ):
            if rows:
                connection.execute(insert(table), rows)


def _user(n: int) -> dict[str, Any]:
    return {
        "id": n,
        "username": f"user{n}",
        "email": f"user{n}@example.com",
        "password_hash": f"$2b$12$secret{n}",
        "first_name": None if n % 3 == 0 else f"First{n}",
        "last_name": "" if n % 4 == 0 else f"Last{n}",
        "is_seller": n % 2 == 0,
        "super_admin": n % 7 == 0,
        "created_at": _at(n),
        "updated_at": _at(n),
        "version": 1,
    }


def _category(n: int, start: int) -> dict[str, Any]:
    offset = n - start
    parent = None if offset % 3 == 0 else n - 1  # chains root -> child -> grandchild
    return {
        "id": n,
        "name": f"Category {n}",
        "parent_id": parent,
        "created_at": _at(n),
        "version": 1,
    }


def _product(n: int, seller: int, category: int) -> dict[str, Any]:
    return {
        "id": n,
        "seller_id": seller,
        "category_id": category,
        "name": f"Product {n}",
        "description": None if n % 5 == 0 else f"Description {n}",
        "price": Decimal(n % 1000) + Decimal("0.99"),
        "inventory_quantity": n % 50,
        "image_url": None if n % 2 else f"https://img.example.com/{n}.png",
        "created_at": _at(n),
        "updated_at": _at(n),
        "version": 1,
    }


def _cart(user: int, product: int, quantity: int) -> dict[str, Any]:
    return {
        "user_id": user,
        "product_id": product,
        "quantity": quantity,
        "created_at": _at(user),
        "updated_at": _at(user),
    }


def _order(order_id: int, user: int, lines: list[dict[str, Any]]) -> dict[str, Any]:
    total = sum((line["price"] * (j + 1) for j, line in enumerate(lines)), Decimal("0.00"))
    return {
        "id": order_id,
        "user_id": user,
        "total_amount": total,
        "status": "pending",
        "created_at": _at(order_id),
        "updated_at": _at(order_id),
        "version": 1,
    }


def _line(order_id: int, product: dict[str, Any], quantity: int) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "product_id": product["id"],
        "quantity": quantity,
        "price_at_time": product["price"],
    }


def scan_all(raw: Any, table: str) -> list[dict[str, Any]]:
    """Every item of ``table`` in wire form (consistent reads)."""
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = raw.scan(**request)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def item_count(raw: Any, table: str) -> int:
    """How many items ``table`` holds."""
    return len(scan_all(raw, table))
