"""Default declarations of the tracker's reflected tables match its hand-written ones."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from sqlalchemy import Delete, Engine, Table, insert, select

from dal.entities import COLLATION_INFO, default_spec, reflect_tables
from examples.tracker.declarations import SPECS, TICKETS
from interfaces.entities import EntitySpec

CREATED = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
UPDATED = datetime(2024, 5, 2, 10, 0, 1, tzinfo=UTC)
DUE = datetime(2024, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)

VALUES: dict[str, dict[str, Any]] = {
    "projects": {
        "id": 1,
        "name": "Apollo",
        "owner_email": "owner@example.com",
        "version": 1,
        "created_at": CREATED,
        "updated_at": UPDATED,
    },
    "labels": {"id": 2, "project_id": 1, "title": "bug", "created_at": CREATED},
    "tickets": {
        "project_id": 1,
        "number": 7,
        "code": "APO-7",
        "title": "Launch",
        "status": "in_progress",
        "estimate": "3.5",
        "due_at": DUE,
        "label_id": 2,
        "version": 3,
        "created_at": CREATED,
        "updated_at": UPDATED,
    },
}
"""A valid row of each table, as a caller would give it."""


def declaration(name: str) -> EntitySpec:
    return next(spec for spec in SPECS if spec.name == name)


def uniques(spec: EntitySpec) -> set[tuple[tuple[str, ...], bool]]:
    return {(u.fields, u.case_insensitive) for u in spec.unique}


def references(spec: EntitySpec) -> set[tuple[object, ...]]:
    return {(r.fields, r.target, r.target_fields, r.on_delete) for r in spec.references}


@pytest.mark.parametrize("name", ["projects", "labels", "tickets"])
def test_the_default_matches_the_declaration(name: str, reflected: dict[str, Table]) -> None:
    default, declared = default_spec(reflected[name]), declaration(name)
    assert default.name == declared.name
    assert default.table == declared.table
    assert default.key == declared.key
    assert default.id_sequence == declared.id_sequence
    assert default.version == declared.version
    assert (default.created_at, default.updated_at) == (declared.created_at, declared.updated_at)
    assert uniques(default) == uniques(declared)
    assert references(default) == references(declared)
    assert default.fields == declared.fields
    assert default.stamped == declared.stamped
    assert default.sensitive == frozenset()


def test_the_case_insensitive_uniques_come_from_the_collation(
    reflected: dict[str, Table], backend: str
) -> None:
    name = reflected["projects"].columns["name"]
    expected = "NOCASE" if backend == "sqlite" else "utf8mb4_unicode_ci"
    assert name.info[COLLATION_INFO] == expected
    assert default_spec(reflected["projects"]).unique[0].case_insensitive
    assert default_spec(reflected["tickets"]).unique[0].case_insensitive


def test_the_queries_follow_indexes_and_foreign_keys(reflected: dict[str, Table]) -> None:
    assert [q.where for q in default_spec(reflected["labels"]).queries] == [("project_id",)]
    assert [q.where for q in default_spec(reflected["tickets"]).queries] == [
        ("project_id",),
        ("code",),
        ("label_id",),
    ]


@pytest.mark.parametrize("name", ["projects", "labels", "tickets"])
def test_the_default_model_accepts_the_declared_values(
    name: str, reflected: dict[str, Table]
) -> None:
    default, declared = default_spec(reflected[name]), declaration(name)
    values = VALUES[name]
    assert default.model(**values).model_dump() == declared.model(**values).model_dump()


def ticket(model: type[BaseModel], **changes: Any) -> BaseModel:
    return model(**{**VALUES["tickets"], **changes})


def test_decimal_12_4_is_quantized(reflected: dict[str, Table]) -> None:
    model = default_spec(reflected["tickets"]).model
    assert str(ticket(model, estimate="3.5").estimate) == "3.5000"  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="estimate"):
        ticket(model, estimate="0.00001")
    with pytest.raises(ValidationError, match="estimate"):
        ticket(model, estimate=Decimal("100000000"))


def test_datetime_6_keeps_microseconds(reflected: dict[str, Table]) -> None:
    model = default_spec(reflected["tickets"]).model
    assert ticket(model).due_at == DUE  # type: ignore[attr-defined]
    assert ticket(model, due_at=None).due_at is None  # type: ignore[attr-defined]


def test_an_enum_refuses_other_values(reflected: dict[str, Table], backend: str) -> None:
    model = default_spec(reflected["tickets"]).model
    if backend == "sqlite":
        # SQLite has no ENUM: the column is VARCHAR(11) and the default model a str of at most 11.
        assert ticket(model, status="archived").status == "archived"  # type: ignore[attr-defined]
        with pytest.raises(ValidationError, match="status"):
            ticket(model, status="x" * 12)
        return
    with pytest.raises(ValidationError, match="status"):
        ticket(model, status="archived")
    with pytest.raises(ValidationError, match="status"):
        ticket(TICKETS.model, status="archived")


def test_the_ranges_of_the_int_columns(reflected: dict[str, Table]) -> None:
    model = default_spec(reflected["tickets"]).model
    assert ticket(model, number=2**31 - 1).number == 2**31 - 1  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="number"):
        ticket(model, number=2**31)


def aware(row: dict[str, Any]) -> dict[str, Any]:
    """Naive UTC datetimes (as drivers return them) made aware."""
    return {
        key: value.replace(tzinfo=UTC) if isinstance(value, datetime) else value
        for key, value in row.items()
    }


def test_a_stored_row_validates_against_the_default_model(
    tracker_engine: Engine, reflected: dict[str, Table], backend: str
) -> None:
    naive = {
        name: {k: v.replace(tzinfo=None) if isinstance(v, datetime) else v for k, v in row.items()}
        for name, row in VALUES.items()
    }
    naive["tickets"]["estimate"] = Decimal("3.5")
    stored: dict[str, dict[str, Any]] = {}
    cleanup: list[Delete] = []
    with tracker_engine.begin() as connection:
        for name in ("projects", "labels", "tickets"):
            connection.execute(insert(reflected[name]).values(naive[name]))
            table = reflected[name]
            key = [table.columns[c] == naive[name][c] for c in declaration(name).key]
            row = connection.execute(select(table).where(*key)).mappings().one()
            stored[name] = aware(dict(row))
            cleanup.insert(0, table.delete().where(*key))
        for statement in cleanup:
            connection.execute(statement)
    for name, values in stored.items():
        default = default_spec(reflected[name]).model.model_validate(values)
        declared = declaration(name).model.model_validate(values)
        assert default.model_dump() == declared.model_dump()
    assert stored["tickets"]["due_at"] == DUE  # DATETIME(6): the microseconds were kept
    assert str(stored["tickets"]["estimate"]) == "3.5000"


def test_reflecting_returns_only_the_tables_asked_for(tracker_engine: Engine) -> None:
    tables = reflect_tables(tracker_engine, ["tickets"])
    assert list(tables) == ["tickets"]
    assert default_spec(tables["tickets"]).references[0].target == "projects"


def test_reflecting_a_missing_table_names_it(tracker_engine: Engine) -> None:
    with pytest.raises(ValueError, match="no table no_such_table, nor_this"):
        reflect_tables(tracker_engine, ["projects", "no_such_table", "nor_this"])
