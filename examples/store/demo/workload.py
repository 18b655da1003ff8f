"""The scripted workload: the store's access patterns, in the mix of the workshop's estimates.

The patterns and their peak requests per second are those of
``reference/store.md``; each group gets its share of the calls (browse and
search 60, cart 25, users 19, orders 16, categories 15; normalized) and, within
a group, each pattern its share of the group's peak load. Two small seller
patterns (reprice, restock) are added so that products change during the run
too: a repriced product leaves older cart lines with their snapshot price,
which the report shows as expected staleness, not drift.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from examples.store import (
    CartRepository,
    CategoryRepository,
    EmptyCart,
    NewUser,
    OrderRepository,
    OrderStatus,
    ProductChanges,
    ProductFilter,
    ProductRepository,
    Store,
    UserRepository,
)
from examples.store.demo.catalog import SEARCH_WORDS, Catalog
from interfaces import (
    AlreadyExists,
    ConcurrencyConflict,
    DalError,
    NotFound,
    RuleViolation,
    ValidationFailed,
    operation_kind,
)

__all__ = [
    "GROUP_SHARES",
    "PATTERNS",
    "Pattern",
    "Shop",
    "StageCalls",
    "Workload",
    "every_read",
]

ANSWERS = (NotFound, AlreadyExists, ConcurrencyConflict, ValidationFailed, RuleViolation)
"""Errors that answer a call about the data (a sold-out product...), not failures."""

_PAGE = 20

_REPOSITORIES: dict[str, type] = {
    "users": UserRepository,
    "categories": CategoryRepository,
    "products": ProductRepository,
    "carts": CartRepository,
    "orders": OrderRepository,
}


def every_read() -> tuple[str, ...]:
    """Every query of the store as ``entity.operation``.

    The demo has the router re-read all of them once before a difference counts:
    its calls follow each other without pause, so a shadow read still queued when
    the next call writes the same row would otherwise look like drift. A
    difference that the re-read no longer shows is reported as transient.
    """
    return tuple(
        f"{entity}.{name}"
        for entity, protocol in _REPOSITORIES.items()
        for name, member in vars(protocol).items()
        if operation_kind(member) == "query"
    )


class Shop:
    """The store, what the workload knows of it, and a seeded random source."""

    def __init__(self, store: Store, catalog: Catalog, rng: random.Random) -> None:
        self.store = store
        self.catalog = catalog
        self.rng = rng
        self._new_users = itertools.count(1)

    def user(self) -> int:
        """Any user."""
        return self.rng.choice(self.catalog.users)

    def product(self) -> int:
        """Any product."""
        return self.rng.choice(list(self.catalog.products))

    def category(self) -> int:
        """Any category."""
        return self.rng.choice(self.catalog.categories)

    def word(self) -> str:
        """A word some product names contain."""
        return self.rng.choice(SEARCH_WORDS)

    def shopper_with_cart(self) -> int | None:
        """A user whose cart the workload filled, if any."""
        filled = [user for user, cart in self.catalog.carts.items() if cart]
        return self.rng.choice(filled) if filled else None

    def new_username(self) -> str:
        """A username no one has yet."""
        return f"{self.catalog.tag}-joined{next(self._new_users):04d}"


# --- browse and search ---------------------------------------------------------------------


def _list_filtered(shop: Shop) -> object:
    low = Decimal(shop.rng.randrange(0, 100))
    filters = shop.rng.choice(
        [
            ProductFilter(category_id=shop.category()),
            ProductFilter(min_price=low, max_price=low + 60),
            ProductFilter(text=shop.word(), max_price=Decimal(150)),
            ProductFilter(seller_id=shop.rng.choice(shop.catalog.sellers)),
        ]
    )
    page = shop.store.products.list(filters, page_size=_PAGE)
    if page.next_token and shop.rng.random() < 0.3:
        return shop.store.products.list(filters, page_size=_PAGE, page_token=page.next_token)
    return page


def _search(shop: Shop) -> object:
    return shop.store.products.search(shop.word(), page_size=_PAGE)


def _product(shop: Shop) -> object:
    if shop.rng.random() < 0.5:
        return shop.store.products.get_details(shop.product())
    return shop.store.products.get(shop.product())


def _by_category(shop: Shop) -> object:
    return shop.store.products.list_by_category(shop.category(), page_size=_PAGE)


def _reprice(shop: Shop) -> object:
    product_id = shop.product()
    price = Decimal(shop.rng.randrange(100, 20_000)) / 100
    seller = shop.catalog.products[product_id]
    return shop.store.products.update(product_id, seller, ProductChanges(price=price))


def _restock(shop: Shop) -> object:
    return shop.store.products.set_inventory(shop.product(), shop.rng.randrange(50, 400))


# --- cart ----------------------------------------------------------------------------------


def _add(shop: Shop) -> object:
    user, product = shop.user(), shop.product()
    item = shop.store.carts.add_item(user, product, shop.rng.randrange(1, 4))
    shop.catalog.cart_of(user).add(product)
    return item


def _in_cart(shop: Shop) -> tuple[int, int] | None:
    user = shop.shopper_with_cart()
    if user is None:
        return None
    return user, shop.rng.choice(sorted(shop.catalog.cart_of(user)))


def _cart(shop: Shop) -> object:
    return shop.store.carts.list_items(shop.shopper_with_cart() or shop.user())


def _update_quantity(shop: Shop) -> object:
    line = _in_cart(shop)
    if line is None:
        return _add(shop)
    return shop.store.carts.update_quantity(*line, shop.rng.randrange(1, 5))


def _validate(shop: Shop) -> object:
    return shop.store.carts.validate(shop.shopper_with_cart() or shop.user())


def _remove(shop: Shop) -> object:
    line = _in_cart(shop)
    if line is None:
        return _add(shop)
    shop.catalog.cart_of(line[0]).discard(line[1])
    shop.store.carts.remove_item(*line)
    return None


def _summary(shop: Shop) -> object:
    user = shop.shopper_with_cart() or shop.user()
    return shop.store.carts.summary(user), shop.store.carts.item_count(user)


def _clear(shop: Shop) -> object:
    user = shop.shopper_with_cart()
    if user is None:
        return _add(shop)
    shop.catalog.cart_of(user).clear()
    return shop.store.carts.clear(user)


# --- users ---------------------------------------------------------------------------------


def _by_username(shop: Shop) -> object:
    return shop.store.users.find_by_username(shop.catalog.usernames[shop.user()])


def _token_check(shop: Shop) -> object:
    return shop.store.users.get(shop.user())


def _sign_up(shop: Shop) -> object:
    name = shop.new_username()
    if shop.store.users.username_exists(name):
        return None
    return shop.store.users.create(
        NewUser(username=name, email=f"{name}@demo.example", password_hash=f"$2b$12${name}x")
    )


# --- orders --------------------------------------------------------------------------------


def _checkout(shop: Shop) -> object:
    user = shop.shopper_with_cart()
    if user is None:
        return _add(shop)
    shop.catalog.cart_of(user).clear()
    try:
        order = shop.store.orders.checkout(user)
    except EmptyCart:
        return None
    shop.catalog.orders.append(order.id)
    return order


def _validate_checkout(shop: Shop) -> object:
    line = _in_cart(shop)
    if line is None:
        return shop.store.carts.validate(shop.user())
    return shop.store.carts.validate(line[0]), shop.store.products.has_inventory(line[1], 1)


def _history(shop: Shop) -> object:
    return shop.store.orders.list_by_user(
        shop.user(), page_size=10
    ), shop.store.orders.count_by_user(shop.user())


def _order(shop: Shop) -> object:
    if not shop.catalog.orders:
        return _history(shop)
    return shop.store.orders.get(shop.rng.choice(shop.catalog.orders))


def _recent(shop: Shop) -> object:
    return shop.store.orders.list_by_status(OrderStatus.PENDING, page_size=10)


def _set_status(status: OrderStatus) -> Callable[[Shop], object]:
    def change(shop: Shop) -> object:
        if not shop.catalog.orders:
            return _history(shop)
        return shop.store.orders.update_status(shop.rng.choice(shop.catalog.orders), status)

    return change


# --- categories ----------------------------------------------------------------------------


def _categories(shop: Shop) -> object:
    return shop.store.categories.list_all()


def _roots(shop: Shop) -> object:
    return shop.store.categories.list_roots()


def _children(shop: Shop) -> object:
    return shop.store.categories.list_children(shop.category())


def _path(shop: Shop) -> object:
    return shop.store.categories.path(shop.category())


def _category(shop: Shop) -> object:
    return shop.store.categories.get(shop.category())


# --- the mix -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pattern:
    """One access pattern: its group, name, peak requests per second, and what it calls."""

    group: str
    name: str
    rps: int
    run: Callable[[Shop], object]


GROUP_SHARES = {"browse": 60, "cart": 25, "users": 19, "orders": 16, "categories": 15}
"""Each group's share of the load (the workshop's percentages, normalized when drawn)."""

PATTERNS: tuple[Pattern, ...] = (
    Pattern("browse", "list with filters", 420, _list_filtered),
    Pattern("browse", "text search", 420, _search),
    Pattern("browse", "product by id", 200, _product),
    Pattern("browse", "by category", 100, _by_category),
    Pattern("browse", "seller reprices", 10, _reprice),
    Pattern("browse", "seller restocks", 10, _restock),
    Pattern("cart", "add item", 175, _add),
    Pattern("cart", "get cart", 100, _cart),
    Pattern("cart", "update quantity", 100, _update_quantity),
    Pattern("cart", "validate inventory", 100, _validate),
    Pattern("cart", "remove item", 50, _remove),
    Pattern("cart", "summary", 50, _summary),
    Pattern("cart", "clear", 25, _clear),
    Pattern("users", "user by username", 250, _by_username),
    Pattern("users", "token check", 250, _token_check),
    Pattern("users", "create user", 10, _sign_up),
    Pattern("users", "profile by id", 5, _token_check),
    Pattern("orders", "checkout", 200, _checkout),
    Pattern("orders", "validate checkout", 200, _validate_checkout),
    Pattern("orders", "history", 50, _history),
    Pattern("orders", "order by id", 30, _order),
    Pattern("orders", "recent", 20, _recent),
    Pattern("orders", "status update", 10, _set_status(OrderStatus.COMPLETED)),
    Pattern("orders", "cancel", 5, _set_status(OrderStatus.CANCELLED)),
    Pattern("categories", "flat list", 50, _categories),
    Pattern("categories", "roots", 50, _roots),
    Pattern("categories", "children", 30, _children),
    Pattern("categories", "tree", 30, _categories),
    Pattern("categories", "path", 20, _path),
    Pattern("categories", "by id", 20, _category),
)
"""Every access pattern of the workload."""


def _weights(patterns: Sequence[Pattern]) -> list[float]:
    totals: Counter[str] = Counter()
    for pattern in patterns:
        totals[pattern.group] += pattern.rps
    shares = sum(GROUP_SHARES[group] for group in totals)
    return [GROUP_SHARES[p.group] / shares * p.rps / totals[p.group] for p in patterns]


@dataclass
class StageCalls:
    """What one stage's calls came to: calls per group, answers that were errors, failures."""

    calls: Counter[str] = field(default_factory=Counter)
    answered_with_error: int = 0
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Calls made."""
        return sum(self.calls.values())


class Workload:
    """Draws patterns by weight and runs each in its own unit of work."""

    def __init__(self, shop: Shop, patterns: Sequence[Pattern] = PATTERNS) -> None:
        self.shop = shop
        self.patterns = tuple(patterns)
        self._weights = _weights(self.patterns)

    def call(self, stats: StageCalls) -> None:
        """Run one pattern; answers that are errors are counted, as are failures."""
        (pattern,) = self.shop.rng.choices(self.patterns, weights=self._weights)
        stats.calls[pattern.group] += 1
        try:
            with self.shop.store.unit_of_work():
                pattern.run(self.shop)
        except ANSWERS:
            stats.answered_with_error += 1
        except DalError as error:
            stats.failures[type(error).__name__] += 1
