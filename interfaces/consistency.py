"""Whether the reads of the current context may be answered from an index's copy.

A repository that finds an entity by a field other than its key, on a backend
whose secondary indexes are eventually consistent (DynamoDB's GSIs), reads in two
steps: it finds the item in the index, then reads it again, strongly consistent,
from the table. The router's shadow reads do not need the second step. Their
answer is compared with the primary's, and the router reads again, strongly
consistent, before it counts a difference (:mod:`dal.routing.reads`). Inside
``with index_copies():`` an adapter may therefore answer with the copy of the whole
item that the index holds (a GSI whose projection is ``ALL``), and say so with
:func:`use_index_copy`; outside, nothing changes.

The permission lives in a context variable: it applies to the calls of the thread
(or task) that set it, and to nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["IndexCopies", "index_copies", "use_index_copy"]


@dataclass
class IndexCopies:
    """The reads of one ``with index_copies():`` block: ``served`` answers came from an
    index's copy (0: every answer was read from the table as usual)."""

    served: int = 0


_COPIES: ContextVar[IndexCopies | None] = ContextVar("dal_index_copies", default=None)


@contextmanager
def index_copies() -> Iterator[IndexCopies]:
    """Reads inside the block may be answered from an index's copy of the item."""
    copies = IndexCopies()
    token = _COPIES.set(copies)
    try:
        yield copies
    finally:
        _COPIES.reset(token)


def use_index_copy() -> bool:
    """Whether the current read may answer from an index's copy (and count it if so).

    An adapter calls it when it holds a whole item from an index, just before it
    would read the item again from the table: True means answer with the copy.
    """
    copies = _COPIES.get()
    if copies is None:
        return False
    copies.served += 1
    return True
