"""The store's migrations (after the layer's) on SQLite and MariaDB: empty and legacy databases."""

from __future__ import annotations

from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from mysql_legacy import LEGACY_IDS, create_legacy_store
from sqlalchemy import Engine, MetaData, inspect, text

from adapters.mysql import create_engine
from adapters.mysql.tables import id_blocks
from dal.cdc.checkpoints import positions_table
from dal.migrate.checkpoints import checkpoint_table
from dal.migrations import LAYER
from examples.store import NewCategory, NewOrder, NewOrderItem, NewProduct, NewUser, OrderStatus
from examples.store.migrations import STORE, upgrade
from examples.store.schema import metadata
from examples.store.sql import build_store
from interfaces import SteppingClock

_FULLTEXT = "ft_products_name_description"
_HISTORY = frozenset({"alembic_version", "dal_alembic_version"})


def current(engine: Engine) -> tuple[str | None, str | None]:
    """The layer's and the store's revisions of the database."""
    return LAYER.current(engine), STORE.current(engine)


def head() -> tuple[str, str]:
    """The latest revisions of the layer and of the store."""
    return LAYER.head(), STORE.head()


def _schema(engine: Engine) -> dict[str, object]:
    """Tables with their columns and index names, and the migration revision."""
    inspector = inspect(engine)
    return {
        table: (
            [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            sorted(str(i["name"]) for i in inspector.get_indexes(table)),
        )
        for table in sorted(inspector.get_table_names())
    } | {"revision": current(engine)}


def _layer_metadata() -> MetaData:
    """Every table the layer uses: the adapter's, the backfill's checkpoints, CDC's positions."""
    combined = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(combined)
    checkpoint_table.to_metadata(combined)
    id_blocks.to_metadata(combined)
    positions_table.to_metadata(combined)
    return combined


def _differences(engine: Engine) -> list[object]:
    """What the migrated schema lacks or has beyond the tables the layer defines."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        found = compare_metadata(context, _layer_metadata())
    return [
        d
        for d in found
        if not (isinstance(d, tuple) and d[0] == "remove_index" and d[1].name == _FULLTEXT)
        and not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name in _HISTORY)
    ]


def test_upgrade_creates_the_schema_the_adapter_uses(fresh_url: str) -> None:
    upgrade(fresh_url)
    engine = create_engine(fresh_url)
    try:
        assert current(engine) == head()
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_upgrade_twice_changes_nothing(fresh_url: str) -> None:
    engine = create_engine(fresh_url)
    try:
        upgrade(engine)
        before = _schema(engine)
        upgrade(engine)
        assert _schema(engine) == before
    finally:
        engine.dispose()


@pytest.mark.mysql
@pytest.mark.parametrize("backend", ["mariadb"])
def test_mysql_tables_are_innodb_utf8mb4_with_fulltext(engine: Engine) -> None:
    with engine.connect() as connection:
        options = connection.execute(
            text(
                "SELECT TABLE_NAME, ENGINE, TABLE_COLLATION FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> 'alembic_version'"
            )
        ).all()
        status_type = connection.execute(
            text(
                "SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                "DATABASE() AND TABLE_NAME = 'orders' AND COLUMN_NAME = 'status'"
            )
        ).scalar_one()
    assert {engine_name for _, engine_name, _ in options} == {"InnoDB"}
    assert all(collation.startswith("utf8mb4_") for _, _, collation in options)
    assert status_type == "enum('pending','completed','cancelled')"
    indexes = {i["name"] for i in inspect(engine).get_indexes("products")}
    assert _FULLTEXT in indexes


def test_legacy_database_keeps_its_tables_rows_and_ids(fresh_url: str) -> None:
    engine = create_engine(fresh_url)
    try:
        create_legacy_store(engine)
        legacy_indexes = {i["name"] for i in inspect(engine).get_indexes("users")}
        upgrade(engine)
        assert {i["name"] for i in inspect(engine).get_indexes("users")} == legacy_indexes
        with engine.connect() as connection:
            for table in ("users", "categories", "products", "orders"):
                versions = connection.execute(text(f"SELECT DISTINCT version FROM {table}"))
                assert versions.scalars().all() == [1], table
        store = build_store(engine, clock=SteppingClock())
        with store.unit_of_work():
            assert store.users.get(2).username == "Bob"
            assert store.users.get(7).is_seller is False  # NULL in the legacy row
            product = store.products.get(5)
            order = store.orders.get(4)
            path = [c.name for c in store.categories.path(3)]
        assert (product.price, product.inventory_quantity, product.version) == (
            Decimal("9.99"),
            4,
            1,
        )
        assert order.status is OrderStatus.COMPLETED
        assert [(i.product_id, i.quantity, i.price_at_time) for i in order.items] == [
            (5, 2, Decimal("9.99"))
        ]
        assert path == ["Books", "Sci-Fi"]
        assert product.created_at.utcoffset() is not None
    finally:
        engine.dispose()


def test_new_ids_continue_above_the_legacy_ids(fresh_url: str) -> None:
    engine = create_engine(fresh_url)
    try:
        create_legacy_store(engine)
        upgrade(engine)
        store = build_store(engine, clock=SteppingClock())
        with store.unit_of_work():
            user = store.users.create(NewUser(username="dan", email="dan@x.org", password_hash="h"))
            category = store.categories.create(NewCategory(name="Poetry"))
            product = store.products.create(
                NewProduct(seller_id=2, category_id=category.id, name="Odes", price=Decimal(3))
            )
            store.carts.add_item(user.id, product.id, 1)
            order = store.orders.create(
                NewOrder(
                    user_id=user.id,
                    items=(NewOrderItem(product_id=5, quantity=1, price_at_time=Decimal(1)),),
                )
            )
        with engine.connect() as connection:
            cart_id = connection.execute(
                text("SELECT id FROM shopping_carts WHERE user_id = :u"), {"u": user.id}
            ).scalar_one()
            item_id = connection.execute(
                text("SELECT id FROM order_items WHERE order_id = :o"), {"o": order.id}
            ).scalar_one()
        created = {
            "users": user.id,
            "categories": category.id,
            "products": product.id,
            "shopping_carts": cart_id,
            "orders": order.id,
            "order_items": item_id,
        }
        assert created == {table: largest + 1 for table, largest in LEGACY_IDS.items()}
    finally:
        engine.dispose()


def test_downgrade_removes_the_layer_additions_and_keeps_the_data(fresh_url: str) -> None:
    engine = create_engine(fresh_url)
    try:
        create_legacy_store(engine)
        upgrade(engine)
        STORE.downgrade(engine, "0001_legacy_schema")
        LAYER.downgrade(engine, "base")
        inspector = inspect(engine)
        assert "dal_id_blocks" not in inspector.get_table_names()
        assert "version" not in {c["name"] for c in inspector.get_columns("users")}
        STORE.downgrade(engine, "base")
        assert current(engine) == (None, None)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM users")).scalar_one() == 3
        upgrade(engine)
        assert current(engine) == head()
    finally:
        engine.dispose()
