"""Assemble the DynamoDB repositories into one :class:`~interfaces.Store`."""

from __future__ import annotations

from adapters.dynamodb.client import DynamoClient, connect
from adapters.dynamodb.ids import DynamoIdAllocator
from adapters.dynamodb.retry import RetryPolicy
from dal.contract import Contract
from examples.store import Store
from examples.store.declarations import CATEGORIES, USERS
from examples.store.dynamodb.base import Backend, Layouts
from examples.store.dynamodb.carts import DynamoCartRepository
from examples.store.dynamodb.categories import DynamoCategoryRepository
from examples.store.dynamodb.orders import DynamoOrderRepository
from examples.store.dynamodb.products import DynamoProductRepository
from examples.store.dynamodb.users import DynamoUserRepository
from interfaces import Clock, IdAllocator, SystemClock, no_unit_of_work
from interfaces.entities import EntitySpec

__all__ = ["build_store"]


def build_store(
    *,
    contract: Contract,
    table_prefix: str = "",
    endpoint: str | None = None,
    region: str = "us-east-1",
    clock: Clock | None = None,
    ids: IdAllocator | None = None,
    retry: RetryPolicy | None = None,
    users_spec: EntitySpec = USERS,
    categories_spec: EntitySpec = CATEGORIES,
    client: DynamoClient | None = None,
) -> Store:
    """A store over the contract's DynamoDB tables (names prefixed with ``table_prefix``).

    ``endpoint`` None (or empty) is the real AWS endpoint of ``region``; ids
    default to a :class:`DynamoIdAllocator` on ``{table_prefix}dal_sequences``
    (create it with :func:`ensure_sequences_table`), the clock to
    :class:`~interfaces.SystemClock`, retries to :class:`RetryPolicy`'s defaults.
    Every command is atomic on its own, so ``unit_of_work`` is a no-op.
    ``users_spec``/``categories_spec`` are the declarations whose unique constraints the
    guard items enforce (see :meth:`Layouts.from_contract`). ``client`` (with its own
    timeouts and retries) replaces ``endpoint``, ``region`` and ``retry``.
    """
    if client is None:
        client = DynamoClient(connect(endpoint, region), retry)
    backend = Backend(
        client=client,
        layouts=Layouts.from_contract(
            contract, table_prefix, users_spec=users_spec, categories_spec=categories_spec
        ),
        clock=clock if clock is not None else SystemClock(),
        ids=ids if ids is not None else DynamoIdAllocator(client, table_prefix),
    )
    return Store(
        users=DynamoUserRepository(backend),
        categories=DynamoCategoryRepository(backend),
        products=DynamoProductRepository(backend),
        carts=DynamoCartRepository(backend),
        orders=DynamoOrderRepository(backend),
        unit_of_work=no_unit_of_work,
    )
