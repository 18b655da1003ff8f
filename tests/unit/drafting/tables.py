"""Declared tables standing in for a reflected schema in the draft's unit tests."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from dal.contract.draft.inspect import SchemaInfo, SkippedTable

__all__ = ["schema_of", "shop"]


def schema_of(*tables: Table) -> SchemaInfo:
    """A schema holding ``tables`` (by name), as :func:`inspect_schema` would give it."""
    by_name = {t.name: t for t in sorted(tables, key=lambda t: t.name)}
    return SchemaInfo("shop", by_name, ("a_view",), (SkippedTable("logs", "no key"),), (), ())


def shop() -> SchemaInfo:
    """Customers own orders (cascade); lines are keyed under orders; tags are many-to-many."""
    metadata = MetaData()
    customers = Table(
        "customers",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("email", String(100), nullable=False, unique=True),
        Column("referrer_id", Integer, ForeignKey("customers.id", ondelete="SET NULL")),
        Column("vip", Boolean, nullable=False),
    )
    orders = Table(
        "orders",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "customer_id", Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False
        ),
        Column("placed_at", DateTime, nullable=False),
        Index("idx_orders_placed_at", "placed_at"),
    )
    lines = Table(
        "order_lines",
        metadata,
        Column("order_id", Integer, ForeignKey("orders.id"), primary_key=True),
        Column("line", Integer, primary_key=True),
        Column("text", Text),
        Index("ft_lines_text", "text", mysql_prefix="FULLTEXT"),
    )
    tags = Table(
        "tags",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("label", String(30), nullable=False),
    )
    customer_tags = Table(
        "customer_tags",
        metadata,
        Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True),
        Column("tag_id", Integer, ForeignKey("tags.id"), primary_key=True),
    )
    notes = Table(
        "notes",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("order_id", Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    )
    return schema_of(customers, orders, lines, tags, customer_tags, notes)
