"""Deletes of the generic DynamoDB repositories and the on-delete rules (the tracker)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from adapters.dynamodb.entities import DynamoRepositories
from interfaces import ConcurrencyConflict, NotFound, ReferenceConflict

Read = Callable[[str, str, str], dict[str, Any] | None]


def _ticket(number: int, **values: Any) -> dict[str, Any]:
    base = {
        "project_id": 1,
        "number": number,
        "code": f"TR-{number}",
        "title": "A ticket",
        "status": "open",
        "estimate": Decimal("0"),
    }
    return {**base, **values}


@pytest.fixture
def tracker(repos: DynamoRepositories) -> DynamoRepositories:
    """Project 1 with labels 1 and 2."""
    repos.repository("projects").create({"name": "Tracker", "owner_email": "o@x.org"})
    repos.repository("labels").create({"project_id": 1, "title": "bug"})
    repos.repository("labels").create({"project_id": 1, "title": "ui"})
    return repos


def test_delete_releases_the_guards(tracker: DynamoRepositories, item: Read) -> None:
    tickets = tracker.repository("tickets")
    tickets.create(_ticket(1))
    tickets.delete({"project_id": 1, "number": 1})
    assert item("Tickets", "PROJECT#1", "TICKET#1") is None
    assert item("Tickets", "UNIQUE#tickets#code#tr-1", "#UNIQUE") is None
    with pytest.raises(NotFound):
        tickets.get({"project_id": 1, "number": 1})
    tickets.create(_ticket(2, code="tr-1"))


def test_delete_of_a_missing_entity_and_a_stale_version(tracker: DynamoRepositories) -> None:
    projects = tracker.repository("projects")
    with pytest.raises(NotFound):
        projects.delete(5)
    projects.update(1, {"owner_email": "n@x"})
    with pytest.raises(ConcurrencyConflict):
        projects.delete(1, expected_version=1)


def test_restrict_keeps_everything(tracker: DynamoRepositories, item: Read) -> None:
    tracker.repository("tickets").create(_ticket(1, label_id=1))
    with pytest.raises(ReferenceConflict) as caught:
        tracker.repository("projects").delete(1)
    assert (caught.value.entity, caught.value.key, caught.value.referenced_by) == (
        "projects",
        1,
        "tickets",
    )
    assert item("Projects", "1", "#META") is not None
    assert item("Tickets", "PROJECT#1", "LABEL#1") is not None
    assert tracker.repository("tickets").get({"project_id": 1, "number": 1}).label_id == 1


def test_cascade_deletes_labels_and_their_guards(
    tracker: DynamoRepositories, item: Read, raw: Any, prefix: str
) -> None:
    tracker.repository("projects").delete(1)
    assert item("Projects", "1", "#META") is None
    assert item("Projects", "UNIQUE#projects#name#tracker", "#UNIQUE") is None
    left = raw.scan(TableName=prefix + "Tickets", ConsistentRead=True)["Items"]
    assert left == []
    for label in (1, 2):
        with pytest.raises(NotFound):
            tracker.repository("labels").get(label)


def test_set_null_rewrites_the_tickets_of_a_deleted_label(
    tracker: DynamoRepositories, item: Read
) -> None:
    tickets = tracker.repository("tickets")
    due = datetime(2026, 5, 1, tzinfo=UTC)
    dated = tickets.create(_ticket(1, label_id=1, due_at=due))
    undated = tickets.create(_ticket(2, label_id=1))  # not in the sparse index
    other = tickets.create(_ticket(3, label_id=2))
    tracker.repository("labels").delete(1)
    for before in (dated, undated):
        after = tickets.get({"project_id": 1, "number": before.number})
        assert after.label_id is None
        assert after.version == before.version + 1
        assert after.updated_at > before.updated_at
        stored = item("Tickets", "PROJECT#1", f"TICKET#{before.number}")
        assert stored is not None
        assert {"label_id", "GSI2PK"}.isdisjoint(stored)
    assert tickets.get({"project_id": 1, "number": 3}) == other
    assert item("Tickets", "PROJECT#1", "LABEL#1") is None


def test_cascade_through_set_null_is_one_plan(tracker: DynamoRepositories) -> None:
    """A project without tickets takes its labels along; nothing else remains."""
    tracker.repository("projects").create({"name": "Other", "owner_email": "b@x"})
    tracker.repository("labels").create({"project_id": 2, "title": "kept"})
    tracker.repository("projects").delete(1)
    assert [label.title for label in tracker.repository("labels").batch_get([1, 2, 3])] == ["kept"]


def test_a_cascade_beyond_one_transaction_deletes_everything(
    repos: DynamoRepositories, raw: Any, prefix: str
) -> None:
    repos.repository("projects").create({"name": "Big", "owner_email": "o@x"})
    labels = repos.repository("labels")
    for number in range(120):
        labels.create({"project_id": 1, "title": f"label {number}"})
    repos.repository("projects").delete(1)
    left = raw.scan(TableName=prefix + "Tickets", ConsistentRead=True)["Items"]
    assert left == []
    assert raw.scan(TableName=prefix + "Projects", ConsistentRead=True)["Items"] == []


def test_cascade_is_recursive_and_honours_the_dependents_own_rules(
    tracker: DynamoRepositories, item: Read
) -> None:
    """Deleting project 1 deletes its labels, which clears the label of project 2's ticket."""
    tracker.repository("projects").create({"name": "Other", "owner_email": "b@x"})
    tickets = tracker.repository("tickets")
    before = tickets.create(_ticket(1, project_id=2, label_id=1))
    tracker.repository("projects").delete(1)
    after = tickets.get({"project_id": 2, "number": 1})
    assert after.label_id is None
    assert after.version == before.version + 1
    assert item("Tickets", "PROJECT#1", "LABEL#1") is None
    assert item("Tickets", "PROJECT#1", "LABEL#2") is None
    assert tracker.repository("tickets").query("by_label", label_id=1).items == ()
