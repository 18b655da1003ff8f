"""In-memory repositories of every declared entity, for fast tests (the layer's and its users').

They are the reference behaviour the other backends are checked against (the
conformance suite, :mod:`dal.testing`): the same results, orderings, paging tokens
and errors, with data kept in process memory::

    from adapters.memory import MemoryRepositories
    from interfaces import SteppingClock

    repositories = MemoryRepositories(SPECS, clock=SteppingClock())
    with repositories.unit_of_work():       # all-or-nothing
        repositories.repository("tickets").create({...})
"""

from adapters.memory.generic import MemoryRepositories

__all__ = ["MemoryRepositories"]
