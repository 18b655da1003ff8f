"""The legacy store schema, created where absent.

Revision ID: 0001_legacy_schema
Revises:
Create Date: 2026-01-01

Creates each table of the store (``reference/store.md``) that does not exist
yet, with its keys and indexes, and leaves every existing table as it is: on a
running store database this revision changes nothing.

On MySQL/MariaDB the tables are InnoDB, utf8mb4 with a binary NO PAD collation
(exact, code-point ordered comparisons, as the layer's other backends make),
``TIMESTAMP`` columns default to ``CURRENT_TIMESTAMP`` (``updated_at`` also
``ON UPDATE``), ``status`` is an ``ENUM``, and products have a FULLTEXT index on
name and description. SQLite gets the equivalents (``DATETIME``, a ``VARCHAR``
status, no FULLTEXT).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect

revision: str = "0001_legacy_schema"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL = ("mysql", "mariadb")
_STATUSES = ("pending", "completed", "cancelled")


def _is_mysql(dialect: Dialect) -> bool:
    return dialect.name in _MYSQL


def _exact_collation(dialect: Dialect) -> str:
    """utf8mb4's binary NO PAD collation on this server."""
    if getattr(dialect, "is_mariadb", False):
        return "utf8mb4_nopad_bin"
    version = getattr(dialect, "server_version_info", None) or (0,)
    return "utf8mb4_0900_bin" if version >= (8, 0, 17) else "utf8mb4_bin"


def _table_options(dialect: Dialect) -> dict[str, Any]:
    if not _is_mysql(dialect):
        return {}
    options = {"engine": "InnoDB", "charset": "utf8mb4", "collate": _exact_collation(dialect)}
    return {f"{prefix}_{k}": v for prefix in _MYSQL for k, v in options.items()}


def _timestamp(name: str, dialect: Dialect, on_update: bool = False) -> sa.Column[Any]:
    if _is_mysql(dialect):
        default = "CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP" if on_update else None
        return sa.Column(
            name,
            mysql.TIMESTAMP(),
            nullable=True,
            server_default=sa.text(default or "CURRENT_TIMESTAMP"),
        )
    return sa.Column(name, sa.DateTime(), nullable=True, server_default=sa.func.current_timestamp())


def _stamps(dialect: Dialect, updated: bool = True) -> list[sa.Column[Any]]:
    columns = [_timestamp("created_at", dialect)]
    if updated:
        columns.append(_timestamp("updated_at", dialect, on_update=True))
    return columns


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def _fk(column: str, target: str, on_delete: str, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(
        column, sa.Integer(), sa.ForeignKey(f"{target}.id", ondelete=on_delete), nullable=nullable
    )


def _users(dialect: Dialect) -> list[Any]:
    return [
        _id(),
        sa.Column("username", sa.String(50), nullable=False),
        sa.Column("email", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("first_name", sa.String(50)),
        sa.Column("last_name", sa.String(50)),
        sa.Column("is_seller", sa.Boolean(), server_default=sa.text("0")),
        sa.Column("super_admin", sa.Boolean(), server_default=sa.text("0")),
        *_stamps(dialect),
        sa.UniqueConstraint("username", name="username"),
        sa.UniqueConstraint("email", name="email"),
    ]


def _categories(dialect: Dialect) -> list[Any]:
    return [
        _id(),
        sa.Column("name", sa.String(100), nullable=False),
        _fk("parent_id", "categories", "SET NULL", nullable=True),
        *_stamps(dialect, updated=False),
    ]


def _products(dialect: Dialect) -> list[Any]:
    return [
        _id(),
        _fk("seller_id", "users", "CASCADE"),
        _fk("category_id", "categories", "RESTRICT"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("price", sa.Numeric(10, 2), nullable=False),
        sa.Column("inventory_quantity", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("image_url", sa.String(500)),
        *_stamps(dialect),
    ]


def _shopping_carts(dialect: Dialect) -> list[Any]:
    return [
        _id(),
        _fk("user_id", "users", "CASCADE"),
        _fk("product_id", "products", "CASCADE"),
        sa.Column("quantity", sa.Integer(), nullable=False, server_default=sa.text("1")),
        *_stamps(dialect),
        sa.UniqueConstraint("user_id", "product_id", name="unique_user_product"),
    ]


def _orders(dialect: Dialect) -> list[Any]:
    return [
        _id(),
        _fk("user_id", "users", "CASCADE"),
        sa.Column("total_amount", sa.Numeric(10, 2), nullable=False),
        sa.Column("status", sa.Enum(*_STATUSES, name="order_status"), server_default="pending"),
        *_stamps(dialect),
    ]


def _order_items(dialect: Dialect) -> list[Any]:
    return [
        _id(),
        _fk("order_id", "orders", "CASCADE"),
        _fk("product_id", "products", "RESTRICT"),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price_at_time", sa.Numeric(10, 2), nullable=False),
    ]


_TABLES: tuple[tuple[str, Callable[[Dialect], list[Any]], tuple[str, ...]], ...] = (
    ("users", _users, ("username", "email", "is_seller", "super_admin")),
    ("categories", _categories, ("parent_id", "name")),
    ("products", _products, ("seller_id", "category_id", "name", "price", "inventory_quantity")),
    ("shopping_carts", _shopping_carts, ("user_id",)),
    ("orders", _orders, ("user_id", "status", "created_at")),
    ("order_items", _order_items, ("order_id", "product_id")),
)
"""Each legacy table (parents first), its columns and constraints, its plain indexes."""


def upgrade() -> None:
    """Create every legacy table that does not exist yet."""
    bind = op.get_bind()
    dialect = bind.dialect
    existing = set(sa.inspect(bind).get_table_names())
    for name, columns, indexed in _TABLES:
        if name in existing:
            continue
        op.create_table(name, *columns(dialect), **_table_options(dialect))
        for column in indexed:
            op.create_index(f"idx_{name}_{column}", name, [column])
        if name == "products" and _is_mysql(dialect):
            op.create_index(
                "ft_products_name_description",
                "products",
                ["name", "description"],
                mysql_prefix="FULLTEXT",
                mariadb_prefix="FULLTEXT",
            )


def downgrade() -> None:
    """Leave the store's tables in place.

    This revision cannot tell whether it created a table or found it holding the
    store's data, so reverting it never drops anything.
    """
