"""Core table definitions of the store database: the legacy schema plus a version column.

The legacy schema (``reference/store.md``) is described as it stands, with a
``version`` column added to users, categories, products and orders for
optimistic concurrency. The store's Alembic migrations create the same schema.

Two column types carry the conversions every query needs: :class:`UtcTimestamp`
(aware UTC datetimes in, naive UTC in the database, aware UTC out) and
:class:`MoneyAmount` (``Decimal`` with two places, also on SQLite where the
driver has no decimal type).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.processors import to_decimal_processor_factory
from sqlalchemy.types import TypeDecorator, TypeEngine

from adapters.mysql.tables import MYSQL_DIALECTS
from interfaces.types import money

__all__ = [
    "ENTITY_NAMES",
    "ORDER_STATUSES",
    "REFERENCED_BY",
    "SEQUENCE_TABLES",
    "MoneyAmount",
    "UtcTimestamp",
    "categories",
    "metadata",
    "order_items",
    "orders",
    "products",
    "shopping_carts",
    "users",
]


ORDER_STATUSES = ("pending", "completed", "cancelled")
"""The values of the legacy ``orders.status`` ENUM."""

_CENT = Decimal("0.01")


class UtcTimestamp(TypeDecorator[datetime]):
    """A second-precision instant: ``TIMESTAMP`` on MySQL (session zone UTC), ``DATETIME`` else.

    Binds aware datetimes as naive UTC (whole seconds, the legacy precision) and
    returns aware UTC datetimes. A naive datetime is refused: its zone is unknown.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """``TIMESTAMP`` on MySQL-compatible servers, ``DATETIME`` elsewhere."""
        if dialect.name in MYSQL_DIALECTS:
            return dialect.type_descriptor(mysql.TIMESTAMP())
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware datetime to naive UTC, whole seconds."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"timestamp must be timezone-aware, got {value!r}")
        return value.astimezone(UTC).replace(tzinfo=None, microsecond=0)

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], datetime | None]:
        """Naive UTC from the database to aware UTC, in one step per value (reads are hot).

        SQLite holds the ISO text SQLAlchemy wrote (or ``CURRENT_TIMESTAMP`` wrote);
        MySQL drivers return naive datetimes in the session zone, UTC.
        """
        return _utc_from_text if dialect.name == "sqlite" else _utc


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc_from_text(value: str | datetime | None) -> datetime | None:
    if isinstance(value, str):
        try:  # naive UTC text, as written: parsing it with its zone is one C call
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:  # text that carries a zone of its own
            return _utc(datetime.fromisoformat(value))
    return _utc(value)


class MoneyAmount(TypeDecorator[Decimal]):
    """``DECIMAL(10,2)`` as ``Decimal`` with exactly two places.

    SQLite has no decimal type: amounts are bound as floats (exact for ten
    significant digits) and read back through their shortest representation.
    """

    impl = Numeric(10, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """``NUMERIC(10, 2)``, without the driver's float-to-Decimal conversion on SQLite."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(10, 2, asdecimal=False))
        return dialect.type_descriptor(Numeric(10, 2))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """A valid money amount, as the driver wants it."""
        if value is None:
            return None
        amount = money(value)
        return float(amount) if dialect.name == "sqlite" else amount

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], Decimal | None]:
        """Whatever the driver returned, as a two-place ``Decimal``, in one step per value."""
        return _money_from_number if dialect.name == "sqlite" else _money


_money_from_number = cast(Callable[[Any], Decimal | None], to_decimal_processor_factory(Decimal, 2))
"""SQLite's float or integer as a two-place Decimal (SQLAlchemy's compiled converter)."""


def _money(value: Decimal | float | int | str | None) -> Decimal | None:
    if value is None:
        return None
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    return amount.quantize(_CENT)


def _timestamps(*, updated: bool = True) -> list[Column[Any]]:
    columns: list[Column[Any]] = [Column("created_at", UtcTimestamp(), nullable=True)]
    if updated:
        columns.append(Column("updated_at", UtcTimestamp(), nullable=True))
    return columns


def _version() -> Column[int]:
    return Column("version", Integer, nullable=False, server_default="1")


def _indexes(table: str, *columns: str) -> list[Index]:
    """One plain index per column, named ``idx_<table>_<column>`` (SQLite names are global)."""
    return [Index(f"idx_{table}_{column}", column) for column in columns]


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


metadata = MetaData()
"""Every table the adapter reads and writes."""

users = Table(
    "users",
    metadata,
    _id(),
    Column("username", String(50), nullable=False),
    Column("email", String(100), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("first_name", String(50)),
    Column("last_name", String(50)),
    Column("is_seller", Boolean, server_default="0"),
    Column("super_admin", Boolean, server_default="0"),
    *_timestamps(),
    _version(),
    UniqueConstraint("username", name="username"),
    UniqueConstraint("email", name="email"),
    *_indexes("users", "username", "email", "is_seller", "super_admin"),
)

categories = Table(
    "categories",
    metadata,
    _id(),
    Column("name", String(100), nullable=False),
    Column("parent_id", Integer, ForeignKey("categories.id", ondelete="SET NULL")),
    *_timestamps(updated=False),
    _version(),
    *_indexes("categories", "parent_id", "name"),
)

products = Table(
    "products",
    metadata,
    _id(),
    Column("seller_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column(
        "category_id", Integer, ForeignKey("categories.id", ondelete="RESTRICT"), nullable=False
    ),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("price", MoneyAmount(), nullable=False),
    Column("inventory_quantity", Integer, nullable=False, server_default="0"),
    Column("image_url", String(500)),
    *_timestamps(),
    _version(),
    *_indexes("products", "seller_id", "category_id", "name", "price", "inventory_quantity"),
)

shopping_carts = Table(
    "shopping_carts",
    metadata,
    _id(),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("product_id", Integer, ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
    Column("quantity", Integer, nullable=False, server_default="1"),
    *_timestamps(),
    UniqueConstraint("user_id", "product_id", name="unique_user_product"),
    *_indexes("shopping_carts", "user_id"),
)

orders = Table(
    "orders",
    metadata,
    _id(),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("total_amount", MoneyAmount(), nullable=False),
    Column("status", Enum(*ORDER_STATUSES, name="order_status"), server_default="pending"),
    *_timestamps(),
    _version(),
    *_indexes("orders", "user_id", "status", "created_at"),
)

order_items = Table(
    "order_items",
    metadata,
    _id(),
    Column("order_id", Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("product_id", Integer, ForeignKey("products.id", ondelete="RESTRICT"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("price_at_time", MoneyAmount(), nullable=False),
    *_indexes("order_items", "order_id", "product_id"),
)


SEQUENCE_TABLES: dict[str, Table] = {
    t.name: t for t in (users, categories, products, shopping_carts, orders, order_items)
}
"""Legacy tables by the id sequence named after them."""

ENTITY_NAMES: dict[str, str] = {
    "users": "user",
    "categories": "category",
    "products": "product",
    "shopping_carts": "cart_item",
    "orders": "order",
    "order_items": "order_item",
}
"""The entity name errors use for each table."""

REFERENCED_BY: dict[str, str] = {"order_items": "orders", "shopping_carts": "carts"}
"""What a referencing table is called in a ReferenceConflict."""
