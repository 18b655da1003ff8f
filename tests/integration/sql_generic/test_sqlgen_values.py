"""Values as the columns store them: decimals, datetimes, ENUMs, text lengths, time zones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, select
from sqlgen_data import project, specs_with, ticket, variant

from adapters.sql import SqlRepositories
from examples.tracker.declarations import LABELS, TICKETS, Ticket
from examples.tracker.schema import metadata
from examples.tracker.schema import tickets as tickets_table
from interfaces.errors import UnstorableValue, ValidationFailed

KEY = {"project_id": 1, "number": 1}


def _stored_ticket(repos: SqlRepositories) -> Ticket:
    with repos.unit_of_work():
        found: Ticket = repos.repository("tickets").get(KEY)
        return found


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (Decimal("12345678.1234"), "12345678.1234"),
        (Decimal("0.5"), "0.5000"),
        (Decimal("-99999999.9999"), "-99999999.9999"),
        (3, "3.0000"),
        ("0.0001", "0.0001"),
    ],
)
def test_decimal_12_4_round_trips_at_its_scale(
    repos: SqlRepositories, given: object, expected: str
) -> None:
    with repos.unit_of_work():
        project(repos)
        created = ticket(repos, 1, 1, estimate=given)  # type: ignore[arg-type]
    stored = _stored_ticket(repos)
    assert isinstance(stored.estimate, Decimal)
    assert str(stored.estimate) == expected
    assert stored == created


def test_a_decimal_with_too_many_places_is_refused(repos: SqlRepositories) -> None:
    with repos.unit_of_work():
        project(repos)
        with pytest.raises(ValidationFailed) as refused:
            ticket(repos, 1, 1, estimate=Decimal("1.23456"))
    assert refused.value.field == "estimate"


def test_datetime_6_keeps_microseconds(repos: SqlRepositories) -> None:
    due = datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)
    with repos.unit_of_work():
        project(repos)
        ticket(repos, 1, 1, due_at=due)
    assert _stored_ticket(repos).due_at == due


def test_datetimes_are_stored_as_naive_utc_and_read_as_aware_utc(
    repos: SqlRepositories, engine: Engine
) -> None:
    paris = timezone(timedelta(hours=2))
    due = datetime(2026, 5, 4, 14, 0, 0, 500, tzinfo=paris)
    with repos.unit_of_work():
        project(repos)
        ticket(repos, 1, 1, due_at=due)
    with engine.connect() as connection:
        raw = connection.execute(select(tickets_table.c.due_at)).scalar_one()
    assert raw == datetime(2026, 5, 4, 12, 0, 0, 500)
    stored = _stored_ticket(repos).due_at
    assert stored == due
    assert stored is not None
    assert stored.tzinfo == UTC


def test_a_value_outside_the_enum_is_refused(repos: SqlRepositories) -> None:
    with repos.unit_of_work():
        project(repos)
        with pytest.raises(ValidationFailed) as refused:
            ticket(repos, 1, 1, status="reopened")
        ticket(repos, 1, 1)
        with pytest.raises(ValidationFailed) as refused_update:
            repos.repository("tickets").update(KEY, {"status": "reopened"})
    assert refused.value.field == "status"
    assert refused_update.value.field == "status"
    assert _stored_ticket(repos).status == "open"


class LooseTicket(BaseModel):
    """A ticket whose model takes any status: only the ENUM column can refuse one."""

    model_config = ConfigDict(frozen=True)
    project_id: int
    number: int
    code: str
    title: str
    status: str
    estimate: Decimal
    due_at: datetime | None = None
    label_id: int | None = None
    version: int
    created_at: datetime
    updated_at: datetime


def test_the_enum_column_refuses_what_the_model_lets_through(
    build: Callable[..., SqlRepositories],
) -> None:
    loose = variant(TICKETS, model=LooseTicket)
    repos = build(specs_with(loose), tables=dict(metadata.tables))
    with repos.unit_of_work():
        project(repos)
        with pytest.raises(UnstorableValue) as refused:
            ticket(repos, 1, 1, status="reopened")
    assert refused.value.field == "status"


def test_text_longer_than_its_column_is_unstorable(repos: SqlRepositories) -> None:
    with repos.unit_of_work():
        project(repos)
        with pytest.raises(UnstorableValue) as refused:
            ticket(repos, 1, 1, code="X" * 41)
        ticket(repos, 1, 1, code="X" * 40)
    assert refused.value.field == "code"


def test_a_fraction_of_a_second_in_a_second_precision_mysql_column_is_unstorable(
    build: Callable[..., SqlRepositories], backend: str
) -> None:
    caller_dated = variant(LABELS, created_at=None)  # the caller gives created_at
    repos = build(specs_with(caller_dated))
    precise = datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC)
    whole = precise.replace(microsecond=0)
    with repos.unit_of_work():
        project(repos)
        labels = repos.repository("labels")
        labels.create(
            {"project_id": 1, "title": "whole", "created_at": precise.replace(microsecond=0)}
        )
        if backend == "mysql":
            with pytest.raises(UnstorableValue) as refused:
                labels.create({"project_id": 1, "title": "precise", "created_at": precise})
            assert refused.value.field == "created_at"
        else:  # SQLite keeps microseconds
            labels.create({"project_id": 1, "title": "precise", "created_at": precise})
            assert labels.get(2).created_at == precise
        assert labels.get(1).created_at == whole
