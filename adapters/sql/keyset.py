"""The SQL of a named query: its filter, its order and the keyset condition of a page token.

Every backend sorts ``None`` first ascending and last descending; MySQL,
MariaDB and SQLite order NULL the same way, so ``ORDER BY`` needs no ``NULLS
FIRST``. A page resumes after the previous page's last sort key: the row-value
comparison ``(a, b, c) > (x, y, z)`` is expanded into an OR chain that treats
NULL as the smallest value::

    a > x  OR  (a = x AND b > y)  OR  (a = x AND b = y AND c > z)

where ``a = NULL`` becomes ``a IS NULL``, ``a > NULL`` becomes ``a IS NOT NULL``
and, descending, ``a < x`` becomes ``(a < x OR a IS NULL)`` and ``a < NULL``
matches nothing. Which sort key values are NULL changes the SQL, so a statement
is built once per pattern of NULLs and kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, bindparam, false, or_
from sqlalchemy.sql.elements import ColumnElement

__all__ = ["after_condition", "after_param", "order_clauses", "where_param"]


def where_param(index: int) -> str:
    """The name of the bound parameter of the ``index``-th filter field."""
    return f"dal_w{index}"


def after_param(index: int) -> str:
    """The name of the bound parameter of the ``index``-th value of the page token."""
    return f"dal_a{index}"


def order_clauses(sorted_by: Sequence[ColumnElement[Any]], descending: bool) -> list[Any]:
    """ORDER BY every sort expression, all ascending or all descending."""
    return [expr.desc() if descending else expr.asc() for expr in sorted_by]


def after_condition(
    sorted_by: Sequence[ColumnElement[Any]], nulls: Sequence[bool], descending: bool
) -> ColumnElement[bool]:
    """Rows strictly after the token's sort key; ``nulls[i]`` says its ``i``-th value is None."""
    terms: list[ColumnElement[bool]] = []
    for index, expr in enumerate(sorted_by):
        beyond = _beyond(expr, index, nulls[index], descending)
        if beyond is None:
            continue
        same = [_same(sorted_by[j], j, nulls[j]) for j in range(index)]
        terms.append(and_(*same, beyond))
    return or_(*terms) if terms else false()


def _same(expr: ColumnElement[Any], index: int, is_null: bool) -> ColumnElement[bool]:
    if is_null:
        return expr.is_(None)
    same: ColumnElement[bool] = expr == bindparam(after_param(index))
    return same


def _beyond(
    expr: ColumnElement[Any], index: int, is_null: bool, descending: bool
) -> ColumnElement[bool] | None:
    if descending:
        if is_null:
            return None  # nothing sorts below NULL
        return or_(expr < bindparam(after_param(index)), expr.is_(None))
    if is_null:
        return expr.is_not(None)
    beyond: ColumnElement[bool] = expr > bindparam(after_param(index))
    return beyond
