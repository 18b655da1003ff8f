"""What is specific to the memory fake: isolation of stored state, injected clock and ids."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from examples.store import NewCategory, NewProduct, NewUser, Store, User
from examples.store.memory import build_store
from interfaces import InvalidPageToken, MemoryIdAllocator, SteppingClock

START = datetime(2030, 5, 1, tzinfo=UTC)


def ada(store: Store) -> User:
    return store.users.create(NewUser(username="ada", email="ada@example.com", password_hash="h"))


def test_returned_models_cannot_be_mutated() -> None:
    store = build_store()
    user = ada(store)

    with pytest.raises(ValidationError):
        user.username = "eve"  # type: ignore[misc]

    assert store.users.get(user.id).username == "ada"


def test_returned_lists_are_the_callers_own() -> None:
    store = build_store()
    store.categories.create(NewCategory(name="Books"))

    store.categories.list_all().clear()
    store.categories.list_roots().clear()

    assert [c.name for c in store.categories.list_all()] == ["Books"]


def test_stores_share_nothing() -> None:
    first, second = build_store(), build_store()
    ada(first)

    assert second.users.find_by_username("ada") is None
    assert ada(second).id == 1


def test_unit_of_work_is_a_no_op_that_rolls_nothing_back() -> None:
    store = build_store()

    def create_then_fail() -> None:
        with store.unit_of_work():
            ada(store)
            raise RuntimeError("after the create")

    with pytest.raises(RuntimeError):
        create_then_fail()

    assert store.users.username_exists("ada")


def test_ids_come_from_the_injected_allocator_per_legacy_table() -> None:
    ids = MemoryIdAllocator(start={"users": 500, "categories": 70})
    store = build_store(ids=ids)

    assert ada(store).id == 500
    assert store.categories.create(NewCategory(name="Books")).id == 70
    assert ids.allocate("users") == 501


def test_timestamps_come_from_the_injected_clock_once_per_command() -> None:
    store = build_store(clock=SteppingClock(start=START, step=timedelta(minutes=1)))

    created = ada(store)
    promoted = store.users.set_super_admin(created.id, True)

    assert created.created_at == created.updated_at == START
    assert promoted.created_at == START
    assert promoted.updated_at == START + timedelta(minutes=1)
    assert promoted.version == 2


def test_a_token_for_the_right_listing_but_with_a_foreign_key_is_refused() -> None:
    store = build_store()
    seller = store.users.upgrade_to_seller(ada(store).id)
    category = store.categories.create(NewCategory(name="Books"))
    for name in ("Atlas", "Bible"):
        store.products.create(
            NewProduct(seller_id=seller.id, category_id=category.id, name=name, price=Decimal(1))
        )
    genuine = store.products.list(page_size=1).next_token
    assert genuine is not None

    with pytest.raises(InvalidPageToken):
        store.products.list(page_size=1, page_token=_with_key(genuine, ["Atlas", "one"]))


def _with_key(token: str, key: list[object]) -> str:
    """``token`` with its sort key replaced (the scope digest stays valid)."""
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    payload["k"] = key
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
