"""Create, get, batch_get and update of the generic DynamoDB repositories (the tracker)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from adapters.dynamodb.entities import DynamoRepositories
from interfaces import (
    AlreadyExists,
    ConcurrencyConflict,
    NotFound,
    ValidationFailed,
)

Read = Callable[[str, str, str], dict[str, Any] | None]


def _ticket(number: int = 1, **values: Any) -> dict[str, Any]:
    base = {
        "project_id": 1,
        "number": number,
        "code": f"TR-{number}",
        "title": "A ticket",
        "status": "open",
        "estimate": Decimal("1.5"),
    }
    return {**base, **values}


@pytest.fixture
def tracker(repos: DynamoRepositories) -> DynamoRepositories:
    """Project 1 "Tracker" with label 1 "bug"."""
    repos.repository("projects").create({"name": "Tracker", "owner_email": "o@x.org"})
    repos.repository("labels").create({"project_id": 1, "title": "bug"})
    return repos


# --- create -------------------------------------------------------------------------------


def test_create_stamps_version_and_timestamps(repos: DynamoRepositories) -> None:
    project = repos.repository("projects").create({"name": "A", "owner_email": "a@x"})
    assert (project.id, project.version) == (1, 1)
    assert project.created_at == project.updated_at


def test_create_refuses_a_stamped_field(repos: DynamoRepositories) -> None:
    with pytest.raises(ValidationFailed) as caught:
        repos.repository("projects").create({"id": 5, "name": "A", "owner_email": "a@x"})
    assert caught.value.field == "id"


def test_taken_composite_key(tracker: DynamoRepositories) -> None:
    tickets = tracker.repository("tickets")
    tickets.create(_ticket(1))
    with pytest.raises(AlreadyExists) as caught:
        tickets.create(_ticket(1, code="OTHER"))
    assert (caught.value.entity, caught.value.field, caught.value.value) == (
        "tickets",
        "project_id,number",
        (1, 1),
    )


def test_case_insensitive_unique_collides(tracker: DynamoRepositories, item: Read) -> None:
    with pytest.raises(AlreadyExists) as caught:
        tracker.repository("projects").create({"name": "TRACKER", "owner_email": "b@x"})
    assert (caught.value.entity, caught.value.field, caught.value.value) == (
        "projects",
        "name",
        "TRACKER",
    )
    assert item("Projects", "2", "#META") is None


def test_unique_ticket_code_collides_across_projects(tracker: DynamoRepositories) -> None:
    tracker.repository("projects").create({"name": "Other", "owner_email": "b@x"})
    tickets = tracker.repository("tickets")
    tickets.create(_ticket(1, code="ab-1"))
    with pytest.raises(AlreadyExists) as caught:
        tickets.create(_ticket(1, project_id=2, code="AB-1"))
    assert (caught.value.field, caught.value.value) == ("code", "AB-1")


def test_key_conflict_is_reported_before_unique_conflict(tracker: DynamoRepositories) -> None:
    tickets = tracker.repository("tickets")
    tickets.create(_ticket(1))
    with pytest.raises(AlreadyExists) as caught:
        tickets.create(_ticket(1))
    assert caught.value.field == "project_id,number"


def test_missing_project_is_not_found(repos: DynamoRepositories, item: Read) -> None:
    with pytest.raises(NotFound) as caught:
        repos.repository("labels").create({"project_id": 9, "title": "x"})
    assert (caught.value.entity, caught.value.key) == ("projects", 9)


def test_missing_label_found_through_its_gsi_is_not_found(
    tracker: DynamoRepositories, item: Read
) -> None:
    with pytest.raises(NotFound) as caught:
        tracker.repository("tickets").create(_ticket(1, label_id=42))
    assert (caught.value.entity, caught.value.key) == ("labels", 42)
    assert item("Tickets", "PROJECT#1", "TICKET#1") is None
    assert item("Tickets", "UNIQUE#tickets#code#tr-1", "#UNIQUE") is None


def test_unique_conflict_comes_before_a_missing_reference(tracker: DynamoRepositories) -> None:
    tickets = tracker.repository("tickets")
    tickets.create(_ticket(1))
    with pytest.raises(AlreadyExists) as caught:
        tickets.create(_ticket(2, code="tr-1", label_id=42))
    assert caught.value.field == "code"
    with pytest.raises(AlreadyExists) as caught:
        tickets.create(_ticket(1, label_id=42))
    assert caught.value.field == "project_id,number"


# --- get and batch_get ----------------------------------------------------------------------


def test_get_by_composite_key_and_by_gsi(tracker: DynamoRepositories) -> None:
    ticket = tracker.repository("tickets").create(_ticket(3, label_id=1))
    assert tracker.repository("tickets").get({"project_id": 1, "number": 3}) == ticket
    assert tracker.repository("labels").get(1).title == "bug"
    with pytest.raises(NotFound) as caught:
        tracker.repository("tickets").get({"project_id": 1, "number": 4})
    assert caught.value.key == (1, 4)
    with pytest.raises(NotFound):
        tracker.repository("labels").get(2)


def test_get_refuses_a_wrong_key_shape(tracker: DynamoRepositories) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tracker.repository("tickets").get(1)
    assert caught.value.field == "key"


def test_batch_get_in_key_order_each_once(tracker: DynamoRepositories) -> None:
    tickets = tracker.repository("tickets")
    for number in (1, 2, 3):
        tickets.create(_ticket(number))
    keys = [{"project_id": 1, "number": n} for n in (3, 9, 1, 3, 2)]
    assert [t.number for t in tickets.batch_get(keys)] == [3, 1, 2]
    tracker.repository("labels").create({"project_id": 1, "title": "ui"})
    assert [label.id for label in tracker.repository("labels").batch_get([2, 5, 1])] == [2, 1]
    with pytest.raises(ValidationFailed) as caught:
        tickets.batch_get([{"project_id": 1, "number": n} for n in range(101)])
    assert caught.value.field == "keys"


# --- update ---------------------------------------------------------------------------------


def test_update_moves_version_and_updated_at(tracker: DynamoRepositories) -> None:
    projects = tracker.repository("projects")
    before = projects.get(1)
    after = projects.update(1, {"owner_email": "n@x"})
    assert after.version == before.version + 1
    assert after.updated_at > before.updated_at
    assert after.created_at == before.created_at
    again = projects.update(1, {})
    assert again.version == after.version + 1
    assert projects.get(1) == again


def test_update_with_a_stale_version_conflicts(tracker: DynamoRepositories) -> None:
    projects = tracker.repository("projects")
    projects.update(1, {"owner_email": "n@x"}, expected_version=1)
    with pytest.raises(ConcurrencyConflict) as caught:
        projects.update(1, {"owner_email": "m@x"}, expected_version=1)
    assert (caught.value.key, caught.value.expected_version) == (1, 1)
    with pytest.raises(ValidationFailed) as refused:
        tracker.repository("labels").update(1, {"title": "x"}, expected_version=1)
    assert refused.value.field == "expected_version"


def test_update_of_a_missing_entity_is_not_found(tracker: DynamoRepositories) -> None:
    with pytest.raises(NotFound):
        tracker.repository("projects").update(7, {"owner_email": "n@x"})


def test_update_refuses_key_and_stamped_fields(tracker: DynamoRepositories) -> None:
    tracker.repository("tickets").create(_ticket(1))
    with pytest.raises(ValidationFailed) as caught:
        tracker.repository("tickets").update({"project_id": 1, "number": 1}, {"number": 2})
    assert caught.value.field == "number"


def test_renaming_moves_the_guard(tracker: DynamoRepositories, item: Read) -> None:
    projects = tracker.repository("projects")
    projects.update(1, {"name": "Renamed"})
    assert item("Projects", "UNIQUE#projects#name#tracker", "#UNIQUE") is None
    assert item("Projects", "UNIQUE#projects#name#renamed", "#UNIQUE") is not None
    projects.create({"name": "tracker", "owner_email": "b@x"})  # the old name is free again


def test_a_change_of_case_only_is_not_a_conflict(tracker: DynamoRepositories, item: Read) -> None:
    projects = tracker.repository("projects")
    assert projects.update(1, {"name": "TRACKER"}).name == "TRACKER"
    assert item("Projects", "UNIQUE#projects#name#tracker", "#UNIQUE") is not None


def test_renaming_to_a_taken_name_collides(tracker: DynamoRepositories) -> None:
    projects = tracker.repository("projects")
    projects.create({"name": "Other", "owner_email": "b@x"})
    with pytest.raises(AlreadyExists) as caught:
        projects.update(2, {"name": "tracker"})
    assert (caught.value.field, caught.value.value) == ("name", "tracker")
    assert projects.get(2).version == 1


def test_update_checks_a_changed_reference(tracker: DynamoRepositories) -> None:
    tickets = tracker.repository("tickets")
    tickets.create(_ticket(1))
    with pytest.raises(NotFound) as caught:
        tickets.update({"project_id": 1, "number": 1}, {"label_id": 5})
    assert caught.value.entity == "labels"
    assert tickets.update({"project_id": 1, "number": 1}, {"label_id": 1}).label_id == 1


def test_moving_a_label_to_another_project_moves_its_item(
    tracker: DynamoRepositories, item: Read
) -> None:
    tracker.repository("projects").create({"name": "Other", "owner_email": "b@x"})
    labels = tracker.repository("labels")
    moved = labels.update(1, {"project_id": 2})
    assert moved.project_id == 2
    assert item("Tickets", "PROJECT#1", "LABEL#1") is None
    stored = item("Tickets", "PROJECT#2", "LABEL#1")
    assert stored is not None
    assert stored["project_id"] == {"N": "2"}
    assert labels.get(1) == moved
    with pytest.raises(NotFound):
        labels.update(1, {"project_id": 9})


def test_a_rename_reaches_a_ticket_when_it_is_written_again(
    tracker: DynamoRepositories, item: Read
) -> None:
    tickets = tracker.repository("tickets")
    tickets.create(_ticket(1))
    tracker.repository("projects").update(1, {"name": "Renamed"})
    stored = item("Tickets", "PROJECT#1", "TICKET#1")
    assert stored is not None
    assert stored["project_name"] == {"S": "Tracker"}
    tickets.update({"project_id": 1, "number": 1}, {"title": "again"})
    stored = item("Tickets", "PROJECT#1", "TICKET#1")
    assert stored is not None
    assert stored["project_name"] == {"S": "Renamed"}


def test_clearing_a_label_drops_the_sparse_index_key(
    tracker: DynamoRepositories, item: Read
) -> None:
    tickets = tracker.repository("tickets")
    tickets.create(_ticket(1, label_id=1))
    tickets.update({"project_id": 1, "number": 1}, {"label_id": None})
    stored = item("Tickets", "PROJECT#1", "TICKET#1")
    assert stored is not None
    assert "GSI2PK" not in stored
    assert "label_id" not in stored
