"""Paged listings behind the neutral tokens of :mod:`interfaces.paging`.

A token holds the domain sort key of the last item returned, so a token of
another backend resumes the same listing here. Two ways to build a page:

* :meth:`Listing.page` sorts every candidate (used where DynamoDB's order is
  not the domain order: scans, order timelines);
* :meth:`Listing.page_from_index` reads a GSI whose sort key is the first
  component of the domain key (products by name) in index order and stops as
  soon as the page, and every tie of its last name, has been read, then orders
  ties by id. Ties are therefore broken by id exactly as on the other backends.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from interfaces import InvalidPageToken, Page
from interfaces.paging import check_page_size, decode_token, encode_token

__all__ = ["Listing"]

T = TypeVar("T")
SortKey = tuple[Any, ...]


@dataclass(frozen=True)
class Listing(Generic[T]):
    """One listing: its token scope, the domain sort key of a row and its direction."""

    scope: Sequence[object]
    key: Callable[[T], SortKey]
    types: tuple[type, ...]
    descending: bool = False

    def after(self, page_size: int, page_token: str | None) -> SortKey | None:
        """Validate the page size and return the key the token resumes after (None at start)."""
        check_page_size(page_size)
        if page_token is None:
            return None
        key = decode_token(self.scope, page_token)
        if len(key) != len(self.types) or not all(map(_is_a, key, self.types)):
            raise InvalidPageToken("page token does not hold a key of this listing")
        return key

    def page(self, rows: Iterable[T], page_size: int, after: SortKey | None) -> Page[T]:
        """Sort every row and cut the page that follows ``after``."""
        ordered = sorted(rows, key=self.key, reverse=self.descending)
        return self._cut([r for r in ordered if self._follows(r, after)], page_size)

    def page_from_index(self, rows: Iterable[T], page_size: int, after: SortKey | None) -> Page[T]:
        """Cut a page from rows that arrive ordered by the first key component (ascending)."""
        collected: list[T] = []
        for row in rows:
            if len(collected) > page_size and self.key(row)[0] > self.key(collected[page_size])[0]:
                break
            if self._follows(row, after):
                collected.append(row)
        return self._cut(sorted(collected, key=self.key), page_size)

    def _follows(self, row: T, after: SortKey | None) -> bool:
        if after is None:
            return True
        key = self.key(row)
        return key < after if self.descending else key > after

    def _cut(self, ordered: list[T], page_size: int) -> Page[T]:
        page = ordered[:page_size]
        more = len(ordered) > page_size
        token = encode_token(self.scope, self.key(page[-1])) if more else None
        return Page(items=tuple(page), next_token=token)


def _is_a(value: object, kind: type) -> bool:
    if isinstance(value, bool) and kind is not bool:
        return False
    if isinstance(value, datetime):
        return kind is datetime and value.utcoffset() is not None
    return isinstance(value, kind)
