"""An in-memory fake of every repository, for fast unit tests (the layer's and its users').

It is the reference behaviour the other adapters are checked against: the same
results, orderings, paging tokens and errors, with data kept in process memory::

    from adapters.memory import build_store
    from interfaces import NewUser, SteppingClock

    store = build_store(clock=SteppingClock())
    user = store.users.create(NewUser(username="ada", email="ada@example.com", password_hash="x"))

Each command takes effect at once and atomically; ``store.unit_of_work()`` is a
no-op context manager (it does not roll anything back).
"""

from adapters.memory._store import build_store

__all__ = ["build_store"]
