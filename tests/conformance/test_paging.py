"""Every paged listing: each item exactly once in order, page bounds, tokens bound to listings.

The listings are data: each entry names a listing, says how to fetch one of
its pages from a seeded :class:`World`, how to fetch a page of a *sibling*
listing (the same method with other arguments), and which items it should
return, in order, computed from the world in plain Python.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from math import ceil
from typing import Any

import pytest
from support.clocks import FixedClock
from support.factories import Seeder
from support.paging import collect_pages

from conformance.backends import Backend, StoreFactory
from examples.store import Order, OrderStatus, Product, ProductFilter, Store
from interfaces import (
    MAX_PAGE_SIZE,
    InvalidPageToken,
    MemoryIdAllocator,
    Page,
    SteppingClock,
    ValidationFailed,
)


@dataclass(frozen=True)
class World:
    """Two sellers' products in two categories and two buyers' orders."""

    ana: int
    bob: int
    toys: int
    food: int
    buyer: int
    other_buyer: int
    products: tuple[Product, ...]
    orders: tuple[Order, ...]


def build_world(seed: Seeder) -> World:
    ana, bob = seed.seller(), seed.seller()
    toys, food = seed.category("Toys"), seed.category("Food")
    names = ["Widget", "Ápple widget", "widget 🦄", "Zebra", "apple", "Gadget", "山 widget"]
    products = [
        seed.product(seller_id=ana.id, category_id=toys.id, name=name, price=f"{i + 1}.50")
        for i, name in enumerate(names)
    ]
    products += [
        seed.product(seller_id=bob.id, category_id=food.id, name=name, price="3.00")
        for name in ("Bread", "Widget cake")
    ]
    buyer, other = seed.user(), seed.user()
    orders = [seed.order(buyer.id, [(products[i], i + 1)]) for i in range(7)]
    orders += [seed.order(other.id, [(products[0], 1)]) for _ in range(2)]
    orders.append(seed.order(other.id, [(products[1], 1)], status=OrderStatus.COMPLETED))
    return World(
        ana.id, bob.id, toys.id, food.id, buyer.id, other.id, tuple(products), tuple(orders)
    )


Fetch = Callable[[Store, World, int, str | None], Page[Any]]


@dataclass(frozen=True)
class Listing:
    """A paged listing under test."""

    name: str
    fetch: Fetch
    sibling: Fetch
    expected: Callable[[World], list[Any]]


def by_name(products: tuple[Product, ...], keep: Callable[[Product], bool]) -> list[Product]:
    return sorted((p for p in products if keep(p)), key=lambda p: (p.name, p.id))


def newest_first(orders: tuple[Order, ...], keep: Callable[[Order], bool]) -> list[Order]:
    return sorted((o for o in orders if keep(o)), key=lambda o: (o.created_at, o.id), reverse=True)


def has_widget(p: Product) -> bool:
    return "widget" in p.name.lower() or "widget" in (p.description or "").lower()


CHEAP_TOYS = ProductFilter(max_price=Decimal("5.50"))

LISTINGS = [
    Listing(
        "products.list",
        lambda s, w, n, t: s.products.list(None, n, t),
        lambda s, w, n, t: s.products.list(ProductFilter(seller_id=w.bob), n, t),
        lambda w: by_name(w.products, lambda p: True),
    ),
    Listing(
        "products.list-filtered",
        lambda s, w, n, t: s.products.list(CHEAP_TOYS, n, t),
        lambda s, w, n, t: s.products.list(ProductFilter(max_price=Decimal("5.49")), n, t),
        lambda w: by_name(w.products, lambda p: p.price <= Decimal("5.50")),
    ),
    Listing(
        "products.list_by_seller",
        lambda s, w, n, t: s.products.list_by_seller(w.ana, n, t),
        lambda s, w, n, t: s.products.list_by_seller(w.bob, n, t),
        lambda w: by_name(w.products, lambda p: p.seller_id == w.ana),
    ),
    Listing(
        "products.list_by_category",
        lambda s, w, n, t: s.products.list_by_category(w.toys, n, t),
        lambda s, w, n, t: s.products.list_by_category(w.food, n, t),
        lambda w: by_name(w.products, lambda p: p.category_id == w.toys),
    ),
    Listing(
        "products.search",
        lambda s, w, n, t: s.products.search("WIDGET", n, t),
        lambda s, w, n, t: s.products.search("widget c", n, t),
        lambda w: by_name(w.products, has_widget),
    ),
    Listing(
        "orders.list_by_user",
        lambda s, w, n, t: s.orders.list_by_user(w.buyer, n, t),
        lambda s, w, n, t: s.orders.list_by_user(w.other_buyer, n, t),
        lambda w: newest_first(w.orders, lambda o: o.user_id == w.buyer),
    ),
    Listing(
        "orders.list_by_status",
        lambda s, w, n, t: s.orders.list_by_status(OrderStatus.PENDING, n, t),
        lambda s, w, n, t: s.orders.list_by_status(OrderStatus.COMPLETED, n, t),
        lambda w: newest_first(w.orders, lambda o: o.status == OrderStatus.PENDING),
    ),
]

each_listing = pytest.mark.parametrize("listing", LISTINGS, ids=[x.name for x in LISTINGS])


@pytest.fixture
def world(store: Store, seed: Seeder) -> World:
    """The world, committed in one unit of work (one commit keeps the suite fast)."""
    with store.unit_of_work():
        return build_world(seed)


def pages_of(store: Store, world: World, listing: Listing, size: int) -> list[Page[Any]]:
    with store.unit_of_work():
        return collect_pages(lambda token: listing.fetch(store, world, size, token))


def first_token(store: Store, world: World, listing: Listing) -> str:
    with store.unit_of_work():
        token = listing.fetch(store, world, 1, None).next_token
    assert token is not None
    return token


@each_listing
def test_paging_visits_every_item_once_in_order(
    store: Store, world: World, listing: Listing
) -> None:
    expected = listing.expected(world)
    assert len(expected) >= 4
    for size in (1, 2, 3, len(expected), len(expected) + 1, MAX_PAGE_SIZE):
        pages = pages_of(store, world, listing, size)
        assert [item for page in pages for item in page.items] == expected, size
        assert len(pages) == ceil(len(expected) / size), size
        assert all(len(page.items) == size for page in pages[:-1]), size
        assert pages[-1].items, f"page size {size}: the last page is empty"


@each_listing
def test_page_size_bounds(store: Store, world: World, listing: Listing) -> None:
    with store.unit_of_work():
        for size in (0, -1, MAX_PAGE_SIZE + 1):
            with pytest.raises(ValidationFailed) as raised:
                listing.fetch(store, world, size, None)
            assert raised.value.field == "page_size", size
        assert len(listing.fetch(store, world, 1, None).items) == 1
        assert len(listing.fetch(store, world, MAX_PAGE_SIZE, None).items) >= 4


def tampered(token: str) -> str:
    """``token`` with its sort key replaced by values of the wrong shape."""
    raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw["k"] = [{"unexpected": True}]
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


GARBAGE = ["garbage", "!!!", "eyJmb28iOiAxfQ", base64.urlsafe_b64encode(b"\xff\xfe").decode()]


@each_listing
def test_garbage_tokens_are_refused(store: Store, world: World, listing: Listing) -> None:
    tokens = [*GARBAGE, tampered(first_token(store, world, listing))]
    with store.unit_of_work():
        for token in tokens:
            with pytest.raises(InvalidPageToken):
                listing.fetch(store, world, 2, token)


def refuses(fetch: Fetch, store: Store, world: World, token: str) -> bool:
    """Whether ``fetch`` refuses ``token`` with InvalidPageToken."""
    try:
        fetch(store, world, 2, token)
    except InvalidPageToken:
        return True
    return False


@each_listing
def test_tokens_of_other_listings_are_refused(store: Store, world: World, listing: Listing) -> None:
    tokens = {other.name: first_token(store, world, other) for other in LISTINGS}
    own = tokens.pop(listing.name)
    with store.unit_of_work():
        assert refuses(listing.sibling, store, world, own), "same method, other arguments"
        accepted = [n for n, t in tokens.items() if not refuses(listing.fetch, store, world, t)]
    assert accepted == []


@each_listing
def test_empty_listing(store: Store, listing: Listing) -> None:
    nobody = World(9001, 9002, 9003, 9004, 9005, 9006, (), ())
    with store.unit_of_work():
        page = listing.fetch(store, nobody, 5, None)
    assert (page.items, page.next_token) == ((), None)


def test_paging_through_ties(make_store: StoreFactory, backend: Backend) -> None:
    if not backend.ties_ordered_by_id:
        pytest.skip("this backend does not order ties by id")
    store = make_store(FixedClock())
    seed = Seeder(store)
    products = [seed.product(name="Same") for _ in range(5)]
    user = seed.user()
    orders = [seed.order(user.id, [(products[0], 1)]) for _ in range(5)]
    with store.unit_of_work():
        product_pages = collect_pages(lambda t: store.products.list(None, 2, t))
        order_pages = collect_pages(lambda t: store.orders.list_by_user(user.id, 2, t))
    assert [p.id for page in product_pages for p in page.items] == sorted(p.id for p in products)
    assert [o.id for page in order_pages for o in page.items] == sorted(
        (o.id for o in orders), reverse=True
    )


def test_token_resumes_after_its_key_when_data_changes(store: Store, seed: Seeder) -> None:
    products = [seed.product(name=name) for name in ("b", "d", "f", "h")]
    with store.unit_of_work():
        first = store.products.list(None, 2)
    assert first.items == tuple(products[:2])
    assert first.next_token is not None
    seed.product(name="a")
    added = seed.product(name="e")
    with store.unit_of_work():
        store.products.delete(products[2].id, products[2].seller_id)
        rest = store.products.list(None, 2, first.next_token)
    assert rest.items == (added, products[3])


def test_tokens_are_the_same_on_every_backend(store: Store, seed: Seeder) -> None:
    """A token from the reference memory fake resumes the same listing here, and back."""
    from examples.store.memory import build_store

    reference = build_store(clock=SteppingClock(), ids=MemoryIdAllocator())
    with store.unit_of_work():
        worlds = [build_world(seed), build_world(Seeder(reference))]
    assert [p.id for p in worlds[0].products] == [p.id for p in worlds[1].products]
    stores = [store, reference]
    for listing in [x for x in LISTINGS if x.name.startswith("products.")]:
        for source, target in ((1, 0), (0, 1)):
            with stores[source].unit_of_work():
                token = listing.fetch(stores[source], worlds[source], 3, None).next_token
            with stores[target].unit_of_work():
                resumed = listing.fetch(stores[target], worlds[target], 3, token)
            expected = listing.expected(worlds[target])[3:6]
            assert [p.id for p in resumed.items] == [p.id for p in expected], listing.name
