"""Assemble the memory fake's repositories into one :class:`~interfaces.Store`."""

from __future__ import annotations

from examples.store import Store
from examples.store.memory.carts import MemoryCartRepository
from examples.store.memory.categories import MemoryCategoryRepository
from examples.store.memory.orders import MemoryOrderRepository
from examples.store.memory.products import MemoryProductRepository
from examples.store.memory.state import MemoryState
from examples.store.memory.users import MemoryUserRepository
from interfaces.runtime import (
    Clock,
    IdAllocator,
    MemoryIdAllocator,
    SystemClock,
    no_unit_of_work,
)

__all__ = ["build_store"]


def build_store(*, clock: Clock | None = None, ids: IdAllocator | None = None) -> Store:
    """A fresh, empty in-memory store implementing every repository Protocol.

    ``clock`` stamps ``created_at``/``updated_at`` (default :class:`~interfaces.SystemClock`);
    ``ids`` hands out new ids, one sequence per legacy table name (default a
    fresh :class:`~interfaces.MemoryIdAllocator`). Every command applies at once
    under one lock, so ``unit_of_work`` is a no-op and the store is thread-safe.
    """
    state = MemoryState(
        clock=clock if clock is not None else SystemClock(),
        ids=ids if ids is not None else MemoryIdAllocator(),
    )
    return Store(
        users=MemoryUserRepository(state),
        categories=MemoryCategoryRepository(state),
        products=MemoryProductRepository(state),
        carts=MemoryCartRepository(state),
        orders=MemoryOrderRepository(state),
        unit_of_work=no_unit_of_work,
    )
