"""Fixtures of the conformance suite: every test runs once per registered backend.

``store`` is an empty :class:`~interfaces.Store` of the backend under test,
stamping with ``clock`` (a :class:`~support.clocks.RecordingClock` over a
1-second :class:`~interfaces.SteppingClock`) and numbering with a fresh
:class:`~interfaces.MemoryIdAllocator`. Schemas are created once per session;
tables are emptied before each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.clocks import RecordingClock
from support.factories import Seeder

from conformance.backends import BACKENDS, Backend, BackendSession, StoreFactory
from examples.store import Store
from interfaces import Clock, MemoryIdAllocator


@pytest.fixture(scope="session", params=[b.param() for b in BACKENDS.values()])
def backend(request: pytest.FixtureRequest) -> Backend:
    """The backend under test (one run of the suite per registry entry)."""
    chosen: Backend = request.param
    return chosen


@pytest.fixture(scope="session")
def backend_session(backend: Backend, request: pytest.FixtureRequest) -> Iterator[BackendSession]:
    """The backend opened once for the whole session."""
    session = backend.open(request)
    yield session
    session.close()


@pytest.fixture
def clock() -> RecordingClock:
    """A deterministic clock (1 s per call) that remembers what it returned."""
    return RecordingClock()


@pytest.fixture
def ids() -> MemoryIdAllocator:
    """A fresh id allocator: every sequence starts at 1."""
    return MemoryIdAllocator()


@pytest.fixture
def make_store(backend_session: BackendSession, ids: MemoryIdAllocator) -> StoreFactory:
    """Empty the backend and build a store with the given clock (for tests that need one)."""

    def make(clock: Clock) -> Store:
        backend_session.reset()
        return backend_session.build(clock, ids)

    return make


@pytest.fixture
def store(make_store: StoreFactory, clock: RecordingClock) -> Store:
    """An empty store of the backend under test."""
    return make_store(clock)


@pytest.fixture
def seed(store: Store) -> Seeder:
    """Creates valid users, categories, products, carts and orders in ``store``."""
    return Seeder(store)
