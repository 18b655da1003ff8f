"""Unique values under a case-insensitive collation: DynamoDB refuses what MySQL refuses.

A ``_ci`` collation makes ``SELx@`` and ``selx@`` one username in MySQL. Declared
``Unique(..., case_insensitive=True)``, the store's DynamoDB repositories guard the
case-folded value, and the backfill (which verify and repair share) builds the very
same guard item, so a repair never takes a valid guard for a stray one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from dal.contract import Contract
from dal.migrate.plan import build_entity_plans
from examples.store import CategoryChanges, NewCategory, NewUser, Store, UserChanges
from examples.store.declarations import CATEGORIES, USERS
from examples.store.dynamodb.base import Layouts
from examples.store.schema import users as users_table
from interfaces import AlreadyExists
from interfaces.entities import Unique

USERS_CI = dataclasses.replace(
    USERS,
    unique=(
        Unique(("username",), case_insensitive=True),
        Unique(("email",), case_insensitive=True),
    ),
)
CATEGORIES_CI = dataclasses.replace(CATEGORIES, unique=(Unique(("name",), case_insensitive=True),))


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    return make_store(users_spec=USERS_CI, categories_spec=CATEGORIES_CI)


def new_user(username: str, email: str) -> NewUser:
    return NewUser(username=username, email=email, password_hash="h" * 20)


def test_a_username_differing_only_in_case_is_taken(store: Store) -> None:
    first = store.users.create(new_user("selx@", "one@example.com"))
    with pytest.raises(AlreadyExists) as raised:
        store.users.create(new_user("SELx@", "two@example.com"))
    assert (raised.value.field, raised.value.value) == ("username", "SELx@")
    other = store.users.create(new_user("other", "three@example.com"))
    with pytest.raises(AlreadyExists):
        store.users.update(other.id, UserChanges(username="SELX@"))
    assert store.users.get(other.id) == other
    renamed = store.users.update(first.id, UserChanges(username="Selx@"))
    assert renamed.username == "Selx@"
    assert store.users.username_exists("Selx@")
    assert not store.users.username_exists("selx@")
    with pytest.raises(AlreadyExists):
        store.users.create(new_user("selx@", "four@example.com"))


def test_an_email_differing_only_in_case_is_taken(store: Store) -> None:
    store.users.create(new_user("ann", "Ann@example.com"))
    with pytest.raises(AlreadyExists) as raised:
        store.users.create(new_user("ann2", "ann@example.com"))
    assert raised.value.field == "email"
    other = store.users.create(new_user("bob", "bob@example.com"))
    with pytest.raises(AlreadyExists):
        store.users.update(other.id, UserChanges(email="ANN@example.com"))
    store.users.delete(other.id)
    assert store.users.create(new_user("bob", "BOB@example.com")).email == "BOB@example.com"


def test_a_category_renamed_to_its_own_name_in_another_case_keeps_its_guard(store: Store) -> None:
    books = store.categories.create(NewCategory(name="Books"))
    with pytest.raises(AlreadyExists):
        store.categories.create(NewCategory(name="BOOKS"))
    assert store.categories.update(books.id, CategoryChanges(name="BOOKS")).name == "BOOKS"
    with pytest.raises(AlreadyExists):
        store.categories.create(NewCategory(name="books"))


def test_the_backfill_builds_the_guards_the_repository_wrote(
    store: Store, contract: Contract, prefix: str, raw: Any
) -> None:
    user = store.users.create(new_user("SELx@", "Mixed@Example.com"))
    plans = build_entity_plans(contract, [USERS_CI], {"users": users_table}, prefix)
    row = {**user.model_dump(), "created_at": user.created_at, "updated_at": user.updated_at}
    guards = [guard.build(row, "users 1", (("id",), (user.id,))) for guard in plans["users"].guards]
    assert len(guards) == 2
    layouts = Layouts.from_contract(contract, prefix, users_spec=USERS_CI)
    assert layouts.email is not None
    for built, guard, value in zip(
        guards, (layouts.username, layouts.email), ("SELx@", "Mixed@Example.com"), strict=True
    ):
        assert built is not None
        assert built.key == guard.key(value)
        stored = raw.get_item(TableName=built.table, Key=built.key, ConsistentRead=True)
        assert stored["Item"] == built.item
