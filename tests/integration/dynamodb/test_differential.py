"""The same random operations on the memory fake, the SQL adapter (SQLite) and DynamoDB.

A hypothesis state machine applies each operation to the three stores and
checks that they give the same result or raise the same error type. Ids and
timestamps are made equal across backends: every store gets its own id
allocator and clock, both driven by the step number (ids ``step * 100 + n``
per sequence, time ``start + step`` seconds), so a backend that allocates an
id or reads the clock at another moment still gets the same values.

Known, documented differences are normalized away: cart lines show the
product's name and price as a snapshot on DynamoDB (compared without them,
and cart subtotals only while no product was repriced).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from pydantic import BaseModel

from dal.contract import Contract
from examples.store import (
    CartLine,
    CategoryChanges,
    NewCategory,
    NewOrder,
    NewOrderItem,
    NewProduct,
    NewUser,
    OrderStatus,
    ProductChanges,
    ProductFilter,
    Store,
    UserChanges,
)
from interfaces import DalError, Page

START = datetime(2026, 1, 1, tzinfo=UTC)
NAMES = st.sampled_from(["ann", "bob", "cy"])
EMAILS = st.sampled_from(["a@x.io", "b@x.io", "c@x.io"])
CATEGORY_NAMES = st.sampled_from(["Art", "Books", "Cars", "Dogs"])
PRODUCT_NAMES = st.sampled_from(["pen", "Pen", "mug", "lamp"])
PRICES = st.sampled_from([Decimal("1.00"), Decimal("2.50"), Decimal("10.00")])
QUANTITIES = st.integers(min_value=0, max_value=4)
MISSING = 9_999


@dataclass
class Step:
    """The step number every store's clock and ids follow."""

    number: int = 0


@dataclass
class StepClock:
    """Returns ``START + step`` seconds, however often it is read within a step."""

    step: Step

    def now(self) -> datetime:
        return START + timedelta(seconds=self.step.number)


@dataclass
class StepIds:
    """Hands out ``step * 100 + n`` per sequence, n restarting at 1 every step."""

    step: Step
    _seen: dict[str, tuple[int, int]] = field(default_factory=dict)

    def allocate(self, sequence: str) -> int:
        number, count = self._seen.get(sequence, (-1, 0))
        count = count + 1 if number == self.step.number else 1
        self._seen[sequence] = (self.step.number, count)
        return self.step.number * 100 + count


def _plain(value: Any) -> Any:
    """What is compared: models as dicts, cart lines without their snapshot fields."""
    if isinstance(value, CartLine):
        return value.model_dump(exclude={"product_name", "price"})
    if isinstance(value, Page):
        return ([_plain(i) for i in value.items], value.next_token)
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


@dataclass
class Backends:
    """Builders of the three stores, each emptied before it is built."""

    builders: dict[str, Callable[[StepClock, StepIds], Store]]


