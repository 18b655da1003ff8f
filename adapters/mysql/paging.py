"""Keyset paging with the backend-neutral tokens of :mod:`interfaces.paging`.

A listing is ordered by a domain sort key, e.g. products by ``(name, id)``
ascending and orders by ``(created_at, id)`` descending. A page asks for
``page_size + 1`` rows after the key in the token (``WHERE name > :name OR
(name = :name AND id > :id)``), so the database serves every page from an
index, however deep; the extra row only tells whether another page follows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Integer, and_, bindparam, or_
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from adapters.mysql.records import AnyRow, AnySelect
from interfaces.errors import InvalidPageToken
from interfaces.paging import Page, check_page_size, decode_token, encode_token

__all__ = ["KeysetOrder", "PageRequest", "fetch_page"]

M = TypeVar("M")
SortKey = tuple[Any, ...]


@dataclass(frozen=True)
class KeysetOrder:
    """A listing's order: SQL expressions, the model fields they hold, their types, direction."""

    expressions: tuple[ColumnElement[Any], ...]
    fields: tuple[str, ...]
    types: tuple[type, ...]
    descending: bool = False

    def order_by(self) -> list[ColumnElement[Any]]:
        """The ORDER BY clause."""
        return [e.desc() if self.descending else e.asc() for e in self.expressions]

    def after(self) -> ColumnElement[bool]:
        """Rows strictly after the key bound as ``:k0``, ``:k1``... in this order."""
        keys: list[BindParameter[Any]] = [
            bindparam(f"k{depth}") for depth in range(len(self.expressions))
        ]
        clauses: list[ColumnElement[bool]] = []
        for depth, expression in enumerate(self.expressions):
            key = keys[depth]
            beyond = expression < key if self.descending else expression > key
            equal_before = [e == k for e, k in zip(self.expressions[:depth], keys, strict=False)]
            clauses.append(and_(*equal_before, beyond))
        return or_(*clauses)

    def paged(self, statement: AnySelect, resume: bool) -> AnySelect:
        """``statement`` ordered, limited to ``:page_limit`` rows, after the key if ``resume``."""
        if resume:
            statement = statement.where(self.after())
        return statement.order_by(*self.order_by()).limit(bindparam("page_limit", type_=Integer))

    def key_of(self, item: object) -> SortKey:
        """The sort key of a returned model."""
        return tuple(getattr(item, name) for name in self.fields)

    def checked(self, key: SortKey) -> SortKey:
        """``key`` if it has this order's shape; InvalidPageToken otherwise."""
        if len(key) != len(self.types) or not all(map(_is_a, key, self.types)):
            raise InvalidPageToken("page token does not hold a key of this listing")
        return key


@dataclass(frozen=True)
class PageRequest:
    """Which listing (``scope``), how many rows, from where."""

    scope: Sequence[object]
    page_size: int
    page_token: str | None


def fetch_page(
    connection: Connection,
    statement_for: Callable[[bool], AnySelect],
    order: KeysetOrder,
    request: PageRequest,
    params: Mapping[str, object],
    to_models: Callable[[Sequence[AnyRow]], list[M]],
) -> Page[M]:
    """One page of a listing in ``order``, resuming after the token's key.

    ``statement_for(resume)`` is the listing's statement made by
    :meth:`KeysetOrder.paged`; ``params`` are its own bound values.
    """
    size = check_page_size(request.page_size)
    bound = {**params, "page_limit": size + 1}
    resume = request.page_token is not None
    if request.page_token is not None:
        last = order.checked(decode_token(request.scope, request.page_token))
        bound.update((f"k{depth}", value) for depth, value in enumerate(last))
    rows = connection.execute(statement_for(resume), bound).all()
    items = to_models(rows[:size])
    more = len(rows) > size
    token = encode_token(request.scope, order.key_of(items[-1])) if more else None
    return Page(items=tuple(items), next_token=token)


def _is_a(value: object, kind: type) -> bool:
    if isinstance(value, bool) and kind is not bool:
        return False
    if isinstance(value, datetime):
        return kind is datetime and value.utcoffset() is not None
    return isinstance(value, kind)
