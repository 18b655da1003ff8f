"""The store's composition: the layer's container with the store's typed repositories.

The layer's container (:func:`dal.container.build_container`) serves every entity
through generic repositories. The store also has typed repositories of its own
(:class:`~examples.store.Store`: users, categories, products, carts, orders, with
checkout, cart merge and the category tree), so it overrides the container's store
providers with its builders, names its declarations and contract, lists the reads
its DynamoDB repositories serve from an index (re-read once before a difference
counts) and the id sequence of its ``order_items`` lines::

    container = store_container()          # DAL_* settings; the store's contract by default
    store = container.routed_store()       # a Store: store.users, ..., store.repository(name)
    container.shutdown_resources()
"""

from __future__ import annotations

import dataclasses

from dependency_injector import providers
from sqlalchemy import Engine

from adapters.dynamodb.client import DynamoClient
from dal.container import Container, build_container
from dal.contract import Contract
from dal.settings import Settings, load_settings
from examples.store import CONTRACT
from examples.store.store import Store
from interfaces import Clock, IdAllocator
from interfaces.repository import Repositories

__all__ = [
    "DECLARATIONS",
    "EVENTUALLY_CONSISTENT_READS",
    "STORE_SEQUENCES",
    "store_container",
    "store_settings",
]

DECLARATIONS = "examples.store.declarations"
"""Where the store's entity declarations are (``DAL_DECLARATIONS``)."""

EVENTUALLY_CONSISTENT_READS = (
    "users.get",
    "orders.get",
    "products.list",
    "products.list_by_seller",
    "products.list_by_category",
)
"""Reads the store's DynamoDB repositories serve from a global secondary index."""

EXTRA_SEQUENCES = {"order_items": "id"}
"""Ids the store allocates for a table that is not an entity: its orders' lines."""

STORE_SEQUENCES = ("users", "categories", "products", "shopping_carts", "orders", "order_items")
"""Every id sequence of the store: one per legacy table, named after it."""


def store_settings(settings: Settings | None = None) -> Settings:
    """``settings`` (default: ``DAL_*``) with the store's contract and declarations unless set."""
    base = settings if settings is not None else load_settings()
    update: dict[str, object] = {}
    if "contract" not in base.model_fields_set:
        update["contract"] = CONTRACT
    if base.declarations is None:
        update["declarations"] = DECLARATIONS
    return base.model_copy(update=update) if update else base


def store_container(settings: Settings | None = None) -> Container:
    """The layer's container over the store's settings, serving :class:`Store` stores."""
    container = build_container(store_settings(settings))
    c = container
    c.mysql_store.override(
        providers.ThreadSafeSingleton(
            _sql_store, c.mysql_engine, c.clock, c.id_allocator, c.mysql_entities
        )
    )
    c.memory_store.override(
        providers.ThreadSafeSingleton(_memory_store, c.clock, c.memory_entities)
    )
    c.dynamodb_store.override(
        providers.ThreadSafeSingleton(
            _dynamodb_store,
            c.settings,
            c.contract,
            c.clock,
            c.id_allocator,
            c.dynamodb_entities,
            c.dynamodb_client,
        )
    )
    c.routed_old_store.override(
        providers.ThreadSafeSingleton(
            _sql_store, c.mysql_engine, c.replaying_clock, c.replaying_ids, c.routed_old_entities
        )
    )
    c.routed_new_store.override(
        providers.ThreadSafeSingleton(
            _dynamodb_store,
            c.settings,
            c.contract,
            c.replaying_clock,
            c.replaying_ids,
            c.routed_new_entities,
            c.dynamodb_client,
        )
    )
    c.store_type.override(providers.Object(Store))
    c.builder.override(providers.Object(store_container))  # shadow workers build this one
    c.eventually_consistent.override(providers.Object(EVENTUALLY_CONSISTENT_READS))
    c.extra_sequences.override(providers.Object(EXTRA_SEQUENCES))
    return container


def _sql_store(engine: Engine, clock: Clock, ids: IdAllocator, entities: Repositories) -> Store:
    from examples.store.sql import build_store

    return dataclasses.replace(build_store(engine, clock=clock, ids=ids), entities=entities)


def _memory_store(clock: Clock, entities: Repositories) -> Store:
    from examples.store.memory import build_store

    return dataclasses.replace(build_store(clock=clock), entities=entities)


def _dynamodb_store(
    settings: Settings,
    contract: Contract,
    clock: Clock,
    ids: IdAllocator,
    entities: Repositories,
    client: DynamoClient,
) -> Store:
    from examples.store.dynamodb import build_store

    store = build_store(
        contract=contract, table_prefix=settings.table_prefix, clock=clock, ids=ids, client=client
    )
    return dataclasses.replace(store, entities=entities)
