"""CartRepository: upserting lines, listings with product details, totals, validation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from support.clocks import RecordingClock
from support.factories import Seeder

from examples.store import CartIssue, CartSummary, ProductChanges, Store
from interfaces import NotFound, ValidationFailed

MAX_INT = 2_147_483_647


def test_add_item_creates_a_line(store: Store, seed: Seeder, clock: RecordingClock) -> None:
    product, user = seed.product(), seed.user()
    mark = clock.mark()
    with store.unit_of_work():
        item = store.carts.add_item(user.id, product.id, 3)
    assert (item.user_id, item.product_id, item.quantity) == (user.id, product.id, 3)
    assert item.created_at == item.updated_at
    assert item.created_at in clock.issued_since(mark)
    assert item.created_at.utcoffset() == timedelta(0)
    with store.unit_of_work():
        assert store.carts.get_item(user.id, product.id) == item


def test_add_item_defaults_to_one_unit(store: Store, seed: Seeder) -> None:
    product, user = seed.product(), seed.user()
    with store.unit_of_work():
        assert store.carts.add_item(user.id, product.id).quantity == 1


def test_add_item_again_grows_the_line(store: Store, seed: Seeder, clock: RecordingClock) -> None:
    product, user = seed.product(), seed.user()
    with store.unit_of_work():
        first = store.carts.add_item(user.id, product.id, 2)
    mark = clock.mark()
    with store.unit_of_work():
        grown = store.carts.add_item(user.id, product.id, 5)
    assert grown.quantity == 7
    assert grown.created_at == first.created_at
    assert grown.updated_at in clock.issued_since(mark)
    assert grown.updated_at > first.updated_at
    with store.unit_of_work():
        assert store.carts.get_item(user.id, product.id) == grown
        assert len(store.carts.list_items(user.id)) == 1


@pytest.mark.parametrize("quantity", [0, -2])
def test_add_item_needs_a_positive_quantity(store: Store, seed: Seeder, quantity: int) -> None:
    product, user = seed.product(), seed.user()
    seed.cart(user.id, {product.id: 1})
    with store.unit_of_work():
        with pytest.raises(ValidationFailed) as raised:
            store.carts.add_item(user.id, product.id, quantity)
    assert raised.value.field == "quantity"
    with store.unit_of_work():
        assert store.carts.item_count(user.id) == 1


def test_add_item_beyond_the_largest_quantity_fails(store: Store, seed: Seeder) -> None:
    product, user = seed.product(), seed.user()
    seed.cart(user.id, {product.id: MAX_INT - 1})
    with store.unit_of_work():
        before = store.carts.get_item(user.id, product.id)
        with pytest.raises(ValidationFailed):
            store.carts.add_item(user.id, product.id, 2)
    with store.unit_of_work():
        assert store.carts.get_item(user.id, product.id) == before
        grown = store.carts.add_item(user.id, product.id, 1)
    assert grown.quantity == MAX_INT


def test_add_item_for_a_missing_user_or_product_fails(store: Store, seed: Seeder) -> None:
    product, user = seed.product(), seed.user()
    with store.unit_of_work():
        with pytest.raises(NotFound) as no_user:
            store.carts.add_item(6060, product.id)
        with pytest.raises(NotFound) as no_product:
            store.carts.add_item(user.id, 7070)
    assert (no_user.value.key, no_product.value.key) == (6060, 7070)
    with store.unit_of_work():
        assert store.carts.list_items(user.id) == []
        assert store.carts.list_items(6060) == []


def test_list_items_with_product_details(store: Store, seed: Seeder) -> None:
    user = seed.user()
    products = [
        seed.product(name="Ünïcödé 🦄", price="0.01"),
        seed.product(name="Second", price="10"),
        seed.product(name="Third", price="99999999.99"),
    ]
    seed.cart(user.id, {products[2].id: 1, products[0].id: 4, products[1].id: 2})
    with store.unit_of_work():
        lines = store.carts.list_items(user.id)
        items = [store.carts.get_item(user.id, p.id) for p in products]
    assert [line.product_id for line in lines] == [p.id for p in products]
    assert [line.quantity for line in lines] == [4, 2, 1]
    assert [(line.product_name, str(line.price)) for line in lines] == [
        ("Ünïcödé 🦄", "0.01"),
        ("Second", "10.00"),
        ("Third", "99999999.99"),
    ]
    for line, item in zip(lines, items, strict=True):
        assert item is not None
        assert line.model_dump(include=set(type(item).model_fields)) == item.model_dump()


def test_carts_are_per_user(store: Store, seed: Seeder) -> None:
    product = seed.product()
    ana, bob = seed.user(), seed.user()
    seed.cart(ana.id, {product.id: 2})
    with store.unit_of_work():
        assert store.carts.get_item(bob.id, product.id) is None
        assert store.carts.list_items(bob.id) == []
        assert store.carts.item_count(bob.id) == 0
        assert store.carts.item_count(ana.id) == 2


def test_item_count_and_summary(store: Store, seed: Seeder) -> None:
    user = seed.user()
    cheap = seed.product(price="0.01")
    dear = seed.product(price="1250.50")
    seed.cart(user.id, {cheap.id: 3, dear.id: 2})
    with store.unit_of_work():
        assert store.carts.item_count(user.id) == 5
        summary = store.carts.summary(user.id)
    assert summary == CartSummary(
        user_id=user.id, line_count=2, total_quantity=5, subtotal=Decimal("2501.03")
    )
    assert str(summary.subtotal) == "2501.03"


def test_summary_of_an_empty_cart(store: Store, seed: Seeder) -> None:
    user = seed.user()
    with store.unit_of_work():
        summary = store.carts.summary(user.id)
        assert store.carts.item_count(user.id) == 0
    assert summary == CartSummary(user_id=user.id, line_count=0, total_quantity=0, subtotal=0)
    assert str(summary.subtotal) == "0.00"


def test_repriced_product_in_the_cart(store: Store, seed: Seeder) -> None:
    """Lines may show the price and name from when they were added or the current ones."""
    user, product = seed.user(), seed.product(name="Old", price="2.00")
    seed.cart(user.id, {product.id: 3})
    changes = ProductChanges(name="New", price=Decimal("5.00"))
    with store.unit_of_work():
        store.products.update(product.id, product.seller_id, changes)
    with store.unit_of_work():
        (line,) = store.carts.list_items(user.id)
        summary = store.carts.summary(user.id)
    snapshot = (line.product_name, line.price) == ("Old", Decimal("2.00"))
    assert snapshot or (line.product_name, line.price) == ("New", Decimal("5.00"))
    assert summary.subtotal == line.price * 3


def test_validate_reports_lines_short_of_stock(store: Store, seed: Seeder) -> None:
    user = seed.user()
    plenty = seed.product(inventory_quantity=10)
    short = seed.product(inventory_quantity=2)
    exact = seed.product(inventory_quantity=3)
    gone = seed.product(inventory_quantity=0)
    seed.cart(user.id, {gone.id: 1, exact.id: 3, short.id: 5, plenty.id: 1})
    with store.unit_of_work():
        issues = store.carts.validate(user.id)
    assert issues == [
        CartIssue(product_id=short.id, requested=5, available=2),
        CartIssue(product_id=gone.id, requested=1, available=0),
    ]


def test_validate_a_cart_without_issues(store: Store, seed: Seeder) -> None:
    user, product = seed.user(), seed.product(inventory_quantity=1)
    with store.unit_of_work():
        assert store.carts.validate(user.id) == []
    seed.cart(user.id, {product.id: 1})
    with store.unit_of_work():
        assert store.carts.validate(user.id) == []


def test_update_quantity(store: Store, seed: Seeder, clock: RecordingClock) -> None:
    user, product = seed.user(), seed.product()
    seed.cart(user.id, {product.id: 4})
    with store.unit_of_work():
        before = store.carts.get_item(user.id, product.id)
    mark = clock.mark()
    with store.unit_of_work():
        updated = store.carts.update_quantity(user.id, product.id, 1)
    assert before is not None
    assert updated.quantity == 1
    assert updated.created_at == before.created_at
    assert updated.updated_at in clock.issued_since(mark)
    with store.unit_of_work():
        assert store.carts.get_item(user.id, product.id) == updated


def test_update_quantity_needs_a_positive_quantity(store: Store, seed: Seeder) -> None:
    user, product = seed.user(), seed.product()
    seed.cart(user.id, {product.id: 4})
    with store.unit_of_work():
        with pytest.raises(ValidationFailed):
            store.carts.update_quantity(user.id, product.id, 0)
    with store.unit_of_work():
        assert store.carts.item_count(user.id) == 4


def test_update_quantity_of_a_missing_line_fails(store: Store, seed: Seeder) -> None:
    user, product = seed.user(), seed.product()
    with store.unit_of_work():
        with pytest.raises(NotFound):
            store.carts.update_quantity(user.id, product.id, 2)
    with store.unit_of_work():
        assert store.carts.get_item(user.id, product.id) is None


def test_remove_item(store: Store, seed: Seeder) -> None:
    user = seed.user()
    one, two = seed.product(), seed.product()
    seed.cart(user.id, {one.id: 1, two.id: 2})
    with store.unit_of_work():
        store.carts.remove_item(user.id, one.id)
    with store.unit_of_work():
        assert store.carts.get_item(user.id, one.id) is None
        assert [line.product_id for line in store.carts.list_items(user.id)] == [two.id]
        with pytest.raises(NotFound):
            store.carts.remove_item(user.id, one.id)


def test_clear_returns_the_number_of_lines_removed(store: Store, seed: Seeder) -> None:
    ana, bob = seed.user(), seed.user()
    products = seed.products(3)
    seed.cart(ana.id, {p.id: 2 for p in products})
    seed.cart(bob.id, {products[0].id: 1})
    with store.unit_of_work():
        assert store.carts.clear(ana.id) == 3
    with store.unit_of_work():
        assert store.carts.list_items(ana.id) == []
        assert store.carts.clear(ana.id) == 0
        assert store.carts.item_count(bob.id) == 1
