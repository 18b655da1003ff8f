"""ProductRepository: create, details, owner-checked changes and delete, inventory."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from support.clocks import RecordingClock
from support.factories import Seeder, new_product

from conformance.backends import Backend
from examples.store import (
    InsufficientInventory,
    NewProduct,
    NotOwner,
    Product,
    ProductChanges,
    Store,
)
from interfaces import ConcurrencyConflict, NotFound, ReferenceConflict, ValidationFailed

MAX_INT = 2_147_483_647


def test_create_product(store: Store, seed: Seeder, clock: RecordingClock) -> None:
    seller, category = seed.seller(), seed.category()
    new = NewProduct(
        seller_id=seller.id,
        category_id=category.id,
        name="Café ☕ 咖啡",
        description="Arabica, 250 g",
        price=Decimal("12.50"),
        inventory_quantity=7,
        image_url="https://img.example.com/café.png",
    )
    mark = clock.mark()
    with store.unit_of_work():
        product = store.products.create(new)
    assert product.model_dump(include=set(NewProduct.model_fields)) == new.model_dump()
    assert product.version == 1
    assert product.created_at == product.updated_at
    assert product.created_at in clock.issued_since(mark)
    assert product.created_at.utcoffset() == timedelta(0)
    with store.unit_of_work():
        assert store.products.get(product.id) == product


def test_create_product_defaults(store: Store, seed: Seeder) -> None:
    seller, category = seed.seller(), seed.category()
    new = NewProduct(seller_id=seller.id, category_id=category.id, name="Bare", price=1)
    with store.unit_of_work():
        product = store.products.create(new)
    with store.unit_of_work():
        stored = store.products.get(product.id)
    assert (stored.description, stored.image_url, stored.inventory_quantity) == (None, None, 0)


@pytest.mark.parametrize(
    ("price", "stored"),
    [
        (Decimal("10"), "10.00"),
        (Decimal("10.00"), "10.00"),
        (Decimal("10.5"), "10.50"),
        (Decimal("0.01"), "0.01"),
        (Decimal("0"), "0.00"),
        (Decimal("99999999.99"), "99999999.99"),
        ("1234567.89", "1234567.89"),
    ],
    ids=["int", "two-places", "one-place", "cent", "zero", "eight-digits", "string"],
)
def test_price_keeps_two_decimal_places(
    store: Store, seed: Seeder, price: Decimal | str, stored: str
) -> None:
    product = seed.product(price=price)
    with store.unit_of_work():
        fetched = store.products.get(product.id)
    assert str(product.price) == stored
    assert str(fetched.price) == stored


@pytest.mark.parametrize(
    ("description", "image_url"),
    [("", ""), (None, None), ("長い説明 🦄 " * 1000, "https://x.example/" + "é" * 482)],
    ids=["empty", "missing", "long-unicode"],
)
def test_optional_text_round_trips(
    store: Store, seed: Seeder, description: str | None, image_url: str | None
) -> None:
    product = seed.product(description=description, image_url=image_url)
    with store.unit_of_work():
        fetched = store.products.get(product.id)
    assert (fetched.description, fetched.image_url) == (description, image_url)


def test_create_product_for_a_missing_seller_or_category_fails(store: Store, seed: Seeder) -> None:
    seller, category = seed.seller(), seed.category()
    with store.unit_of_work():
        with pytest.raises(NotFound) as no_seller:
            store.products.create(new_product(1, 9001, category.id))
        with pytest.raises(NotFound) as no_category:
            store.products.create(new_product(2, seller.id, 9002))
    assert (no_seller.value.key, no_category.value.key) == (9001, 9002)
    with store.unit_of_work():
        assert store.products.list().items == ()


def test_create_product_by_a_non_seller_fails(store: Store, seed: Seeder) -> None:
    buyer, category = seed.user(), seed.category()
    with store.unit_of_work():
        with pytest.raises(NotOwner) as raised:
            store.products.create(new_product(1, buyer.id, category.id))
    assert raised.value.actor == buyer.id
    with store.unit_of_work():
        assert store.products.list().items == ()


def test_get_details(store: Store, seed: Seeder) -> None:
    seller = seed.seller(username="mañana_shop")
    category = seed.category("Jardín 🌱")
    product = seed.product(seller_id=seller.id, category_id=category.id)
    with store.unit_of_work():
        details = store.products.get_details(product.id)
    assert (details.category_name, details.seller_username) == ("Jardín 🌱", "mañana_shop")
    assert Product.model_validate(details.model_dump(include=set(Product.model_fields))) == product


def test_update_product(store: Store, seed: Seeder, clock: RecordingClock) -> None:
    product = seed.product(image_url="https://img.example.com/a.png", inventory_quantity=4)
    other = seed.category()
    changes = ProductChanges(
        name="Renamed ✓", description="", price=Decimal("5"), category_id=other.id
    )
    mark = clock.mark()
    with store.unit_of_work():
        updated = store.products.update(product.id, product.seller_id, changes)
    assert (updated.name, updated.description, str(updated.price), updated.category_id) == (
        "Renamed ✓",
        "",
        "5.00",
        other.id,
    )
    assert (updated.image_url, updated.inventory_quantity) == (product.image_url, 4)
    assert updated.version == product.version + 1
    assert updated.created_at == product.created_at
    assert updated.updated_at in clock.issued_since(mark)
    assert updated.updated_at > product.updated_at
    with store.unit_of_work():
        assert store.products.get(product.id) == updated


def test_update_clears_nullable_fields_with_none(store: Store, seed: Seeder) -> None:
    product = seed.product(description="text", image_url="https://img.example.com/a.png")
    changes = ProductChanges(description=None, image_url=None)
    with store.unit_of_work():
        updated = store.products.update(product.id, product.seller_id, changes)
    assert (updated.description, updated.image_url, updated.name) == (None, None, product.name)
    with store.unit_of_work():
        assert store.products.get(product.id) == updated


def test_update_by_another_seller_fails(store: Store, seed: Seeder) -> None:
    product = seed.product()
    intruder = seed.seller()
    with store.unit_of_work():
        with pytest.raises(NotOwner) as raised:
            store.products.update(product.id, intruder.id, ProductChanges(name="Mine"))
    assert (raised.value.key, raised.value.actor) == (product.id, intruder.id)
    with store.unit_of_work():
        assert store.products.get(product.id) == product


def test_update_to_a_missing_category_fails(store: Store, seed: Seeder) -> None:
    product = seed.product()
    with store.unit_of_work():
        with pytest.raises(NotFound) as raised:
            store.products.update(product.id, product.seller_id, ProductChanges(category_id=8080))
    assert raised.value.key == 8080
    with store.unit_of_work():
        assert store.products.get(product.id) == product


def test_update_product_with_versions(store: Store, seed: Seeder) -> None:
    product = seed.product()
    with store.unit_of_work():
        current = store.products.update(
            product.id, product.seller_id, ProductChanges(name="One"), expected_version=1
        )
    with store.unit_of_work():
        with pytest.raises(ConcurrencyConflict) as raised:
            store.products.update(
                product.id, product.seller_id, ProductChanges(name="Two"), expected_version=1
            )
    assert (raised.value.key, raised.value.expected_version) == (product.id, 1)
    with store.unit_of_work():
        assert store.products.get(product.id) == current


def test_delete_product_removes_it_from_carts(store: Store, seed: Seeder) -> None:
    product, kept = seed.product(), seed.product()
    buyer = seed.user()
    seed.cart(buyer.id, {product.id: 2, kept.id: 1})
    with store.unit_of_work():
        store.products.delete(product.id, product.seller_id)
    with store.unit_of_work():
        with pytest.raises(NotFound):
            store.products.get(product.id)
        assert [line.product_id for line in store.carts.list_items(buyer.id)] == [kept.id]
    with store.unit_of_work():
        assert store.products.list().items == (kept,)


def test_delete_by_another_seller_fails(store: Store, seed: Seeder) -> None:
    product = seed.product()
    intruder = seed.seller()
    with store.unit_of_work():
        with pytest.raises(NotOwner) as raised:
            store.products.delete(product.id, intruder.id)
    assert raised.value.actor == intruder.id
    with store.unit_of_work():
        assert store.products.get(product.id) == product


def test_delete_ordered_product_is_refused(store: Store, seed: Seeder) -> None:
    product = seed.product()
    buyer = seed.user()
    seed.cart(buyer.id, {product.id: 1})
    order = seed.order(buyer.id, [(product, 1)])
    with store.unit_of_work():
        with pytest.raises(ReferenceConflict) as raised:
            store.products.delete(product.id, product.seller_id)
    assert (raised.value.key, raised.value.referenced_by) == (product.id, "orders")
    with store.unit_of_work():
        assert store.products.get(product.id) == product
        assert store.orders.get(order.id) == order
        assert store.carts.item_count(buyer.id) == 1


@pytest.mark.parametrize("quantity", [0, 3, MAX_INT])
def test_set_inventory(store: Store, seed: Seeder, quantity: int) -> None:
    product = seed.product(inventory_quantity=10)
    with store.unit_of_work():
        updated = store.products.set_inventory(product.id, quantity)
    assert (updated.inventory_quantity, updated.version) == (quantity, 2)
    assert updated.updated_at > product.updated_at
    assert updated.created_at == product.created_at
    with store.unit_of_work():
        assert store.products.get(product.id) == updated


@pytest.mark.parametrize("quantity", [-1, MAX_INT + 1])
def test_set_inventory_out_of_range_fails(store: Store, seed: Seeder, quantity: int) -> None:
    product = seed.product(inventory_quantity=10)
    with store.unit_of_work():
        with pytest.raises(ValidationFailed):
            store.products.set_inventory(product.id, quantity)
    with store.unit_of_work():
        assert store.products.get(product.id) == product


def test_reduce_inventory(store: Store, seed: Seeder) -> None:
    product = seed.product(inventory_quantity=5)
    with store.unit_of_work():
        once = store.products.reduce_inventory(product.id, 2)
        emptied = store.products.reduce_inventory(product.id, 3)
    assert (once.inventory_quantity, once.version) == (3, 2)
    assert (emptied.inventory_quantity, emptied.version) == (0, 3)
    assert product.updated_at < once.updated_at < emptied.updated_at
    with store.unit_of_work():
        assert store.products.get(product.id) == emptied


def test_reduce_inventory_below_zero_fails(store: Store, seed: Seeder, backend: Backend) -> None:
    product = seed.product(inventory_quantity=2)
    with store.unit_of_work():
        with pytest.raises(InsufficientInventory) as raised:
            store.products.reduce_inventory(product.id, 3)
    error = raised.value
    assert (error.product_id, error.requested) == (product.id, 3)
    assert error.available == 2 if backend.reports_available_stock else error.available in (2, None)
    with store.unit_of_work():
        assert store.products.get(product.id) == product


@pytest.mark.parametrize("quantity", [0, -1])
def test_reduce_inventory_by_less_than_one_fails(store: Store, seed: Seeder, quantity: int) -> None:
    product = seed.product(inventory_quantity=2)
    with store.unit_of_work():
        with pytest.raises(ValidationFailed):
            store.products.reduce_inventory(product.id, quantity)
    with store.unit_of_work():
        assert store.products.get(product.id) == product


def test_has_inventory(store: Store, seed: Seeder) -> None:
    product = seed.product(inventory_quantity=3)
    empty = seed.product(inventory_quantity=0)
    with store.unit_of_work():
        assert store.products.has_inventory(product.id, 1)
        assert store.products.has_inventory(product.id, 3)
        assert not store.products.has_inventory(product.id, 4)
        assert not store.products.has_inventory(empty.id, 1)
