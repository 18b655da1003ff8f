"""NotFound from every keyed operation, and errors that leave the unit of work usable.

The keyed operations are data: each entry names an operation, calls it on a
small :class:`Existing` world with one key missing, and gives the key the
error should carry (``None`` when the key is not a single id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from support.factories import Seeder, new_product, new_user

from examples.store import (
    CategoryChanges,
    NewCategory,
    NewOrder,
    NewOrderItem,
    OrderStatus,
    ProductChanges,
    Store,
    UserChanges,
)
from interfaces import AlreadyExists, NotFound

MISSING = 424_242


@dataclass(frozen=True)
class Existing:
    """Ids of entities that do exist."""

    user: int
    seller: int
    category: int
    product: int


def order_of(user_id: int, product_id: int) -> NewOrder:
    item = NewOrderItem(product_id=product_id, quantity=1, price_at_time=Decimal("1.00"))
    return NewOrder(user_id=user_id, items=(item,))


Call = Callable[[Store, Existing], object]

KEYED: dict[str, tuple[Call, int | None]] = {
    "users.get": (lambda s, e: s.users.get(MISSING), MISSING),
    "users.update": (lambda s, e: s.users.update(MISSING, UserChanges(last_name="X")), MISSING),
    "users.upgrade_to_seller": (lambda s, e: s.users.upgrade_to_seller(MISSING), MISSING),
    "users.set_super_admin": (lambda s, e: s.users.set_super_admin(MISSING, True), MISSING),
    "users.delete": (lambda s, e: s.users.delete(MISSING), MISSING),
    "categories.get": (lambda s, e: s.categories.get(MISSING), MISSING),
    "categories.list_children": (lambda s, e: s.categories.list_children(MISSING), MISSING),
    "categories.path": (lambda s, e: s.categories.path(MISSING), MISSING),
    "categories.create-parent": (
        lambda s, e: s.categories.create(NewCategory(name="New", parent_id=MISSING)),
        MISSING,
    ),
    "categories.update": (
        lambda s, e: s.categories.update(MISSING, CategoryChanges(name="New")),
        MISSING,
    ),
    "categories.update-parent": (
        lambda s, e: s.categories.update(e.category, CategoryChanges(parent_id=MISSING)),
        MISSING,
    ),
    "categories.delete": (lambda s, e: s.categories.delete(MISSING), MISSING),
    "products.get": (lambda s, e: s.products.get(MISSING), MISSING),
    "products.get_details": (lambda s, e: s.products.get_details(MISSING), MISSING),
    "products.has_inventory": (lambda s, e: s.products.has_inventory(MISSING, 1), MISSING),
    "products.create-seller": (
        lambda s, e: s.products.create(new_product(1, MISSING, e.category)),
        MISSING,
    ),
    "products.create-category": (
        lambda s, e: s.products.create(new_product(1, e.seller, MISSING)),
        MISSING,
    ),
    "products.update": (
        lambda s, e: s.products.update(MISSING, e.seller, ProductChanges(name="New")),
        MISSING,
    ),
    "products.update-category": (
        lambda s, e: s.products.update(e.product, e.seller, ProductChanges(category_id=MISSING)),
        MISSING,
    ),
    "products.delete": (lambda s, e: s.products.delete(MISSING, e.seller), MISSING),
    "products.set_inventory": (lambda s, e: s.products.set_inventory(MISSING, 1), MISSING),
    "products.reduce_inventory": (lambda s, e: s.products.reduce_inventory(MISSING, 1), MISSING),
    "carts.add_item-user": (lambda s, e: s.carts.add_item(MISSING, e.product), MISSING),
    "carts.add_item-product": (lambda s, e: s.carts.add_item(e.user, MISSING), MISSING),
    "carts.update_quantity": (lambda s, e: s.carts.update_quantity(e.user, e.product, 2), None),
    "carts.remove_item": (lambda s, e: s.carts.remove_item(e.user, e.product), None),
    "orders.get": (lambda s, e: s.orders.get(MISSING), MISSING),
    "orders.create-user": (lambda s, e: s.orders.create(order_of(MISSING, e.product)), MISSING),
    "orders.create-product": (lambda s, e: s.orders.create(order_of(e.user, MISSING)), MISSING),
    "orders.update_status": (
        lambda s, e: s.orders.update_status(MISSING, OrderStatus.COMPLETED),
        MISSING,
    ),
    "orders.checkout": (lambda s, e: s.orders.checkout(MISSING), MISSING),
}


@pytest.fixture
def existing(seed: Seeder) -> Existing:
    product = seed.product()
    return Existing(
        user=seed.user().id,
        seller=product.seller_id,
        category=product.category_id,
        product=product.id,
    )


@pytest.mark.parametrize("operation", list(KEYED))
def test_missing_key_raises_not_found(store: Store, existing: Existing, operation: str) -> None:
    call, key = KEYED[operation]
    with store.unit_of_work():
        with pytest.raises(NotFound) as raised:
            call(store, existing)
    assert isinstance(raised.value.entity, str)
    assert raised.value.entity
    if key is not None:
        assert raised.value.key == key


def test_finders_return_none_or_false_for_missing_keys(store: Store, existing: Existing) -> None:
    with store.unit_of_work():
        assert store.users.find_by_username("missing") is None
        assert store.users.find_by_email("missing@example.com") is None
        assert store.carts.get_item(existing.user, MISSING) is None
        assert store.carts.get_item(MISSING, existing.product) is None
        assert not store.categories.exists(MISSING)
        assert not store.categories.is_valid_parent(MISSING)


def test_work_after_a_refused_command_is_kept(store: Store, seed: Seeder) -> None:
    """A caller that catches an error may go on in the same unit of work; nothing is lost."""
    taken = seed.user()
    with store.unit_of_work():
        before = store.users.create(new_user(101))
        with pytest.raises(AlreadyExists):
            store.users.create(new_user(102, username=taken.username))
        with pytest.raises(NotFound):
            store.users.get(MISSING)
        after = store.users.create(new_user(103))
    with store.unit_of_work():
        assert store.users.get(before.id) == before
        assert store.users.get(after.id) == after
        assert store.users.get(taken.id) == taken
        assert store.users.find_by_username("user102") is None
