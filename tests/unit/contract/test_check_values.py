"""The value checks of `dal contract check` that a MariaDB table cannot hold (NaN, infinity)."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import Column, Float, Integer, MetaData, Numeric, Table
from sqlalchemy.dialects import mysql

from dal.contract import Contract, parse_contract
from dal.contract.check import Kind, RowScreen, build_screen


def _screen() -> RowScreen:
    return build_screen(_table())


def _table() -> Table:
    return Table(
        "readings",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("single", mysql.FLOAT()),
        Column("double", Float(asdecimal=True)),
        Column("amount", Numeric(65, 30)),
        Column("dur", mysql.TIME()),
    )


def _kinds(**values: object) -> set[tuple[str, Kind]]:
    screen = _screen()
    row = [values.get(name) for name in screen.columns]
    return {(p.column, p.kind) for p in screen.problems(row)}


def test_nan_and_infinity_are_not_numbers() -> None:
    assert _kinds(single=math.nan, double=math.inf) == {
        ("single", Kind.NOT_A_NUMBER),
        ("double", Kind.NOT_A_NUMBER),
    }


def test_every_float_is_one_only_text_keeps_exactly() -> None:
    assert _kinds(double=0.5) == {("double", Kind.FLOAT)}
    assert _kinds(double=1e-20) == {("double", Kind.FLOAT)}
    assert _kinds(single=0.5) == {("single", Kind.FLOAT)}


def _as_text(*columns: str) -> Contract:
    attributes = [
        {"name": c, "type": "S", "source_table": "readings", "source_column": c}
        for c in ("id", *columns)
    ]
    table = {
        "table": "Readings",
        "type": "single-entity",
        "source_table": "readings",
        "pk": "id",
        "gsis": [],
        "attributes": attributes,
        "satisfies": ["reading by id"],
        "estimated_item_size_bytes": 100,
    }
    return parse_contract({"tables": [table]})


def test_floats_and_times_stored_as_text_are_handled() -> None:
    entities = _as_text("single", "double", "dur").tables[0].entities
    screen = build_screen(_table(), entities)
    row = [1, 0.5, 1e-20, None, timedelta(hours=-838)]
    assert {(p.column, p.kind, p.handled) for p in screen.problems(row)} == {
        ("single", Kind.FLOAT, True),
        ("double", Kind.FLOAT, True),
        ("dur", Kind.NEGATIVE_TIME, True),
    }


def test_decimals_and_times() -> None:
    assert _kinds(amount=Decimal("1" * 38)) == set()
    assert _kinds(amount=Decimal("1" * 39)) == {("amount", Kind.DECIMAL_DIGITS)}
    assert _kinds(dur=timedelta(hours=-1)) == {("dur", Kind.NEGATIVE_TIME)}
