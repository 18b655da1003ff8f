"""Paged listings of the memory fake, with the backend-neutral tokens of ``interfaces.paging``.

A listing sorts its rows by their domain sort key, skips past the key the
token carries, and returns one page; the next token encodes the key of the last
row returned, bound to the listing's scope (its name and arguments).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from interfaces.errors import InvalidPageToken
from interfaces.paging import Page, check_page_size, decode_token, encode_token

__all__ = ["SortOrder", "paginate"]

T = TypeVar("T")
SortKey = tuple[Any, ...]


@dataclass(frozen=True)
class SortOrder(Generic[T]):
    """How a listing is ordered: each row's domain sort key, its element types, the direction."""

    key: Callable[[T], SortKey]
    types: tuple[type, ...]
    descending: bool = False

    def sort(self, rows: Iterable[T]) -> list[T]:
        """``rows`` in listing order."""
        return sorted(rows, key=self.key, reverse=self.descending)

    def comes_after(self, row: T, last: SortKey) -> bool:
        """Whether ``row`` follows the row whose key is ``last`` in listing order."""
        key = self.key(row)
        return key < last if self.descending else key > last

    def check(self, key: SortKey) -> SortKey:
        """``key`` if it has this order's shape; InvalidPageToken otherwise."""
        if len(key) != len(self.types) or not all(map(_is_a, key, self.types)):
            raise InvalidPageToken("page token does not hold a key of this listing")
        return key


def paginate(
    rows: Iterable[T],
    order: SortOrder[T],
    scope: Sequence[object],
    page_size: int,
    page_token: str | None,
) -> Page[T]:
    """One page of ``rows`` in ``order``, resuming after the key in ``page_token``."""
    check_page_size(page_size)
    ordered = order.sort(rows)
    if page_token is not None:
        last = order.check(decode_token(scope, page_token))
        ordered = [row for row in ordered if order.comes_after(row, last)]
    page = ordered[:page_size]
    more = len(ordered) > page_size
    next_token = encode_token(scope, order.key(page[-1])) if more else None
    return Page(items=tuple(page), next_token=next_token)


def _is_a(value: object, kind: type) -> bool:
    if isinstance(value, bool) and kind is not bool:
        return False
    if isinstance(value, datetime):
        return kind is datetime and value.utcoffset() is not None
    return isinstance(value, kind)