class DifferentialMachine(RuleBasedStateMachine):
    """Random operations on every backend, compared step by step."""

    backends: Backends

    def __init__(self) -> None:
        super().__init__()
        self.step = Step()
        self.stores = {
            name: build(StepClock(self.step), StepIds(self.step))
            for name, build in self.backends.builders.items()
        }
        self.users: list[int] = []
        self.categories: list[int] = []
        self.products: list[int] = []
        self.orders: list[int] = []
        self.repriced = False

    def same(self, call: Callable[[Store], Any]) -> Any:
        """Run ``call`` on every store; all must agree on the result or the error type."""
        self.step.number += 1
        outcomes = {}
        for name, store in self.stores.items():
            try:
                with store.unit_of_work():
                    outcomes[name] = ("ok", _plain(call(store)))
            except DalError as error:
                outcomes[name] = ("error", type(error).__name__)
        first = next(iter(outcomes.values()))
        assert all(o == first for o in outcomes.values()), outcomes
        return first[1] if first[0] == "ok" else None

    def pick(self, data: st.DataObject, pool: list[int]) -> int:
        return data.draw(st.sampled_from([*pool, MISSING]))

    # --- users ------------------------------------------------------------------------------

    @rule(username=NAMES, email=EMAILS, seller=st.booleans())
    def create_user(self, username: str, email: str, seller: bool) -> None:
        new = NewUser(username=username, email=email, password_hash="h", is_seller=seller)
        created = self.same(lambda s: s.users.create(new))
        if created:
            self.users.append(created["id"])

    @rule(data=st.data(), username=st.none() | NAMES, email=st.none() | EMAILS)
    def update_user(self, data: st.DataObject, username: str | None, email: str | None) -> None:
        fields = {k: v for k, v in {"username": username, "email": email}.items() if v}
        changes = UserChanges(**fields) if fields else UserChanges(first_name="F")
        user_id = self.pick(data, self.users)
        self.same(lambda s: s.users.update(user_id, changes))

    @rule(data=st.data())
    def upgrade_to_seller(self, data: st.DataObject) -> None:
        user_id = self.pick(data, self.users)
        self.same(lambda s: s.users.upgrade_to_seller(user_id))

    @rule(data=st.data())
    def delete_user(self, data: st.DataObject) -> None:
        user_id = self.pick(data, self.users)
        self.same(lambda s: s.users.delete(user_id))

    # --- categories -------------------------------------------------------------------------

    @rule(data=st.data(), name=CATEGORY_NAMES, root=st.booleans())
    def create_category(self, data: st.DataObject, name: str, root: bool) -> None:
        parent = None if root else self.pick(data, self.categories)
        created = self.same(lambda s: s.categories.create(NewCategory(name=name, parent_id=parent)))
        if created:
            self.categories.append(created["id"])

    @rule(data=st.data(), name=st.none() | CATEGORY_NAMES, move=st.booleans())
    def update_category(self, data: st.DataObject, name: str | None, move: bool) -> None:
        category_id = self.pick(data, self.categories)
        fields: dict[str, Any] = {"name": name} if name else {}
        if move or not fields:
            fields["parent_id"] = data.draw(
                st.none() | st.sampled_from([*self.categories, MISSING])
            )
        changes = CategoryChanges(**fields)
        self.same(lambda s: s.categories.update(category_id, changes))

    @rule(data=st.data())
    def delete_category(self, data: st.DataObject) -> None:
        category_id = self.pick(data, self.categories)
        self.same(lambda s: s.categories.delete(category_id))

    # --- products ---------------------------------------------------------------------------

    @rule(data=st.data(), name=PRODUCT_NAMES, price=PRICES, stock=QUANTITIES)
    def create_product(self, data: st.DataObject, name: str, price: Decimal, stock: int) -> None:
        seller, category = self.pick(data, self.users), self.pick(data, self.categories)
        new = NewProduct(
            seller_id=seller,
            category_id=category,
            name=name,
            price=price,
            inventory_quantity=stock,
        )
        created = self.same(lambda s: s.products.create(new))
        if created:
            self.products.append(created["id"])

    @rule(data=st.data(), name=st.none() | PRODUCT_NAMES, price=st.none() | PRICES)
    def update_product(self, data: st.DataObject, name: str | None, price: Decimal | None) -> None:
        product_id, seller = self.pick(data, self.products), self.pick(data, self.users)
        fields: dict[str, Any] = {
            k: v for k, v in {"name": name, "price": price}.items() if v is not None
        }
        if not fields:
            fields = {"category_id": self.pick(data, self.categories)}
        self.repriced = self.repriced or "price" in fields or "name" in fields
        self.same(lambda s: s.products.update(product_id, seller, ProductChanges(**fields)))

    @rule(data=st.data())
    def delete_product(self, data: st.DataObject) -> None:
        product_id, seller = self.pick(data, self.products), self.pick(data, self.users)
        self.same(lambda s: s.products.delete(product_id, seller))

    @rule(data=st.data(), quantity=st.integers(min_value=-1, max_value=4), reduce=st.booleans())
    def change_inventory(self, data: st.DataObject, quantity: int, reduce: bool) -> None:
        product_id = self.pick(data, self.products)
        if reduce:
            self.same(lambda s: s.products.reduce_inventory(product_id, quantity))
        else:
            self.same(lambda s: s.products.set_inventory(product_id, quantity))

    # --- carts and orders -------------------------------------------------------------------

    @rule(data=st.data(), quantity=st.integers(min_value=0, max_value=3))
    def add_to_cart(self, data: st.DataObject, quantity: int) -> None:
        user_id, product_id = self.pick(data, self.users), self.pick(data, self.products)
        self.same(lambda s: s.carts.add_item(user_id, product_id, quantity))

    @rule(data=st.data(), quantity=st.integers(min_value=0, max_value=3), remove=st.booleans())
    def change_cart(self, data: st.DataObject, quantity: int, remove: bool) -> None:
        user_id, product_id = self.pick(data, self.users), self.pick(data, self.products)
        if remove:
            self.same(lambda s: s.carts.remove_item(user_id, product_id))
        else:
            self.same(lambda s: s.carts.update_quantity(user_id, product_id, quantity))

    @rule(data=st.data())
    def checkout(self, data: st.DataObject) -> None:
        user_id = self.pick(data, self.users)
        order = self.same(lambda s: s.orders.checkout(user_id))
        if order:
            self.orders.append(order["id"])

    @rule(data=st.data(), quantity=st.integers(min_value=1, max_value=2))
    def create_order(self, data: st.DataObject, quantity: int) -> None:
        user_id, product_id = self.pick(data, self.users), self.pick(data, self.products)
        line = NewOrderItem(product_id=product_id, quantity=quantity, price_at_time=Decimal("3.00"))
        order = self.same(lambda s: s.orders.create(NewOrder(user_id=user_id, items=(line,))))
        if order:
            self.orders.append(order["id"])

    @rule(data=st.data(), status=st.sampled_from(list(OrderStatus)))
    def update_status(self, data: st.DataObject, status: OrderStatus) -> None:
        order_id = self.pick(data, self.orders)
        self.same(lambda s: s.orders.update_status(order_id, status))

    # --- what every backend must show alike -------------------------------------------------

    @invariant()
    def same_state(self) -> None:
        self.same(lambda s: s.categories.list_all())
        self.same(lambda s: s.products.list(ProductFilter(), page_size=100))
        self.same(lambda s: [s.users.find_by_username(n) for n in ("ann", "bob", "cy")])
        for user_id in self.users:
            self.same_for_user(user_id)

    def same_for_user(self, user_id: int) -> None:
        self.same(lambda s: (s.carts.list_items(user_id), s.orders.list_by_user(user_id)))
        if not self.repriced:
            self.same(lambda s: s.carts.summary(user_id))


