"""Keyset paging of the listings of :mod:`examples.store.listings`.

A listing is ordered by a domain sort key, e.g. products by ``(name, id)``
ascending and orders by ``(created_at, id)`` descending. A page asks for
``page_size + 1`` rows after the key in the token (``WHERE name > :name OR
(name = :name AND id > :id)``), so the database serves every page from an
index, however deep; the extra row only tells whether another page follows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Integer, and_, bindparam, or_
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from examples.store.listings import PageRequest, SortOrder
from examples.store.sql.records import AnyRow, AnySelect
from interfaces.paging import Page

__all__ = ["KeysetOrder", "fetch_page"]

M = TypeVar("M")


@dataclass(frozen=True)
class KeysetOrder:
    """A listing's domain ``order`` as SQL: one expression per field of its sort key."""

    expressions: tuple[ColumnElement[Any], ...]
    order: SortOrder

    def order_by(self) -> list[ColumnElement[Any]]:
        """The ORDER BY clause."""
        descending = self.order.descending
        return [e.desc() if descending else e.asc() for e in self.expressions]

    def after(self) -> ColumnElement[bool]:
        """Rows strictly after the key bound as ``:k0``, ``:k1``... in this order."""
        keys: list[BindParameter[Any]] = [
            bindparam(f"k{depth}") for depth in range(len(self.expressions))
        ]
        clauses: list[ColumnElement[bool]] = []
        for depth, expression in enumerate(self.expressions):
            key = keys[depth]
            beyond = expression < key if self.order.descending else expression > key
            equal_before = [e == k for e, k in zip(self.expressions[:depth], keys, strict=False)]
            clauses.append(and_(*equal_before, beyond))
        return or_(*clauses)

    def paged(self, statement: AnySelect, resume: bool) -> AnySelect:
        """``statement`` ordered, limited to ``:page_limit`` rows, after the key if ``resume``."""
        if resume:
            statement = statement.where(self.after())
        return statement.order_by(*self.order_by()).limit(bindparam("page_limit", type_=Integer))


def fetch_page(
    connection: Connection,
    statement_for: Callable[[bool], AnySelect],
    request: PageRequest,
    params: Mapping[str, object],
    to_models: Callable[[Sequence[AnyRow]], list[M]],
) -> Page[M]:
    """One page of a listing, resuming after the key of ``request``.

    ``statement_for(resume)`` is the listing's statement made by
    :meth:`KeysetOrder.paged` for the request's order; ``params`` are its own
    bound values.
    """
    size = request.page_size
    bound = {**params, "page_limit": size + 1}
    if request.after is not None:
        bound.update((f"k{depth}", value) for depth, value in enumerate(request.after))
    rows = connection.execute(statement_for(request.after is not None), bound).all()
    return request.page(to_models(rows[:size]), more=len(rows) > size)
