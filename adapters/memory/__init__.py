"""An in-memory fake of every repository, for fast unit tests (the layer's and its users').

It is the reference behaviour the other adapters are checked against: the same
results, orderings, paging tokens and errors, with data kept in process memory::

    from adapters.memory import build_store
    from interfaces import NewUser, SteppingClock

    store = build_store(clock=SteppingClock())
    user = store.users.create(NewUser(username="ada", email="ada@example.com", password_hash="x"))

Each command takes effect at once and atomically; ``store.unit_of_work()`` is a
no-op context manager (it does not roll anything back).

:class:`MemoryRepositories` gives the generic repository of every declared
entity (:mod:`interfaces.repository`); its unit of work is all-or-nothing.
"""

from adapters.memory.generic import MemoryRepositories

__all__ = ["MemoryRepositories"]
