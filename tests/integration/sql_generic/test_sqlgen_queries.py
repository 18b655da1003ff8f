"""Named queries and batch gets: filter, order (NULLs, text by code point), keyset pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlgen_data import label, project, specs_with, ticket, variant

from adapters.rules import sort_value
from adapters.sql import SqlRepositories
from examples.tracker.declarations import TICKETS
from interfaces.entities import NamedQuery
from interfaces.errors import InvalidPageToken, ValidationFailed
from interfaces.repository import Repository

Build = Callable[..., SqlRepositories]
DAY = datetime(2026, 2, 1, tzinfo=UTC)
DUE = [None, DAY, DAY + timedelta(microseconds=5), None, DAY, DAY - timedelta(days=3), None]

BY_LABEL_ASCENDING = NamedQuery("by_label_ascending", where=("label_id",), order_by=("due_at",))


def _all_pages(repository: Repository[Any], name: str, page_size: int, **params: Any) -> list[Any]:
    items: list[Any] = []
    token = None
    pages = 0
    while True:
        page = repository.query(name, page_size=page_size, page_token=token, **params)
        pages += 1
        items.extend(page.items)
        token = page.next_token
        if token is None:
            break
        assert len(page.items) == page_size
    assert pages == max(1, -(-len(items) // page_size))
    return items


def _key(item: Any) -> tuple[int, int]:
    return (item.project_id, item.number)


def _expected(items: list[Any], descending: bool) -> list[tuple[int, int]]:
    ordered = sorted(
        items,
        key=lambda t: (sort_value(t.due_at), t.project_id, t.number),
        reverse=descending,
    )
    return [_key(t) for t in ordered]


@pytest.fixture
def labelled(build: Build) -> tuple[SqlRepositories, list[Any]]:
    """Tickets of two projects with label 1, some without a due date; one ticket without label."""
    repos = build(specs_with(variant(TICKETS, queries=(*TICKETS.queries, BY_LABEL_ASCENDING))))
    with repos.unit_of_work():
        project(repos, "Apollo")
        project(repos, "Gemini")
        label(repos, 1)
        made = [
            ticket(repos, 1 + i % 2, 10 - i, due_at=due, label_id=1) for i, due in enumerate(DUE)
        ]
        ticket(repos, 1, 99)
    return repos, made


@pytest.mark.parametrize("page_size", [1, 2, 3, 100])
def test_by_label_pages_descending_with_nulls_last(
    labelled: tuple[SqlRepositories, list[Any]], page_size: int
) -> None:
    repos, made = labelled
    with repos.unit_of_work():
        found = _all_pages(repos.repository("tickets"), "by_label", page_size, label_id=1)
    assert [_key(t) for t in found] == _expected(made, descending=True)
    assert [t.due_at for t in found][-3:] == [None, None, None]


@pytest.mark.parametrize("page_size", [1, 2, 4])
def test_pages_ascending_with_nulls_first(
    labelled: tuple[SqlRepositories, list[Any]], page_size: int
) -> None:
    repos, made = labelled
    with repos.unit_of_work():
        found = _all_pages(repos.repository("tickets"), "by_label_ascending", page_size, label_id=1)
    assert [_key(t) for t in found] == _expected(made, descending=False)
    assert [t.due_at for t in found][:3] == [None, None, None]


def test_a_none_parameter_matches_none(labelled: tuple[SqlRepositories, list[Any]]) -> None:
    repos, _ = labelled
    with repos.unit_of_work():
        page = repos.repository("tickets").query("by_label", label_id=None)
    assert [_key(t) for t in page.items] == [(1, 99)]


def test_by_project_orders_by_number_then_key(repos: SqlRepositories) -> None:
    with repos.unit_of_work():
        project(repos, "Apollo")
        project(repos, "Gemini")
        for number in (3, 1, 10, 2):
            ticket(repos, 1, number)
        ticket(repos, 2, 5)
        found = _all_pages(repos.repository("tickets"), "by_project", 3, project_id=1)
    assert [t.number for t in found] == [1, 2, 3, 10]


def test_text_orders_by_code_point(repos: SqlRepositories) -> None:
    titles = ["b", "B", "a", "A", "é", "Z", "a "]
    with repos.unit_of_work():
        project(repos)
        for title in titles:
            label(repos, 1, title)
        found = _all_pages(repos.repository("labels"), "by_project", 2, project_id=1)
    assert [lab.title for lab in found] == sorted(titles)


def test_an_enum_orders_by_code_point_not_by_position(build: Build) -> None:
    by_status = NamedQuery("by_status", where=("project_id",), order_by=("status",))
    repos = build(specs_with(variant(TICKETS, queries=(by_status,))))
    with repos.unit_of_work():
        project(repos)
        for number, status in enumerate(["open", "closed", "in_progress", "open"], start=1):
            ticket(repos, 1, number, status=status)
        found = _all_pages(repos.repository("tickets"), "by_status", 1, project_id=1)
    assert [(t.status, t.number) for t in found] == [
        ("closed", 2),
        ("in_progress", 3),
        ("open", 1),
        ("open", 4),
    ]


def test_query_arguments_are_checked(labelled: tuple[SqlRepositories, list[Any]]) -> None:
    repos, _ = labelled
    tickets = repos.repository("tickets")
    with repos.unit_of_work():
        token = tickets.query("by_label", page_size=1, label_id=1).next_token
        assert token is not None
        with pytest.raises(ValidationFailed) as unknown:
            tickets.query("by_owner", owner=1)
        with pytest.raises(ValidationFailed) as missing:
            tickets.query("by_label")
        with pytest.raises(ValidationFailed) as extra:
            tickets.query("by_label", label_id=1, status="open")
        with pytest.raises(ValidationFailed) as too_big:
            tickets.query("by_label", page_size=101, label_id=1)
        with pytest.raises(InvalidPageToken):
            tickets.query("by_label", page_token=token, label_id=2)
        with pytest.raises(InvalidPageToken):
            tickets.query("by_project", page_token=token, project_id=1)
    assert unknown.value.field == "access_pattern"
    assert missing.value.field == "label_id"
    assert extra.value.field == "status"
    assert too_big.value.field == "page_size"


def test_batch_get_composite_keys_in_the_order_given(repos: SqlRepositories) -> None:
    tickets = repos.repository("tickets")
    with repos.unit_of_work():
        project(repos, "Apollo")
        project(repos, "Gemini")
        for project_id, number in [(1, 1), (1, 2), (2, 1)]:
            ticket(repos, project_id, number)
        keys = [
            {"project_id": 2, "number": 1},
            {"project_id": 1, "number": 9},
            {"project_id": 1, "number": 2},
            {"project_id": 2, "number": 1},
            {"project_id": 1, "number": 1},
        ]
        found = tickets.batch_get(keys)
        assert tickets.batch_get([]) == []
        with pytest.raises(ValidationFailed) as too_many:
            tickets.batch_get([{"project_id": 1, "number": n} for n in range(101)])
    assert [_key(t) for t in found] == [(2, 1), (1, 2), (1, 1)]
    assert too_many.value.field == "keys"


def test_batch_get_one_field_keys(repos: SqlRepositories) -> None:
    with repos.unit_of_work():
        for name in ("Apollo", "Gemini", "Mercury"):
            project(repos, name)
        found = repos.repository("projects").batch_get([3, 7, 1, 3])
    assert [p.name for p in found] == ["Mercury", "Apollo"]
