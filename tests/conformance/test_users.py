"""UserRepository: create, lookups, exact uniqueness, updates, flags, delete."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.clocks import RecordingClock
from support.factories import Seeder, new_user

from examples.store import NewUser, Store, UserChanges
from interfaces import AlreadyExists, ConcurrencyConflict, NotFound, ReferenceConflict


def test_create_user(store: Store, clock: RecordingClock) -> None:
    mark = clock.mark()
    new = NewUser(
        username="ada",
        email="ada@example.com",
        password_hash="$2b$12$abc",
        first_name="Ada",
        last_name="Lovelace",
    )
    with store.unit_of_work():
        user = store.users.create(new)
    assert user.model_dump(include=set(NewUser.model_fields)) == new.model_dump()
    assert user.version == 1
    assert user.created_at == user.updated_at
    assert user.created_at in clock.issued_since(mark)
    assert user.created_at.utcoffset() == timedelta(0)
    with store.unit_of_work():
        assert store.users.get(user.id) == user


def test_create_user_gives_new_ids(store: Store, seed: Seeder) -> None:
    users = [seed.user() for _ in range(3)]
    assert len({u.id for u in users}) == 3


def test_create_user_keeps_flags(store: Store, seed: Seeder) -> None:
    user = seed.user(is_seller=True, super_admin=True)
    with store.unit_of_work():
        stored = store.users.get(user.id)
    assert (stored.is_seller, stored.super_admin) == (True, True)


@pytest.mark.parametrize(
    ("username", "email", "first_name", "last_name"),
    [
        ("josé", "josé@exämple.org", "José", "Ñúñez"),
        ("山田太郎", "yamada@例え.jp", "太郎", "山田"),
        ("🦄unicorn", "🦄@example.com", "🦄", "👩‍💻"),
        ("界" * 50, "a" * 90 + "@ex.com", "🦄" * 50, "é" * 50),
    ],
    ids=["accents", "cjk", "emoji", "max-length"],
)
def test_unicode_user_fields_round_trip(
    store: Store, username: str, email: str, first_name: str, last_name: str
) -> None:
    new = NewUser(
        username=username,
        email=email,
        password_hash="h",
        first_name=first_name,
        last_name=last_name,
    )
    with store.unit_of_work():
        user = store.users.create(new)
    with store.unit_of_work():
        assert store.users.get(user.id) == user
        assert store.users.find_by_username(username) == user
        assert store.users.find_by_email(email) == user
    assert (user.username, user.email, user.first_name, user.last_name) == (
        username,
        email,
        first_name,
        last_name,
    )


def test_empty_names_are_kept_apart_from_missing_ones(store: Store, seed: Seeder) -> None:
    user = seed.user(first_name="", last_name=None)
    with store.unit_of_work():
        stored = store.users.get(user.id)
    assert stored.first_name == ""
    assert stored.last_name is None


def test_find_by_username_and_email(store: Store, seed: Seeder) -> None:
    user = seed.user(username="grace", email="grace@example.com")
    seed.user()
    with store.unit_of_work():
        assert store.users.find_by_username("grace") == user
        assert store.users.find_by_email("grace@example.com") == user
        assert store.users.find_by_username("nobody") is None
        assert store.users.find_by_email("nobody@example.com") is None
        assert store.users.username_exists("grace")
        assert store.users.email_exists("grace@example.com")
        assert not store.users.username_exists("nobody")
        assert not store.users.email_exists("nobody@example.com")


EXACTLY_DIFFERENT = [("Alice", "alice"), ("José", "Jose"), ("bob", "bob "), ("ß", "ss")]


@pytest.mark.parametrize(
    ("first", "second"), EXACTLY_DIFFERENT, ids=["case", "accent", "trailing-space", "folding"]
)
def test_usernames_are_compared_exactly(
    store: Store, seed: Seeder, first: str, second: str
) -> None:
    one = seed.user(username=first)
    with store.unit_of_work():
        assert not store.users.username_exists(second)
        assert store.users.find_by_username(second) is None
    other = seed.user(username=second)
    with store.unit_of_work():
        assert store.users.find_by_username(first) == one
        assert store.users.find_by_username(second) == other


@pytest.mark.parametrize(
    ("first", "second"),
    [("Ann@example.com", "ann@example.com"), ("zoë@example.com", "zoe@example.com")],
    ids=["case", "accent"],
)
def test_emails_are_compared_exactly(store: Store, seed: Seeder, first: str, second: str) -> None:
    one = seed.user(email=first)
    with store.unit_of_work():
        assert not store.users.email_exists(second)
        assert store.users.find_by_email(second) is None
    other = seed.user(email=second)
    with store.unit_of_work():
        assert store.users.find_by_email(first) == one
        assert store.users.find_by_email(second) == other


@pytest.mark.parametrize("field", ["username", "email"])
def test_create_with_a_taken_value_fails(store: Store, seed: Seeder, field: str) -> None:
    taken = seed.user()
    value = getattr(taken, field)
    with store.unit_of_work():
        with pytest.raises(AlreadyExists) as raised:
            store.users.create(new_user(999, **{field: value}))
    assert (raised.value.field, raised.value.value) == (field, value)
    with store.unit_of_work():
        assert store.users.find_by_username("user999") is None
        assert store.users.find_by_email("user999@example.com") is None
        assert store.users.get(taken.id) == taken


def test_update_user(store: Store, seed: Seeder, clock: RecordingClock) -> None:
    user = seed.user(first_name="Old", last_name="Name")
    changes = UserChanges(username="renamed", email="renamed@example.com", first_name="New")
    mark = clock.mark()
    with store.unit_of_work():
        updated = store.users.update(user.id, changes)
    assert (updated.username, updated.email) == ("renamed", "renamed@example.com")
    assert (updated.first_name, updated.last_name) == ("New", "Name")
    assert updated.password_hash == user.password_hash
    assert updated.version == user.version + 1
    assert updated.created_at == user.created_at
    assert updated.updated_at in clock.issued_since(mark)
    assert updated.updated_at > user.updated_at
    with store.unit_of_work():
        assert store.users.get(user.id) == updated
        assert store.users.find_by_username("renamed") == updated
        assert store.users.find_by_email("renamed@example.com") == updated
        assert store.users.find_by_username(user.username) is None
        assert store.users.find_by_email(user.email) is None


def test_update_clears_nullable_fields_with_none(store: Store, seed: Seeder) -> None:
    user = seed.user(first_name="Ada", last_name="Lovelace")
    with store.unit_of_work():
        updated = store.users.update(user.id, UserChanges(first_name=None))
    assert (updated.first_name, updated.last_name) == (None, "Lovelace")
    with store.unit_of_work():
        assert store.users.get(user.id) == updated


def test_update_sets_an_empty_name(store: Store, seed: Seeder) -> None:
    user = seed.user(first_name="Ada")
    with store.unit_of_work():
        updated = store.users.update(user.id, UserChanges(first_name=""))
    with store.unit_of_work():
        assert store.users.get(user.id).first_name == "" == updated.first_name


def test_update_to_the_same_username_is_no_conflict(store: Store, seed: Seeder) -> None:
    user = seed.user()
    with store.unit_of_work():
        updated = store.users.update(user.id, UserChanges(username=user.username, email=user.email))
    assert updated.version == user.version + 1


@pytest.mark.parametrize("field", ["username", "email"])
def test_update_to_a_taken_value_fails(store: Store, seed: Seeder, field: str) -> None:
    taken, user = seed.user(), seed.user()
    value = getattr(taken, field)
    with store.unit_of_work():
        with pytest.raises(AlreadyExists) as raised:
            store.users.update(user.id, UserChanges(**{field: value}))
    assert (raised.value.field, raised.value.value) == (field, value)
    with store.unit_of_work():
        assert store.users.get(user.id) == user
        assert store.users.get(taken.id) == taken


def test_update_with_the_current_version(store: Store, seed: Seeder) -> None:
    user = seed.user()
    with store.unit_of_work():
        updated = store.users.update(user.id, UserChanges(last_name="X"), expected_version=1)
    assert updated.version == 2


def test_update_with_a_stale_version_conflicts(store: Store, seed: Seeder) -> None:
    user = seed.user()
    with store.unit_of_work():
        current = store.users.update(user.id, UserChanges(last_name="First"))
    with store.unit_of_work():
        with pytest.raises(ConcurrencyConflict) as raised:
            store.users.update(user.id, UserChanges(last_name="Second"), expected_version=1)
    assert (raised.value.key, raised.value.expected_version) == (user.id, 1)
    with store.unit_of_work():
        assert store.users.get(user.id) == current


def test_upgrade_to_seller_is_idempotent_but_a_change(
    store: Store, seed: Seeder, clock: RecordingClock
) -> None:
    user = seed.user()
    with store.unit_of_work():
        once = store.users.upgrade_to_seller(user.id)
    with store.unit_of_work():
        twice = store.users.upgrade_to_seller(user.id)
    assert once.is_seller
    assert twice.is_seller
    assert (once.version, twice.version) == (2, 3)
    assert user.updated_at < once.updated_at < twice.updated_at
    assert twice.created_at == user.created_at
    with store.unit_of_work():
        assert store.users.get(user.id) == twice


def test_promote_and_demote_super_admins(store: Store, seed: Seeder) -> None:
    users = [seed.user() for _ in range(4)]
    with store.unit_of_work():
        for user in reversed(users):
            store.users.set_super_admin(user.id, True)
        demoted = store.users.set_super_admin(users[1].id, False)
    assert not demoted.super_admin
    assert demoted.version == 3
    with store.unit_of_work():
        admins = store.users.list_super_admins()
    assert [a.id for a in admins] == sorted(u.id for u in users if u is not users[1])
    assert all(a.super_admin for a in admins)


def test_list_super_admins_when_there_are_none(store: Store, seed: Seeder) -> None:
    seed.user()
    with store.unit_of_work():
        assert store.users.list_super_admins() == []


def test_delete_user_removes_their_cart_and_orders(store: Store, seed: Seeder) -> None:
    product = seed.product()
    user = seed.user()
    other = seed.user()
    seed.cart(user.id, {product.id: 2})
    seed.cart(other.id, {product.id: 1})
    order = seed.order(user.id, [(product, 1)])
    kept = seed.order(other.id, [(product, 1)])
    with store.unit_of_work():
        store.users.delete(user.id)
    with store.unit_of_work():
        with pytest.raises(NotFound):
            store.users.get(user.id)
        with pytest.raises(NotFound):
            store.orders.get(order.id)
        assert store.users.find_by_username(user.username) is None
        assert not store.users.email_exists(user.email)
        assert store.carts.list_items(user.id) == []
        assert store.orders.count_by_user(user.id) == 0
        assert store.orders.get(kept.id) == kept
        assert store.carts.item_count(other.id) == 1
        assert store.products.get(product.id) == product


def test_delete_seller_with_products_is_refused(store: Store, seed: Seeder) -> None:
    product = seed.product()
    seller = seed.default_seller()
    with store.unit_of_work():
        with pytest.raises(ReferenceConflict) as raised:
            store.users.delete(seller.id)
    assert raised.value.referenced_by == "products"
    assert raised.value.key == seller.id
    with store.unit_of_work():
        assert store.users.get(seller.id) == seller
        assert store.products.get(product.id) == product


def test_delete_seller_without_products(store: Store, seed: Seeder) -> None:
    seller = seed.seller()
    with store.unit_of_work():
        store.users.delete(seller.id)
    with store.unit_of_work():
        assert not store.users.username_exists(seller.username)


def test_deleted_username_and_email_can_be_reused(store: Store, seed: Seeder) -> None:
    user = seed.user()
    with store.unit_of_work():
        store.users.delete(user.id)
    again = seed.user(username=user.username, email=user.email)
    assert again.id != user.id
    with store.unit_of_work():
        assert store.users.find_by_username(user.username) == again
