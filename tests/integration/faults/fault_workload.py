"""A writing workload through the routed store, and a ledger of what each write promised.

A few threads create, update and delete users, products, cart lines and orders
(checkout) for as long as they are told. Each thread owns the objects it made,
so their final state is known without locks between threads. Every write runs in
its own unit of work and is timed.

The ledger keeps, per object, the states it may end in. An acknowledged write
(the unit of work returned without an error) leaves one: its own. A write that
failed may or may not have taken effect, so its object may end in either state;
the thread then leaves that object alone. A write is *lost* when its object ends
in none of the states it may end in.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from examples.store import (
    NewCategory,
    NewProduct,
    NewUser,
    OrderStatus,
    ProductChanges,
    Store,
    UserChanges,
)
from interfaces import NotFound

Key = tuple[str, Any]
State = Any
"""What the checks compare of an object: a tuple of fields, or None when it must be absent."""

_ABSENT = None


# --- what an object looks like on one side -----------------------------------------------------


def read_state(store: Store, key: Key) -> State:
    """The state of ``key`` on ``store`` (None when absent)."""
    kind, ident = key
    try:
        with store.unit_of_work():
            if kind == "user":
                user = store.users.get(ident)
                return (user.username, user.email, user.first_name)
            if kind == "product":
                product = store.products.get(ident)
                return (product.name, Decimal(product.price), product.inventory_quantity)
            if kind == "cart":
                line = store.carts.get_item(*ident)
                return None if line is None else line.quantity
            if kind == "order":
                order = store.orders.get(ident)
                items = tuple((item.product_id, item.quantity) for item in order.items)
                return (order.user_id, order.status.value, items)
    except NotFound:
        return _ABSENT
    raise ValueError(f"unknown kind {kind}")


# --- the ledger --------------------------------------------------------------------------------


@dataclass
class Expectation:
    """The states an object may end in, and whether any write to it was acknowledged."""

    states: list[State]
    acknowledged: int = 0


@dataclass
class Call:
    """One write: when it started, how long the caller waited, whether it was acknowledged."""

    started: float
    seconds: float
    acknowledged: bool


class Ledger:
    """What every write promised, and every call's timing."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.expected: dict[Key, Expectation] = {}
        self.calls: list[Call] = []

    def acknowledged(self, changes: dict[Key, State]) -> None:
        with self._lock:
            for key, state in changes.items():
                known = self.expected.get(key)
                count = known.acknowledged + 1 if known else 1
                self.expected[key] = Expectation([state], count)

    def unacknowledged(self, changes: dict[Key, State]) -> None:
        with self._lock:
            for key, state in changes.items():
                known = self.expected.setdefault(key, Expectation([]))
                if state not in known.states:
                    known.states.append(state)

    def record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def lost(self, read: Callable[[Key], State]) -> list[tuple[Key, State, list[State]]]:
        """Objects with an acknowledged write whose state is none of those allowed."""
        missing = []
        for key, expectation in self.expected.items():
            if not expectation.acknowledged:
                continue
            actual = read(key)
            if actual not in expectation.states:
                missing.append((key, actual, expectation.states))
        return missing

    def calls_during(self, start: float, end: float) -> list[Call]:
        """The calls a fault from ``start`` to ``end`` could delay: those in flight meanwhile."""
        return [c for c in self.calls if c.started < end and c.started + c.seconds > start]


# --- one thread's objects ------------------------------------------------------------------------


@dataclass
class Seed:
    """What the workload starts from: a category and, per thread, a seller and a shopper."""

    tag: str
    category: int
    sellers: list[int]
    shoppers: list[int]


def seed(store: Store, tag: str, threads: int) -> Seed:
    """Create the category, sellers and shoppers the threads start from."""
    with store.unit_of_work():
        category = store.categories.create(NewCategory(name=f"Faults {tag}")).id
        sellers, shoppers = [], []
        for n in range(threads):
            for kind, into in (("seller", sellers), ("shopper", shoppers)):
                name = f"{tag}-{kind}{n}"
                user = store.users.create(
                    NewUser(
                        username=name,
                        email=f"{name}@faults.example",
                        password_hash=f"$2b$12${name}hash",
                        is_seller=kind == "seller",
                    )
                )
                into.append(user.id)
    return Seed(tag, category, sellers, shoppers)


