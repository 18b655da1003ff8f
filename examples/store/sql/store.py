"""Assemble the SQL adapter's repositories into one :class:`~interfaces.Store`."""

from __future__ import annotations

from sqlalchemy import Engine

from adapters.mysql.errors import name_entities
from adapters.mysql.ids import SqlIdAllocator
from examples.store import Store
from examples.store.schema import ENTITY_NAMES, REFERENCED_BY
from examples.store.sql.base import Context
from examples.store.sql.carts import SqlCartRepository
from examples.store.sql.categories import SqlCategoryRepository
from examples.store.sql.orders import SqlOrderRepository
from examples.store.sql.products import SqlProductRepository
from examples.store.sql.users import SqlUserRepository
from interfaces.runtime import Clock, IdAllocator, SystemClock

__all__ = ["build_store"]


def build_store(
    engine: Engine, *, clock: Clock | None = None, ids: IdAllocator | None = None
) -> Store:
    """Every repository of the store over ``engine`` (MySQL/MariaDB or SQLite).

    ``clock`` stamps ``created_at``/``updated_at`` (default :class:`~interfaces.SystemClock`);
    ``ids`` hands out new ids (default a :class:`SqlIdAllocator` on ``engine``).
    Repositories work inside ``with store.unit_of_work():`` only (else NoUnitOfWork);
    the schema must be at the head revision of :mod:`examples.store.migrations`.
    """
    name_entities(ENTITY_NAMES, REFERENCED_BY)
    context = Context(
        engine,
        clock=clock if clock is not None else SystemClock(),
        ids=ids if ids is not None else SqlIdAllocator(engine),
    )
    return Store(
        users=SqlUserRepository(context),
        categories=SqlCategoryRepository(context),
        products=SqlProductRepository(context),
        carts=SqlCartRepository(context),
        orders=SqlOrderRepository(context),
        unit_of_work=context.unit_of_work,
    )
