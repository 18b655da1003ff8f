"""The items the generic repositories write: exactly the contract's attributes, guards, values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from adapters.dynamodb.entities import DynamoRepositories, guard_partition
from adapters.dynamodb.layout import EntityLayout
from dal.contract import Contract
from examples.tracker.declarations import PROJECTS, TICKETS, Ticket
from interfaces import AlreadyExists, UnstorableValue
from interfaces.entities import Unique

Read = Callable[[str, str, str], dict[str, Any] | None]
DUE = datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)


def _ticket(**values: Any) -> dict[str, Any]:
    base = {
        "project_id": 1,
        "number": 7,
        "code": "TR-7",
        "title": "Crash on save",
        "status": "open",
        "estimate": Decimal("12345678.1234"),
    }
    return {**base, **values}


@pytest.fixture
def project(repos: DynamoRepositories) -> Any:
    return repos.repository("projects").create({"name": "Tracker", "owner_email": "o@x.org"})


def test_project_item_has_the_contract_attributes_and_a_guard(
    repos: DynamoRepositories, project: Any, item: Read
) -> None:
    assert item("Projects", "1", "#META") == {
        "PK": {"S": "1"},
        "SK": {"S": "#META"},
        "project_id": {"N": "1"},
        "name": {"S": "Tracker"},
        "owner_email": {"S": "o@x.org"},
        "version": {"N": "1"},
        "created_at": {"S": "2026-01-01T00:00:00Z"},
        "updated_at": {"S": "2026-01-01T00:00:00Z"},
    }
    guard = item("Projects", "UNIQUE#projects#name#tracker", "#UNIQUE")
    assert guard is not None
    assert guard["owner"] == {"M": {"id": {"N": "1"}}}


def test_label_item_carries_its_gsi_keys(
    repos: DynamoRepositories, project: Any, item: Read
) -> None:
    label = repos.repository("labels").create({"project_id": project.id, "title": "bug"})
    assert item("Tickets", "PROJECT#1", f"LABEL#{label.id}") == {
        "PK": {"S": "PROJECT#1"},
        "SK": {"S": "LABEL#1"},
        "label_id": {"N": "1"},
        "project_id": {"N": "1"},
        "title": {"S": "bug"},
        "created_at": {"S": "2026-01-01T00:00:01Z"},
        "GSI1PK": {"S": "LABEL#1"},
        "GSI1SK": {"S": "LABEL#1"},
    }


def test_ticket_item_with_label_due_date_and_joined_project_name(
    repos: DynamoRepositories, project: Any, item: Read
) -> None:
    label = repos.repository("labels").create({"project_id": project.id, "title": "bug"})
    repos.repository("tickets").create(_ticket(due_at=DUE, label_id=label.id))
    assert item("Tickets", "PROJECT#1", "TICKET#7") == {
        "PK": {"S": "PROJECT#1"},
        "SK": {"S": "TICKET#7"},
        "project_id": {"N": "1"},
        "number": {"N": "7"},
        "code": {"S": "TR-7"},
        "title": {"S": "Crash on save"},
        "status": {"S": "open"},
        "estimate": {"N": "12345678.1234"},
        "due_at": {"S": "2026-03-04T05:06:07.123456Z"},
        "label_id": {"N": "1"},
        "project_name": {"S": "Tracker"},
        "version": {"N": "1"},
        "created_at": {"S": "2026-01-01T00:00:02Z"},
        "updated_at": {"S": "2026-01-01T00:00:02Z"},
        "GSI2PK": {"S": "LABEL#1"},
        "GSI2SK": {"S": "2026-03-04T05:06:07.123456Z"},
    }
    assert item("Tickets", "UNIQUE#tickets#code#tr-7", "#UNIQUE") is not None


def test_ticket_without_label_or_due_date_omits_those_attributes(
    repos: DynamoRepositories, project: Any, item: Read
) -> None:
    repos.repository("tickets").create(_ticket())
    stored = item("Tickets", "PROJECT#1", "TICKET#7")
    assert stored is not None
    assert {"label_id", "due_at", "GSI2PK", "GSI2SK"}.isdisjoint(stored)


def test_the_item_is_the_one_the_backfill_layout_builds(
    repos: DynamoRepositories, project: Any, item: Read, contract: Contract
) -> None:
    created = repos.repository("tickets").create(_ticket(due_at=DUE))
    table = contract.table("Tickets")
    entity = next(e for e in table.entities if e.source_table == "tickets")
    layout = EntityLayout("Tickets", table, entity, TICKETS.fields)
    expected = layout.item(created.model_dump(), {"project_name": "Tracker"})
    assert item("Tickets", "PROJECT#1", "TICKET#7") == expected


def test_microseconds_and_decimal_round_trip_exactly(
    repos: DynamoRepositories, project: Any
) -> None:
    tickets = repos.repository("tickets")
    created = tickets.create(_ticket(due_at=DUE, estimate=Decimal("-99999999.0001")))
    read = tickets.get({"project_id": 1, "number": 7})
    assert read == created
    assert read.due_at == DUE
    assert read.estimate == Decimal("-99999999.0001")
    assert str(read.estimate) == "-99999999.0001"


def test_seconds_fields_keep_the_contract_date_format(
    repos: DynamoRepositories, project: Any, item: Read
) -> None:
    stored = item("Projects", "1", "#META")
    assert stored is not None
    assert stored["created_at"] == {"S": "2026-01-01T00:00:00Z"}


def test_guard_partition_joins_the_values() -> None:
    assert guard_partition("projects", Unique(("name",)), ("strasse",)) == (
        "UNIQUE#projects#name#strasse"
    )
    composite = Unique(("project_id", "title"), name="title_in_project")
    assert (
        guard_partition("labels", composite, (3, "bug")) == "UNIQUE#labels#title_in_project#3#bug"
    )


def test_an_item_over_400_kb_is_refused_naming_the_field_before_anything_is_written(
    repos: DynamoRepositories, project: Any, item: Read
) -> None:
    with pytest.raises(UnstorableValue) as caught:
        repos.repository("tickets").create(_ticket(title="x" * 410_000))
    assert caught.value.field == "title"
    assert item("Tickets", "PROJECT#1", "TICKET#7") is None
    assert item("Tickets", "UNIQUE#tickets#code#tr-7", "#UNIQUE") is None


def test_a_unique_value_too_long_for_a_key_is_refused(
    repos: DynamoRepositories, item: Read
) -> None:
    with pytest.raises(UnstorableValue) as caught:
        repos.repository("projects").create({"name": "n" * 2100, "owner_email": "o@x"})
    assert caught.value.field == "name"
    assert item("Projects", "1", "#META") is None


def test_the_model_is_what_get_returns(repos: DynamoRepositories, project: Any) -> None:
    assert repos.repository("projects").get(project.id) == project
    assert isinstance(repos.repository("tickets").create(_ticket()), Ticket)
    assert PROJECTS.name in repos.specs


def test_case_insensitive_guard_is_casefolded(repos: DynamoRepositories, item: Read) -> None:
    repos.repository("projects").create({"name": "Straße", "owner_email": "o@x"})
    assert item("Projects", "UNIQUE#projects#name#strasse", "#UNIQUE") is not None
    with pytest.raises(AlreadyExists):
        repos.repository("projects").create({"name": "STRASSE", "owner_email": "o@x"})