@dataclass
class Actor:
    """One thread of the workload and the objects it owns."""

    number: int
    store: Store
    ledger: Ledger
    seed: Seed
    rng: random.Random
    users: dict[int, State] = field(default_factory=dict)
    products: dict[int, State] = field(default_factory=dict)
    carted: set[int] = field(default_factory=set)
    """Products that were ever in a cart (never deleted: an order may hold them)."""
    cart: dict[int, int] = field(default_factory=dict)
    """The shopper's cart lines: product id -> quantity."""
    serial: int = 0
    attempted: int = 0
    acknowledged: int = 0

    @property
    def seller(self) -> int:
        return self.seed.sellers[self.number]

    shopper: int | None = None

    def name(self, kind: str) -> str:
        self.serial += 1
        return f"{self.seed.tag}-{kind}{self.number}-{self.serial}"

    # --- running one write ----------------------------------------------------------------

    def write(self, action: Callable[[], dict[Key, State]], maybe: dict[Key, State]) -> bool:
        """Run ``action`` in a unit of work; the ledger hears what it changed.

        ``maybe`` is what the write changes if it takes effect, as far as it is known
        before the call (a create's id is not).
        """
        self.attempted += 1
        started = time.monotonic()
        try:
            with self.store.unit_of_work():
                changes = action()
        except Exception:
            self.ledger.record(Call(started, time.monotonic() - started, False))
            self.ledger.unacknowledged(maybe)
            return False
        self.ledger.record(Call(started, time.monotonic() - started, True))
        self.acknowledged += 1
        self.ledger.acknowledged(changes)
        return True

    # --- the writes -------------------------------------------------------------------------

    def create_user(self) -> None:
        name = self.name("u")
        new = NewUser(username=name, email=f"{name}@faults.example", password_hash=f"$2b$12${name}")

        def action() -> dict[Key, State]:
            user = self.store.users.create(new)
            self.users[user.id] = (name, new.email, None)
            return {("user", user.id): self.users[user.id]}

        self.write(action, {})

    def update_user(self) -> None:
        if not self.users:
            return self.create_user()
        user_id = self.rng.choice(sorted(self.users))
        username, email, _ = self.users[user_id]
        first = f"F{self.serial}"
        self.serial += 1
        after = (username, email, first)
        if self.write(
            lambda: self._changed(
                "user",
                user_id,
                after,
                self.store.users.update(user_id, UserChanges(first_name=first)),
            ),
            {("user", user_id): after},
        ):
            self.users[user_id] = after
        else:
            del self.users[user_id]
        return None

    def delete_user(self) -> None:
        if not self.users:
            return self.create_user()
        user_id = self.rng.choice(sorted(self.users))
        del self.users[user_id]
        self.write(
            lambda: self._changed("user", user_id, None, self.store.users.delete(user_id)),
            {("user", user_id): None},
        )
        return None

    def create_product(self) -> None:
        name = self.name("p")
        price = Decimal(self.rng.randrange(100, 10_000)) / 100
        new = NewProduct(
            seller_id=self.seller,
            category_id=self.seed.category,
            name=name,
            price=price,
            inventory_quantity=100,
        )

        def action() -> dict[Key, State]:
            product = self.store.products.create(new)
            self.products[product.id] = (name, price, 100)
            return {("product", product.id): self.products[product.id]}

        self.write(action, {})

    def reprice(self) -> None:
        if not self.products:
            return self.create_product()
        product_id = self.rng.choice(sorted(self.products))
        name, _, stock = self.products[product_id]
        price = Decimal(self.rng.randrange(100, 10_000)) / 100
        after = (name, price, stock)
        changes = ProductChanges(price=price)
        if self.write(
            lambda: self._changed(
                "product",
                product_id,
                after,
                self.store.products.update(product_id, self.seller, changes),
            ),
            {("product", product_id): after},
        ):
            self.products[product_id] = after
        else:
            self._forget_product(product_id)
        return None

    def restock(self) -> None:
        if not self.products:
            return self.create_product()
        product_id = self.rng.choice(sorted(self.products))
        name, price, _ = self.products[product_id]
        stock = self.rng.randrange(50, 400)
        after = (name, price, stock)
        if self.write(
            lambda: self._changed(
                "product", product_id, after, self.store.products.set_inventory(product_id, stock)
            ),
            {("product", product_id): after},
        ):
            self.products[product_id] = after
        else:
            self._forget_product(product_id)
        return None

    def delete_product(self) -> None:
        free = sorted(set(self.products) - self.carted)
        if not free:
            return self.create_product()
        product_id = self.rng.choice(free)
        del self.products[product_id]
        self.write(
            lambda: self._changed(
                "product", product_id, None, self.store.products.delete(product_id, self.seller)
            ),
            {("product", product_id): None},
        )
        return None

    def add_to_cart(self) -> None:
        if not self._has_shopper():
            return None
        shopper = self.shopper
        assert shopper is not None
        free = sorted(set(self.products) - self.carted)
        if not free:
            return self.create_product()
        product_id = self.rng.choice(free)
        self.carted.add(product_id)
        quantity = self.rng.randrange(1, 4)
        key: Key = ("cart", (shopper, product_id))
        if self.write(
            lambda: self._changed(
                "cart",
                key[1],
                quantity,
                self.store.carts.add_item(shopper, product_id, quantity),
            ),
            {key: quantity},
        ):
            self.cart[product_id] = quantity
        else:
            self._new_shopper()
        return None

    def change_quantity(self) -> None:
        if not self._has_shopper():
            return None
        shopper = self.shopper
        assert shopper is not None
        if not self.cart:
            return self.add_to_cart()
        product_id = self.rng.choice(sorted(self.cart))
        quantity = self.rng.randrange(1, 6)
        key: Key = ("cart", (shopper, product_id))
        if self.write(
            lambda: self._changed(
                "cart",
                key[1],
                quantity,
                self.store.carts.update_quantity(shopper, product_id, quantity),
            ),
            {key: quantity},
        ):
            self.cart[product_id] = quantity
        else:
            self._new_shopper()
        return None

    def remove_from_cart(self) -> None:
        if not self._has_shopper():
            return None
        shopper = self.shopper
        assert shopper is not None
        if not self.cart:
            return self.add_to_cart()
        product_id = self.rng.choice(sorted(self.cart))
        key: Key = ("cart", (shopper, product_id))
        if self.write(
            lambda: self._changed(
                "cart", key[1], None, self.store.carts.remove_item(shopper, product_id)
            ),
            {key: None},
        ):
            del self.cart[product_id]
        else:
            self._new_shopper()
        return None

    def checkout(self) -> None:
        if not self._has_shopper():
            return None
        shopper = self.shopper
        assert shopper is not None
        lines = {p: q for p, q in self.cart.items() if p in self.products}
        if not lines or len(lines) != len(self.cart):
            return self.add_to_cart()
        emptied: dict[Key, State] = {("cart", (shopper, p)): None for p in lines}
        reduced: dict[Key, State] = {}
        for product_id, quantity in lines.items():
            name, price, stock = self.products[product_id]
            reduced[("product", product_id)] = (name, price, stock - quantity)
        items = tuple(sorted(lines.items()))

        def action() -> dict[Key, State]:
            order = self.store.orders.checkout(shopper)
            state = (shopper, OrderStatus.PENDING.value, items)
            return {**emptied, **reduced, ("order", order.id): state}

        if self.write(action, {**emptied, **reduced}):
            self.cart.clear()
            for (_, product_id), state in reduced.items():
                self.products[product_id] = state
        else:
            for product_id in lines:
                self._forget_product(product_id)
            self._new_shopper()
        return None

    # --- bookkeeping --------------------------------------------------------------------------

    @staticmethod
    def _changed(kind: str, ident: Any, state: State, _result: object) -> dict[Key, State]:
        return {(kind, ident): state}

    def _forget_product(self, product_id: int) -> None:
        """A write to the product may or may not have happened: leave it alone from now on."""
        self.products.pop(product_id, None)
        self.carted.add(product_id)

    def _new_shopper(self) -> None:
        """The cart's state is uncertain: leave it, and shop as an own user from now on."""
        self.cart.clear()
        spare = sorted(self.users)
        self.shopper = spare[0] if spare else None
        if spare:
            del self.users[spare[0]]  # a shopper is never deleted: its cart and orders stay

    def _has_shopper(self) -> bool:
        if self.shopper is None:
            self._new_shopper()
        if self.shopper is None:
            self.create_user()
            return False
        return True

    def step(self) -> None:
        """One write, drawn by weight."""
        (chosen,) = self.rng.choices(_WRITES, weights=[w for _, w in _WRITES])
        chosen[0](self)


