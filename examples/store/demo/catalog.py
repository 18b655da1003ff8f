"""The demo's shop: seeded through the repositories, and what the workload knows of it."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from examples.store import NewCategory, NewProduct, NewUser, Store

__all__ = ["Catalog", "seed"]

_ROOTS = ("Electronics", "Books", "Home", "Garden", "Toys", "Sports")
_KINDS = ("Basics", "Deluxe", "Outdoor", "Kids", "Classic", "Travel")
_ADJECTIVES = ("Red", "Compact", "Solid", "Quiet", "Smart", "Vintage", "Light", "Sturdy")
_NOUNS = ("Lamp", "Kettle", "Novel", "Drone", "Backpack", "Chair", "Puzzle", "Racket", "Headset")
_BATCH = 50  # creates per unit of work while seeding

SEARCH_WORDS = tuple(word.lower() for word in _ADJECTIVES + _NOUNS)
"""Words that product names and descriptions are made of (the text searches use them)."""


@dataclass
class Catalog:
    """Ids the workload picks from, and the carts it believes are filled (kept in step)."""

    tag: str
    users: list[int] = field(default_factory=list)
    usernames: dict[int, str] = field(default_factory=dict)
    emails: dict[int, str] = field(default_factory=dict)
    sellers: list[int] = field(default_factory=list)
    categories: list[int] = field(default_factory=list)
    products: dict[int, int] = field(default_factory=dict)
    """product id -> seller id"""
    carts: dict[int, set[int]] = field(default_factory=dict)
    orders: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def cart_of(self, user_id: int) -> set[int]:
        """The products the workload put in ``user_id``'s cart."""
        return self.carts.setdefault(user_id, set())


Advance = Callable[[], None]


def _users(store: Store, catalog: Catalog, count: int, sellers: int, advance: Advance) -> None:
    for start in range(0, count, _BATCH):
        with store.unit_of_work():
            for serial in range(start, min(start + _BATCH, count)):
                name = f"{catalog.tag}-shopper{serial:03d}"
                user = store.users.create(
                    NewUser(
                        username=name,
                        email=f"{name}@demo.example",
                        password_hash=f"$2b$12$demo{serial:04d}{catalog.tag}hashhashhashhash",
                        first_name=f"Shopper {serial}",
                        is_seller=serial < sellers,
                    )
                )
                advance()
                catalog.users.append(user.id)
                catalog.usernames[user.id] = user.username
                catalog.emails[user.id] = user.email
                if user.is_seller:
                    catalog.sellers.append(user.id)


def _categories(store: Store, catalog: Catalog, count: int, advance: Advance) -> None:
    roots = min(len(_ROOTS), max(1, count // 3))
    with store.unit_of_work():
        parents = []
        for name in _ROOTS[:roots]:
            parents.append(store.categories.create(NewCategory(name=f"{name} {catalog.tag}")).id)
            advance()
        catalog.categories.extend(parents)
        for serial in range(count - roots):
            parent = parents[serial % roots]
            kind = _KINDS[serial // roots % len(_KINDS)]
            name = f"{_ROOTS[serial % roots]} {kind} {serial} {catalog.tag}"
            catalog.categories.append(
                store.categories.create(NewCategory(name=name, parent_id=parent)).id
            )
            advance()


def _products(
    store: Store, catalog: Catalog, count: int, rng: random.Random, advance: Advance
) -> None:
    for start in range(0, count, _BATCH):
        with store.unit_of_work():
            for _ in range(start, min(start + _BATCH, count)):
                name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {rng.randrange(1000)}"
                product = store.products.create(
                    NewProduct(
                        seller_id=rng.choice(catalog.sellers),
                        category_id=rng.choice(catalog.categories),
                        name=name,
                        description=f"A {name.lower()} from the demo shop.",
                        price=Decimal(rng.randrange(100, 20_000)) / 100,
                        inventory_quantity=rng.randrange(50, 400),
                    )
                )
                catalog.products[product.id] = product.seller_id
                advance()


def seed(
    store: Store,
    *,
    tag: str,
    users: int,
    sellers: int,
    categories: int,
    products: int,
    rng: random.Random,
    advance: Advance = lambda: None,
) -> Catalog:
    """Create users (the first ``sellers`` of them sell), a category tree and products.

    ``tag`` goes into every name, so that runs on a shared database never collide;
    ``advance`` is called once per row created.
    """
    catalog = Catalog(tag=tag)
    _users(store, catalog, users, sellers, advance)
    _categories(store, catalog, categories, advance)
    _products(store, catalog, products, rng, advance)
    return catalog
