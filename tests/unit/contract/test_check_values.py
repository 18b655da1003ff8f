"""The value checks of `dal contract check` that a MariaDB table cannot hold (NaN, infinity)."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Column, Float, Integer, MetaData, Numeric, Table
from sqlalchemy.dialects import mysql

from dal.contract.check import Kind, RowScreen, build_screen


def _screen() -> RowScreen:
    table = Table(
        "readings",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("single", mysql.FLOAT()),
        Column("double", Float(asdecimal=True)),
        Column("amount", Numeric(65, 30)),
        Column("dur", mysql.TIME()),
    )
    return build_screen(table)


def _kinds(**values: object) -> set[tuple[str, Kind]]:
    screen = _screen()
    row = [values.get(name) for name in screen.columns]
    return {(p.column, p.kind) for p in screen.problems(row)}


def test_nan_and_infinity_are_not_numbers() -> None:
    assert _kinds(single=math.nan, double=math.inf) == {
        ("single", Kind.NOT_A_NUMBER),
        ("double", Kind.NOT_A_NUMBER),
    }


def test_a_double_is_safe_only_when_its_decimal_reads_back_equal() -> None:
    assert _kinds(double=0.5) == set()
    assert _kinds(double=1e-20) == {("double", Kind.FLOAT)}
    assert _kinds(single=0.5) == {("single", Kind.FLOAT)}


def test_decimals_and_times() -> None:
    assert _kinds(amount=Decimal("1" * 38)) == set()
    assert _kinds(amount=Decimal("1" * 39)) == {("amount", Kind.DECIMAL_DIGITS)}
    assert _kinds(dur=timedelta(hours=-1)) == {("dur", Kind.NEGATIVE_TIME)}
