"""Product listings: (name, id) order, filters, per seller and category, text search."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support.factories import Seeder

from conformance.backends import Backend
from examples.store import Product, ProductFilter, Store
from interfaces import MAX_PAGE_SIZE


def listed(store: Store, filters: ProductFilter | None = None) -> list[Product]:
    """Every product of ``store.products.list(filters)`` (one page of the maximum size)."""
    with store.unit_of_work():
        page = store.products.list(filters, page_size=MAX_PAGE_SIZE)
    assert page.next_token is None
    return list(page.items)


def searched(store: Store, text: str) -> list[str]:
    """Names of the products a search finds, in listing order."""
    with store.unit_of_work():
        page = store.products.search(text, page_size=MAX_PAGE_SIZE)
    return [p.name for p in page.items]


def test_list_is_ordered_by_name(store: Store, seed: Seeder) -> None:
    names = ["banana", "Apple", "émile", "apple", "Zed", "山", "🦄", "Ápple"]
    for name in names:
        seed.product(name=name)
    assert [p.name for p in listed(store)] == sorted(names)


def test_listings_break_name_ties_by_id(store: Store, seed: Seeder, backend: Backend) -> None:
    if not backend.ties_ordered_by_id:
        pytest.skip("this backend does not order ties by id")
    products = [seed.product(name=name) for name in ["Same", "Other", "Same", "Same", "Alpha"]]
    same = [p.id for p in products if p.name == "Same"]
    expected = [products[4].id, products[1].id, *sorted(same)]
    seller, category = products[0].seller_id, products[0].category_id
    with store.unit_of_work():
        by_seller = store.products.list_by_seller(seller, page_size=MAX_PAGE_SIZE).items
        by_category = store.products.list_by_category(category, page_size=MAX_PAGE_SIZE).items
        found = store.products.search("descr", page_size=MAX_PAGE_SIZE).items
    assert [p.id for p in listed(store)] == expected
    assert [p.id for p in by_seller] == expected
    assert [p.id for p in by_category] == expected
    assert [p.id for p in found] == expected


def test_list_and_filters(store: Store, seed: Seeder) -> None:
    ana, bob = seed.seller(), seed.seller()
    toys, food = seed.category("Toys"), seed.category("Food")
    cheap = seed.product(seller_id=ana.id, category_id=toys.id, name="Ball", price="5.00")
    mid = seed.product(seller_id=ana.id, category_id=food.id, name="Cake", price="10.00")
    dear = seed.product(seller_id=bob.id, category_id=toys.id, name="Drone", price="10.01")
    ten, ten_cents = Decimal("10.00"), Decimal("10.01")
    cases = [
        (None, [cheap, mid, dear]),
        (ProductFilter(), [cheap, mid, dear]),
        (ProductFilter(category_id=toys.id), [cheap, dear]),
        (ProductFilter(seller_id=ana.id), [cheap, mid]),
        (ProductFilter(min_price=ten), [mid, dear]),
        (ProductFilter(max_price=ten), [cheap, mid]),
        (ProductFilter(min_price=ten, max_price=ten), [mid]),
        (ProductFilter(min_price=ten_cents, max_price=ten), []),
        (ProductFilter(seller_id=ana.id, category_id=toys.id), [cheap]),
        (ProductFilter(text="DRONE", category_id=toys.id, max_price=ten_cents), [dear]),
        (ProductFilter(text="cake", seller_id=bob.id), []),
        (ProductFilter(category_id=9999), []),
    ]
    for filters, expected in cases:
        assert listed(store, filters) == expected, filters


def test_list_by_seller_and_by_category(store: Store, seed: Seeder) -> None:
    ana, bob = seed.seller(), seed.seller()
    toys, food = seed.category("Toys"), seed.category("Food")
    kite = seed.product(seller_id=ana.id, category_id=toys.id, name="Kite")
    apple = seed.product(seller_id=ana.id, category_id=food.id, name="Apple")
    yoyo = seed.product(seller_id=bob.id, category_id=toys.id, name="Yo-yo")
    with store.unit_of_work():
        assert store.products.list_by_seller(ana.id).items == (apple, kite)
        assert store.products.list_by_seller(bob.id).items == (yoyo,)
        assert store.products.list_by_category(toys.id).items == (kite, yoyo)
        assert store.products.list_by_category(food.id).items == (apple,)
        assert store.products.list_by_seller(9999).items == ()
        assert store.products.list_by_category(9999).items == ()


def test_search_matches_name_or_description(store: Store, seed: Seeder) -> None:
    seed.product(name="Red kettle", description="Boils water")
    seed.product(name="Teapot", description="For a red-hot brew")
    seed.product(name="Mug", description=None)
    seed.product(name="Plate", description="")
    assert searched(store, "red") == ["Red kettle", "Teapot"]
    assert searched(store, "WATER") == ["Red kettle"]
    assert searched(store, "mug") == ["Mug"]
    assert searched(store, "nothing like this") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("café", ["CAFÉ CRÈME", "Café noir"]),
        ("CAFÉ", ["CAFÉ CRÈME", "Café noir"]),
        ("cafe", ["cafe latte"]),
        ("東京", ["東京タワー模型"]),
        ("🦄", ["Plush 🦄"]),
        ("жар", ["Жар-птица"]),
        ("50%", ["50% off"]),
        ("O_O", ["O_o mask"]),
        ("%", ["50% off"]),
        ("_", ["O_o mask"]),
        ("\\", ["back\\slash"]),
    ],
    ids=[
        "accent-lower",
        "accent-upper",
        "accent-sensitive",
        "cjk",
        "emoji",
        "cyrillic",
        "percent",
        "underscore-pattern",
        "percent-alone",
        "underscore-alone",
        "backslash",
    ],
)
def test_search_is_case_insensitive_and_literal(
    store: Store, seed: Seeder, text: str, expected: list[str]
) -> None:
    names = [
        "Café noir",
        "CAFÉ CRÈME",
        "cafe latte",
        "東京タワー模型",
        "Plush 🦄",
        "Жар-птица",
        "50% off",
        "500 off",
        "O_o mask",
        "Oxo mask",
        "back\\slash",
    ]
    for name in names:
        seed.product(name=name, description="")
    assert searched(store, text) == sorted(expected)
    assert [p.name for p in listed(store, ProductFilter(text=text))] == sorted(expected)