@pytest.fixture(scope="module")
def backends(
    sqlite_url: str,
    prefix: str,
    contract: Contract,
    dynamodb_endpoint: str,
    empty_tables: Callable[[], None],
) -> Iterator[Backends]:
    from sqlalchemy import MetaData

    from adapters.mysql import create_engine
    from examples.store.dynamodb import build_store as build_dynamo_store
    from examples.store.memory import build_store as build_memory_store
    from examples.store.migrations import upgrade
    from examples.store.sql import build_store as build_sql_store

    engine = create_engine(sqlite_url.replace("dal.db", "differential.db"))
    upgrade(engine)
    metadata = MetaData()
    metadata.reflect(engine)
    tables = [t for t in reversed(metadata.sorted_tables) if t.name != "alembic_version"]

    def dynamodb(clock: StepClock, ids: StepIds) -> Store:
        empty_tables()
        return build_dynamo_store(
            contract=contract, table_prefix=prefix, endpoint=dynamodb_endpoint, clock=clock, ids=ids
        )

    def sql(clock: StepClock, ids: StepIds) -> Store:
        with engine.begin() as connection:
            for table in tables:
                connection.execute(table.delete())
        return build_sql_store(engine, clock=clock, ids=ids)

    yield Backends(
        {
            "memory": lambda clock, ids: build_memory_store(clock=clock, ids=ids),
            "sqlite": sql,
            "dynamodb": dynamodb,
        }
    )
    engine.dispose()


@pytest.mark.slow
def test_backends_agree_on_random_operations(backends: Backends) -> None:
    class Machine(DifferentialMachine):
        pass

    Machine.backends = backends
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=12,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
