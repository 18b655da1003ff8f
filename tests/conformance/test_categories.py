"""CategoryRepository: the tree, unique names, moves without cycles, breadcrumbs, delete."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.clocks import RecordingClock
from support.factories import Seeder

from examples.store import Category, CategoryChanges, NewCategory, Store
from interfaces import (
    AlreadyExists,
    ConcurrencyConflict,
    NotFound,
    ReferenceConflict,
    ValidationFailed,
)


def tree(seed: Seeder) -> dict[str, Category]:
    """Roots electronics and books; electronics > computers > laptops; electronics > phones."""
    electronics = seed.category("Electronics")
    computers = seed.category("Computers", electronics.id)
    return {
        "electronics": electronics,
        "computers": computers,
        "laptops": seed.category("Laptops", computers.id),
        "phones": seed.category("Phones", electronics.id),
        "books": seed.category("Books"),
    }


def test_create_category(store: Store, clock: RecordingClock) -> None:
    mark = clock.mark()
    with store.unit_of_work():
        root = store.categories.create(NewCategory(name="Électronique"))
        child = store.categories.create(NewCategory(name="電話 📱", parent_id=root.id))
    assert (root.name, root.parent_id, root.version) == ("Électronique", None, 1)
    assert (child.name, child.parent_id, child.version) == ("電話 📱", root.id, 1)
    assert root.id != child.id
    assert [root.created_at, child.created_at] == sorted({root.created_at, child.created_at})
    assert {root.created_at, child.created_at} <= set(clock.issued_since(mark))
    assert root.created_at.utcoffset() == timedelta(0)
    with store.unit_of_work():
        assert store.categories.get(root.id) == root
        assert store.categories.get(child.id) == child


def test_create_category_with_a_longest_name(store: Store) -> None:
    name = "🦄" * 100
    with store.unit_of_work():
        created = store.categories.create(NewCategory(name=name))
    with store.unit_of_work():
        assert store.categories.get(created.id).name == name


def test_create_category_under_a_missing_parent_fails(store: Store, seed: Seeder) -> None:
    with store.unit_of_work():
        with pytest.raises(NotFound) as raised:
            store.categories.create(NewCategory(name="Orphan", parent_id=4242))
    assert raised.value.key == 4242
    with store.unit_of_work():
        assert not store.categories.name_exists("Orphan")
        assert store.categories.list_all() == []


def test_category_names_are_unique_across_the_tree(store: Store, seed: Seeder) -> None:
    cats = tree(seed)
    with store.unit_of_work():
        with pytest.raises(AlreadyExists) as raised:
            store.categories.create(NewCategory(name="Laptops", parent_id=cats["books"].id))
    assert (raised.value.field, raised.value.value) == ("name", "Laptops")
    with store.unit_of_work():
        assert [c.name for c in store.categories.list_all()].count("Laptops") == 1


@pytest.mark.parametrize(
    ("first", "second"),
    [("Books", "books"), ("Café", "Cafe"), ("Toys", "Toys ")],
    ids=["case", "accent", "trailing-space"],
)
def test_category_names_are_compared_exactly(
    store: Store, seed: Seeder, first: str, second: str
) -> None:
    one = seed.category(first)
    with store.unit_of_work():
        assert not store.categories.name_exists(second)
    other = seed.category(second)
    with store.unit_of_work():
        assert {c.id: c.name for c in store.categories.list_all()} == {
            one.id: first,
            other.id: second,
        }


def test_exists_and_name_exists(store: Store, seed: Seeder) -> None:
    books = seed.category("Books")
    with store.unit_of_work():
        assert store.categories.exists(books.id)
        assert not store.categories.exists(books.id + 1000)
        assert store.categories.name_exists("Books")
        assert not store.categories.name_exists("Music")
        assert not store.categories.name_exists("Books", exclude_id=books.id)
        assert store.categories.name_exists("Books", exclude_id=books.id + 1000)


def test_list_all_is_ordered_by_name(store: Store, seed: Seeder) -> None:
    for name in ["beta", "Émile", "Zeta", "alpha", "山", "Alpha"]:
        seed.category(name)
    with store.unit_of_work():
        names = [c.name for c in store.categories.list_all()]
    assert names == ["Alpha", "Zeta", "alpha", "beta", "Émile", "山"]


def test_list_roots_and_children(store: Store, seed: Seeder) -> None:
    cats = tree(seed)
    with store.unit_of_work():
        roots = store.categories.list_roots()
        children = store.categories.list_children(cats["electronics"].id)
        leaves = store.categories.list_children(cats["laptops"].id)
    assert roots == [cats["books"], cats["electronics"]]
    assert children == [cats["computers"], cats["phones"]]
    assert leaves == []


def test_list_children_of_a_missing_parent_fails(store: Store) -> None:
    with store.unit_of_work():
        with pytest.raises(NotFound) as raised:
            store.categories.list_children(777)
    assert raised.value.key == 777


def test_empty_tree(store: Store) -> None:
    with store.unit_of_work():
        assert store.categories.list_all() == []
        assert store.categories.list_roots() == []


def test_path_is_the_breadcrumb_from_the_root(store: Store, seed: Seeder) -> None:
    cats = tree(seed)
    with store.unit_of_work():
        assert store.categories.path(cats["laptops"].id) == [
            cats["electronics"],
            cats["computers"],
            cats["laptops"],
        ]
        assert store.categories.path(cats["books"].id) == [cats["books"]]


@pytest.mark.parametrize(
    ("moved", "under", "cycle"),
    [
        ("electronics", "electronics", True),
        ("electronics", "computers", True),
        ("electronics", "laptops", True),
        ("computers", "laptops", True),
        ("computers", "phones", False),
        ("laptops", "electronics", False),
        ("computers", "electronics", False),
        ("electronics", "books", False),
    ],
)
def test_would_create_cycle(
    store: Store, seed: Seeder, moved: str, under: str, cycle: bool
) -> None:
    cats = tree(seed)
    with store.unit_of_work():
        assert store.categories.would_create_cycle(cats[moved].id, cats[under].id) is cycle


def test_is_valid_parent(store: Store, seed: Seeder) -> None:
    cats = tree(seed)
    with store.unit_of_work():
        assert store.categories.is_valid_parent(None)
        assert store.categories.is_valid_parent(None, cats["laptops"].id)
        assert store.categories.is_valid_parent(cats["laptops"].id)
        assert store.categories.is_valid_parent(cats["books"].id, cats["computers"].id)
        assert not store.categories.is_valid_parent(9999)
        assert not store.categories.is_valid_parent(9999, cats["books"].id)
        assert not store.categories.is_valid_parent(cats["laptops"].id, cats["electronics"].id)
        assert not store.categories.is_valid_parent(cats["phones"].id, cats["phones"].id)


def test_rename_category(store: Store, seed: Seeder) -> None:
    cats = tree(seed)
    phones = cats["phones"]
    with store.unit_of_work():
        renamed = store.categories.update(phones.id, CategoryChanges(name="Mobiles 📱"))
    assert (renamed.name, renamed.parent_id) == ("Mobiles 📱", phones.parent_id)
    assert renamed.version == phones.version + 1
    assert renamed.created_at == phones.created_at
    with store.unit_of_work():
        assert store.categories.get(phones.id) == renamed
        assert store.categories.name_exists("Mobiles 📱")
        assert not store.categories.name_exists("Phones")
        assert store.categories.list_children(cats["electronics"].id) == [
            cats["computers"],
            renamed,
        ]


def test_rename_to_a_taken_name_fails(store: Store, seed: Seeder) -> None:
    cats = tree(seed)
    with store.unit_of_work():
        with pytest.raises(AlreadyExists) as raised:
            store.categories.update(cats["phones"].id, CategoryChanges(name="Books"))
    assert (raised.value.field, raised.value.value) == ("name", "Books")
    with store.unit_of_work():
        assert store.categories.get(cats["phones"].id) == cats["phones"]


def test_rename_to_its_own_name_is_no_conflict(store: Store, seed: Seeder) -> None:
    books = seed.category("Books")
    with store.unit_of_work():
        updated = store.categories.update(books.id, CategoryChanges(name="Books"))
    assert updated.version == 2


def test_move_category(store: Store, seed: Seeder) -> None:
    cats = tree(seed)
    with store.unit_of_work():
        moved = store.categories.update(
            cats["computers"].id, CategoryChanges(parent_id=cats["books"].id)
        )
    assert (moved.name, moved.parent_id, moved.version) == ("Computers", cats["books"].id, 2)
    with store.unit_of_work():
        assert store.categories.path(cats["laptops"].id) == [
            cats["books"],
            moved,
            cats["laptops"],
        ]
        assert store.categories.list_children(cats["electronics"].id) == [cats["phones"]]


def test_move_category_to_the_roots(store: Store, seed: Seeder) -> None:
    cats = tree(seed)
    with store.unit_of_work():
        moved = store.categories.update(cats["computers"].id, CategoryChanges(parent_id=None))
    assert moved.parent_id is None
    with store.unit_of_work():
        assert store.categories.list_roots() == [cats["books"], moved, cats["electronics"]]


@pytest.mark.parametrize("under", ["computers", "laptops"])
def test_move_that_would_make_a_cycle_fails(store: Store, seed: Seeder, under: str) -> None:
    cats = tree(seed)
    with store.unit_of_work():
        with pytest.raises(ValidationFailed) as raised:
            store.categories.update(cats["computers"].id, CategoryChanges(parent_id=cats[under].id))
    assert raised.value.field == "parent_id"
    with store.unit_of_work():
        assert store.categories.get(cats["computers"].id) == cats["computers"]


def test_move_under_a_missing_parent_fails(store: Store, seed: Seeder) -> None:
    books = seed.category("Books")
    with store.unit_of_work():
        with pytest.raises(NotFound) as raised:
            store.categories.update(books.id, CategoryChanges(parent_id=5555))
    assert raised.value.key == 5555
    with store.unit_of_work():
        assert store.categories.get(books.id) == books


def test_update_category_with_versions(store: Store, seed: Seeder) -> None:
    books = seed.category("Books")
    with store.unit_of_work():
        current = store.categories.update(
            books.id, CategoryChanges(name="Livres"), expected_version=1
        )
    with store.unit_of_work():
        with pytest.raises(ConcurrencyConflict) as raised:
            store.categories.update(books.id, CategoryChanges(name="Bücher"), expected_version=1)
    assert (raised.value.key, raised.value.expected_version) == (books.id, 1)
    with store.unit_of_work():
        assert store.categories.get(books.id) == current


def test_delete_category_makes_its_children_roots(store: Store, seed: Seeder) -> None:
    cats = tree(seed)
    with store.unit_of_work():
        store.categories.delete(cats["electronics"].id)
    with store.unit_of_work():
        assert not store.categories.exists(cats["electronics"].id)
        roots = store.categories.list_roots()
        assert [c.name for c in roots] == ["Books", "Computers", "Phones"]
        assert all(c.parent_id is None for c in roots)
        assert store.categories.get(cats["laptops"].id).parent_id == cats["computers"].id
        assert store.categories.path(cats["laptops"].id) == [
            store.categories.get(cats["computers"].id),
            cats["laptops"],
        ]


def test_delete_category_frees_its_name(store: Store, seed: Seeder) -> None:
    books = seed.category("Books")
    with store.unit_of_work():
        store.categories.delete(books.id)
    with store.unit_of_work():
        assert not store.categories.name_exists("Books")
    assert seed.category("Books").id != books.id


def test_delete_category_with_products_is_refused(store: Store, seed: Seeder) -> None:
    books = seed.category("Books")
    product = seed.product(category_id=books.id)
    with store.unit_of_work():
        with pytest.raises(ReferenceConflict) as raised:
            store.categories.delete(books.id)
    assert (raised.value.key, raised.value.referenced_by) == (books.id, "products")
    with store.unit_of_work():
        assert store.categories.get(books.id) == books
        assert store.products.get(product.id) == product
