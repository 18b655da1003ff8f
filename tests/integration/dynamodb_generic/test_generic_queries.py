"""Named queries of the generic DynamoDB repositories, paged across pages (the tracker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from adapters.dynamodb.entities import DynamoRepositories
from interfaces import InvalidPageToken, ValidationFailed
from interfaces.paging import Page

BASE = datetime(2026, 6, 1, tzinfo=UTC)


def _ticket(number: int, **values: Any) -> dict[str, Any]:
    base = {
        "project_id": 1,
        "number": number,
        "code": f"TR-{number}",
        "title": "A ticket",
        "status": "open",
        "estimate": Decimal("1"),
    }
    return {**base, **values}


def _all(repository: Any, name: str, size: int, **params: Any) -> list[Any]:
    """Every entity of a named query, page by page; each page but the last is full."""
    found: list[Any] = []
    token = None
    while True:
        page: Page[Any] = repository.query(name, page_size=size, page_token=token, **params)
        found.extend(page.items)
        token = page.next_token
        if token is None:
            return found
        assert len(page.items) == size


@pytest.fixture
def tracker(repos: DynamoRepositories) -> DynamoRepositories:
    """Projects 1 and 2; project 1 has labels 1 and 2."""
    repos.repository("projects").create({"name": "Tracker", "owner_email": "o@x.org"})
    repos.repository("projects").create({"name": "Other", "owner_email": "o@x.org"})
    repos.repository("labels").create({"project_id": 1, "title": "bug"})
    repos.repository("labels").create({"project_id": 1, "title": "ui"})
    return repos


def test_labels_by_project_ordered_by_title_then_id(tracker: DynamoRepositories) -> None:
    labels = tracker.repository("labels")
    for title in ("api", "bug", "zeta", "Bug"):
        labels.create({"project_id": 1, "title": title})
    labels.create({"project_id": 2, "title": "elsewhere"})
    expected = [("Bug", 6), ("api", 3), ("bug", 1), ("bug", 4), ("ui", 2), ("zeta", 5)]
    for size in (1, 2, 4, 100):
        found = _all(labels, "by_project", size, project_id=1)
        assert [(label.title, label.id) for label in found] == expected


def test_tickets_by_project_in_number_order(tracker: DynamoRepositories) -> None:
    tickets = tracker.repository("tickets")
    for number in (10, 2, 1, 33, 3):
        tickets.create(_ticket(number))
    tickets.create(_ticket(4, project_id=2))
    for size in (1, 2, 3):
        found = _all(tickets, "by_project", size, project_id=1)
        assert [t.number for t in found] == [1, 2, 3, 10, 33]


def test_tickets_by_label_descending_on_the_sparse_index(tracker: DynamoRepositories) -> None:
    tickets = tracker.repository("tickets")
    dates = {
        1: BASE,
        2: BASE + timedelta(microseconds=500_000),  # sorts after 1 though its text sorts before
        3: BASE + timedelta(days=1),
        4: BASE,  # a tie with 1, broken by the key
        5: None,  # not in the index: no sort key
        6: None,
        7: BASE + timedelta(days=2),
    }
    for number, due in dates.items():
        tickets.create(_ticket(number, label_id=1, due_at=due))
    tickets.create(_ticket(8, label_id=2, due_at=BASE))
    tickets.create(_ticket(9))  # no label: in no label's listing
    expected = [7, 3, 2, 4, 1, 6, 5]
    for size in (1, 2, 3, 5, 7, 20):
        found = _all(tickets, "by_label", size, label_id=1)
        assert [t.number for t in found] == expected, size
    assert tracker.eventually_consistent() == ["tickets.by_label"]


def test_a_label_without_tickets_has_an_empty_page(tracker: DynamoRepositories) -> None:
    page = tracker.repository("tickets").query("by_label", label_id=2)
    assert page.items == ()
    assert page.next_token is None


def test_tickets_without_a_label_are_found_by_a_scan(tracker: DynamoRepositories) -> None:
    tickets = tracker.repository("tickets")
    tickets.create(_ticket(1, label_id=1))
    tickets.create(_ticket(2))
    tickets.create(_ticket(3, due_at=BASE))
    found = _all(tickets, "by_label", 1, label_id=None)
    assert [t.number for t in found] == [3, 2]


def test_query_arguments_are_checked(tracker: DynamoRepositories) -> None:
    tickets = tracker.repository("tickets")
    with pytest.raises(ValidationFailed) as caught:
        tickets.query("by_nothing", project_id=1)
    assert caught.value.field == "access_pattern"
    with pytest.raises(ValidationFailed) as caught:
        tickets.query("by_project")
    assert caught.value.field == "project_id"
    with pytest.raises(ValidationFailed) as caught:
        tickets.query("by_project", project_id=1, page_size=0)
    assert caught.value.field == "page_size"
    tickets.create(_ticket(1))
    tickets.create(_ticket(2))
    token = tickets.query("by_project", page_size=1, project_id=1).next_token
    assert token is not None
    with pytest.raises(InvalidPageToken):
        tickets.query("by_project", page_size=1, page_token=token, project_id=2)
