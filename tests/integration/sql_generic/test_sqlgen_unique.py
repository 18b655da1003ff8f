"""Keys and unique values: checked by the layer as the Unique compares, backed by the database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlgen_data import project, specs_with, ticket, variant

from adapters.sql import SqlRepositories
from examples.tracker.declarations import PROJECTS, TICKETS
from interfaces.entities import Unique
from interfaces.errors import AlreadyExists

Build = Callable[..., SqlRepositories]


def _said(error: AlreadyExists) -> tuple[object, ...]:
    return (error.entity, error.field, error.value)


def test_a_taken_key_is_already_exists_with_the_key_fields(repos: SqlRepositories) -> None:
    with repos.unit_of_work():
        project(repos)
        ticket(repos, 1, 1, code="A-1")
        with pytest.raises(AlreadyExists) as taken:
            ticket(repos, 1, 1, code="A-2")
    error = taken.value
    assert (error.entity, error.field, error.value) == ("tickets", "project_id,number", (1, 1))


def test_a_case_insensitive_unique_collides_on_case(repos: SqlRepositories) -> None:
    with repos.unit_of_work():
        project(repos)
        ticket(repos, 1, 1, code="ABC-1")
        with pytest.raises(AlreadyExists) as taken:
            ticket(repos, 1, 2, code="abc-1")
        with pytest.raises(AlreadyExists) as taken_name:
            project(repos, "APOLLO")
    assert (taken.value.entity, taken.value.field, taken.value.value) == (
        "tickets",
        "code",
        "abc-1",
    )
    assert (taken_name.value.field, taken_name.value.value) == ("name", "APOLLO")


def test_an_update_may_keep_its_own_value_in_another_case(repos: SqlRepositories) -> None:
    tickets = repos.repository("tickets")
    with repos.unit_of_work():
        project(repos)
        ticket(repos, 1, 1, code="ABC-1")
        ticket(repos, 1, 2, code="XYZ-2")
        recased = tickets.update({"project_id": 1, "number": 1}, {"code": "abc-1"})
        with pytest.raises(AlreadyExists) as taken:
            tickets.update({"project_id": 1, "number": 2}, {"code": "ABC-1"})
        assert tickets.get({"project_id": 1, "number": 2}).code == "XYZ-2"
    assert recased.code == "abc-1"
    assert (taken.value.field, taken.value.value) == ("code", "ABC-1")


def test_an_exact_unique_does_not_collide_on_case(build: Build) -> None:
    exact_email = variant(PROJECTS, unique=(*PROJECTS.unique, Unique(("owner_email",))))
    repos = build(specs_with(exact_email))
    with repos.unit_of_work():
        project(repos, "Apollo", owner_email="Lead@example.com")
        project(repos, "Gemini", owner_email="lead@example.com")
        project(repos, "Mercury", owner_email="lead@example.com ")
        with pytest.raises(AlreadyExists) as taken:
            project(repos, "Vostok", owner_email="Lead@example.com")
        with pytest.raises(AlreadyExists):
            repos.repository("projects").update(2, {"owner_email": "Lead@example.com"})
    assert (taken.value.field, taken.value.value) == ("owner_email", "Lead@example.com")


def test_a_named_composite_unique_reports_its_name_and_values(build: Build) -> None:
    pair = Unique(("owner_email", "name"), case_insensitive=True, name="owner_and_name")
    repos = build(specs_with(variant(PROJECTS, unique=(pair,))))
    with repos.unit_of_work():
        project(repos, "Apollo", owner_email="a@example.com")
        project(repos, "Gemini", owner_email="a@example.com")
        with pytest.raises(AlreadyExists) as taken:
            project(repos, "APOLLO", owner_email="A@example.com")
    assert (taken.value.field, taken.value.value) == ("owner_and_name", ("A@example.com", "APOLLO"))


def test_the_database_unique_index_is_the_backstop(build: Build) -> None:
    undeclared = variant(TICKETS, unique=())
    repos = build(specs_with(undeclared))
    with repos.unit_of_work():
        project(repos)
        ticket(repos, 1, 1, code="ABC-1")
        with pytest.raises(AlreadyExists) as taken:
            ticket(repos, 1, 2, code="abc-1")
        ticket(repos, 1, 3, code="other")
        with pytest.raises(AlreadyExists) as taken_on_update:
            repos.repository("tickets").update({"project_id": 1, "number": 3}, {"code": "ABC-1"})
    assert (taken.value.entity, taken.value.field, taken.value.value) == (
        "tickets",
        "code",
        "abc-1",
    )
    assert taken.value.__cause__ is not None
    assert (taken_on_update.value.field, taken_on_update.value.value) == ("code", "ABC-1")


def test_the_backstop_names_a_declared_unique_by_its_label(build: Build) -> None:
    exact = variant(TICKETS, unique=(Unique(("code",), name="ticket code"),))
    repos = build(specs_with(exact))
    with repos.unit_of_work():
        project(repos)
        ticket(repos, 1, 1, code="ABC-1")
        with pytest.raises(AlreadyExists) as taken:  # the layer compares exactly; the index not
            ticket(repos, 1, 2, code="abc-1")
    assert (taken.value.field, taken.value.value) == ("ticket code", "abc-1")
