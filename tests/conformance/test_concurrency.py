"""Concurrent callers: optimistic versions, atomic stock, unique values, competing checkouts.

Every thread opens its own units of work on the shared store. Transient
errors (:class:`~interfaces.Retryable`) are retried, as a careful caller would.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from support.factories import Seeder, new_user
from support.threads import retry, run_in_threads

from examples.store import InsufficientInventory, Product, ProductChanges, Store
from interfaces import AlreadyExists, ConcurrencyConflict, Retryable

THREADS = 4


def test_read_modify_write_with_versions_loses_no_update(store: Store, seed: Seeder) -> None:
    product = seed.product(price="0.00")
    rounds = 5

    def increment() -> Product:
        with store.unit_of_work():
            current = store.products.get(product.id)
            changes = ProductChanges(price=current.price + 1)
            return store.products.update(
                product.id, product.seller_id, changes, expected_version=current.version
            )

    def worker(_: int) -> int:
        return sum(retry(increment, (ConcurrencyConflict, Retryable))[1] for _ in range(rounds))

    conflicts = run_in_threads(worker, THREADS)
    with store.unit_of_work():
        final = store.products.get(product.id)
    assert final.price == Decimal(THREADS * rounds)
    assert final.version == 1 + THREADS * rounds
    assert sum(conflicts) >= 0


def test_concurrent_reductions_never_oversell(store: Store, seed: Seeder) -> None:
    stock = 12
    product = seed.product(inventory_quantity=stock)
    wanted = [1, 2, 3] * 2

    def reduce(quantity: int) -> int:
        with store.unit_of_work():
            store.products.reduce_inventory(product.id, quantity)
        return quantity

    def worker(_: int) -> tuple[int, list[tuple[int, int]]]:
        taken, refused = 0, []
        for quantity in wanted:
            try:
                taken += retry(partial(reduce, quantity), (Retryable,))[0]
            except InsufficientInventory as error:
                refused.append((quantity, error.requested))
        return taken, refused

    results = run_in_threads(worker, THREADS)
    taken = [t for t, _ in results]
    assert all(asked == requested for _, r in results for asked, requested in r)
    with store.unit_of_work():
        final = store.products.get(product.id)
    assert final.inventory_quantity >= 0
    assert final.inventory_quantity + sum(taken) == stock
    assert final.inventory_quantity < max(wanted)


def test_concurrent_adds_to_one_cart_line_all_count(store: Store, seed: Seeder) -> None:
    product, user = seed.product(), seed.user()
    adds = 5

    def add() -> None:
        with store.unit_of_work():
            store.carts.add_item(user.id, product.id, 1)

    def worker(_: int) -> None:
        for _ in range(adds):
            retry(add, (Retryable,))

    run_in_threads(worker, THREADS)
    with store.unit_of_work():
        assert store.carts.item_count(user.id) == THREADS * adds
        assert len(store.carts.list_items(user.id)) == 1


def test_concurrent_creates_of_one_username_let_one_win(store: Store) -> None:
    def create(index: int) -> str:
        def attempt() -> None:
            with store.unit_of_work():
                store.users.create(new_user(index, username="contested"))

        try:
            retry(attempt, (Retryable,))
        except AlreadyExists as error:
            return f"lost on {error.field}"
        return "won"

    outcomes = run_in_threads(create, THREADS)
    assert sorted(outcomes) == ["lost on username"] * (THREADS - 1) + ["won"]
    with store.unit_of_work():
        winner = store.users.find_by_username("contested")
    assert winner is not None
    assert winner.email == f"user{outcomes.index('won')}@example.com"


def test_competing_checkouts_sell_each_unit_once(store: Store, seed: Seeder) -> None:
    product = seed.product(inventory_quantity=2)
    other = seed.product(inventory_quantity=100)
    buyers = [seed.user() for _ in range(THREADS)]
    for buyer in buyers:
        seed.cart(buyer.id, {product.id: 1, other.id: 1})

    def checkout(index: int) -> int | None:
        """None when the buyer got the order, else the product that was short."""

        def attempt() -> None:
            with store.unit_of_work():
                store.orders.checkout(buyers[index].id)

        try:
            retry(attempt, (Retryable,))
        except InsufficientInventory as error:
            return error.product_id
        return None

    shortages = run_in_threads(checkout, THREADS)
    assert sorted(shortages, key=str) == [product.id] * (THREADS - 2) + [None, None]
    bought = [short is None for short in shortages]
    with store.unit_of_work():
        assert store.products.get(product.id).inventory_quantity == 0
        assert store.products.get(other.id).inventory_quantity == 100 - 2
        for buyer, done in zip(buyers, bought, strict=True):
            assert store.orders.count_by_user(buyer.id) == int(done)
            assert store.carts.item_count(buyer.id) == (0 if done else 2)


def test_concurrent_creates_get_distinct_ids(store: Store) -> None:
    def create(index: int) -> int:
        def attempt() -> int:
            with store.unit_of_work():
                return store.users.create(new_user(index)).id

        return retry(attempt, (Retryable,))[0]

    ids = run_in_threads(create, THREADS)
    assert len(set(ids)) == THREADS
