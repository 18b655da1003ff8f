"""Pages cut from a GSI read in index order, behind the tokens of :mod:`examples.store.listings`.

Where DynamoDB's order is not the domain order (scans, order timelines), a
listing sorts every candidate with :meth:`~examples.store.listings.PageRequest.select`.
:func:`page_from_index` serves listings read from a GSI whose sort key is the
first component of the domain key (products by name): it stops as soon as the
page, and every tie of its last name, has been read, then orders ties by id,
so ties are broken by id exactly as on the other backends.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from examples.store.listings import PageRequest
from interfaces.paging import Page

__all__ = ["page_from_index"]

T = TypeVar("T")


def page_from_index(request: PageRequest, rows: Iterable[T]) -> Page[T]:
    """The page of ``request`` among ``rows`` that arrive ordered by the first key component."""
    key, size = request.order.key, request.page_size
    collected: list[T] = []
    for row in rows:
        if len(collected) > size and key(row)[0] > key(collected[size])[0]:
            break
        if request.wants(row):
            collected.append(row)
    return request.cut(request.order.sort(collected))