_WRITES: list[tuple[Callable[[Actor], None], int]] = [
    (Actor.create_user, 2),
    (Actor.update_user, 2),
    (Actor.delete_user, 1),
    (Actor.create_product, 3),
    (Actor.reprice, 2),
    (Actor.restock, 1),
    (Actor.delete_product, 1),
    (Actor.add_to_cart, 3),
    (Actor.change_quantity, 1),
    (Actor.remove_from_cart, 1),
    (Actor.checkout, 1),
]


class Workload:
    """Threads of :class:`Actor` writing through one routed store until stopped."""

    def __init__(self, store: Store, start: Seed, *, threads: int = 3, seed: int = 7) -> None:
        self.ledger = Ledger()
        self.actors = [
            Actor(n, store, self.ledger, start, random.Random(seed * 100 + n))
            for n in range(threads)
        ]
        for actor in self.actors:
            actor.shopper = start.shoppers[actor.number]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.crashed: list[BaseException] = []

    @property
    def attempted(self) -> int:
        return sum(actor.attempted for actor in self.actors)

    @property
    def acknowledged(self) -> int:
        return sum(actor.acknowledged for actor in self.actors)

    def _run(self, actor: Actor) -> None:
        try:
            while not self._stop.is_set():
                actor.step()
        except BaseException as error:  # a bug of the workload itself, reported by the test
            self.crashed.append(error)

    def start(self) -> None:
        for actor in self.actors:
            thread = threading.Thread(target=self._run, args=(actor,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def stop(self) -> None:
        """No new writes from now on (writes in flight go on)."""
        self._stop.set()

    def join(self, timeout: float) -> bool:
        """Wait for the writes in flight; False if some thread is still stuck."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)


def p99(seconds: list[float]) -> float:
    """The 99th percentile (nearest rank) of ``seconds``; 0 when there are none."""
    if not seconds:
        return 0.0
    ordered = sorted(seconds)
    rank = max(0, -(-99 * len(ordered) // 100) - 1)
    return ordered[rank]


def states(store: Store) -> Callable[[Key], State]:
    """A reader of states on one side."""
    return lambda key: read_state(store, key)
