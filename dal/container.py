"""The composition root: the one place that builds concrete adapters from :class:`Settings`.

Application code and the CLI ask the container for what they need::

    container = build_container()          # settings from DAL_* variables
    store = container.mysql_store()
    with store.unit_of_work():
        store.users.get(1)
    container.shutdown_resources()         # disposes the engine's connections

Singletons are thread-safe (built once under a lock); the engine is a Resource, disposed by
``shutdown_resources()``. Every provider can be overridden in tests, for example
``container.clock.override(SteppingClock())``.
Adapters are imported inside the factories below, on first use, so importing this module
costs nothing and a CLI command pulls in only the backends it uses.

Providers are grouped by what they build: settings, runtime (clock), the old store (MySQL),
the in-memory store; add a group per new backend or service the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from dependency_injector import containers, providers

from dal.settings import Settings, load_settings
from interfaces import Clock, IdAllocator, Store, SystemClock

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["Container", "build_container"]


# --- factories: the only imports of concrete adapters -------------------------------------


def _mysql_engine(url: str) -> Iterator[Engine]:
    """The configured SQLAlchemy engine of the old store; disposed at shutdown."""
    from adapters.mysql import create_engine

    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _sql_id_allocator(engine: Engine) -> IdAllocator:
    from adapters.mysql import SqlIdAllocator

    allocator: IdAllocator = SqlIdAllocator(engine)
    return allocator


def _mysql_store(engine: Engine, clock: Clock, ids: IdAllocator) -> Store:
    from adapters.mysql import build_store

    return build_store(engine, clock=clock, ids=ids)


def _memory_store(clock: Clock) -> Store:
    from adapters.memory import build_store

    return build_store(clock=clock)


# --- the container -------------------------------------------------------------------------


class Container(containers.DeclarativeContainer):
    """Every long-lived object of the layer, built lazily from one :class:`Settings`."""

    # settings: read from DAL_* variables on first use unless build_container was given some
    settings = providers.ThreadSafeSingleton(load_settings)

    # runtime
    clock = providers.ThreadSafeSingleton(SystemClock)

    # old store: MySQL/MariaDB (or SQLite) through SQLAlchemy
    mysql_engine = providers.Resource(_mysql_engine, settings.provided.mysql_url)
    id_allocator = providers.ThreadSafeSingleton(_sql_id_allocator, mysql_engine)
    mysql_store = providers.ThreadSafeSingleton(
        _mysql_store, mysql_engine, clock=clock, ids=id_allocator
    )

    # in-memory store: the fake, for tests and demos without servers
    memory_store = providers.ThreadSafeSingleton(_memory_store, clock=clock)


def build_container(settings: Settings | None = None) -> Container:
    """A container over ``settings`` (default: :func:`~dal.settings.load_settings` on first use)."""
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    return container
