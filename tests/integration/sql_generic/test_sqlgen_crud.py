"""Get, create, update and delete through the generic SQL repositories, on SQLite and MariaDB."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel, ConfigDict
from sqlgen_data import label, project, specs_with, ticket

from adapters.sql import SqlRepositories
from examples.tracker.declarations import SPECS, Project, Ticket
from interfaces.entities import EntitySpec, NamedQuery, OnDelete, Reference, Unique
from interfaces.errors import (
    AlreadyExists,
    ConcurrencyConflict,
    NotFound,
    NoUnitOfWork,
    ValidationFailed,
)
from interfaces.repository import Repositories, Repository
from interfaces.types import Id, Timestamp

START = datetime(2026, 1, 1, tzinfo=UTC)


def test_it_is_the_repositories_of_every_declared_entity(repos: SqlRepositories) -> None:
    assert isinstance(repos, Repositories)
    assert list(repos.specs) == [spec.name for spec in SPECS]
    assert isinstance(repos.repository("tickets"), Repository)
    with pytest.raises(KeyError, match="projects"):
        repos.repository("nothing")


def test_a_repository_needs_the_callers_unit_of_work(repos: SqlRepositories) -> None:
    with pytest.raises(NoUnitOfWork):
        repos.repository("projects").get(1)
    with pytest.raises(NoUnitOfWork):
        project(repos)


def test_create_stamps_and_get_reads_it_back(repos: SqlRepositories) -> None:
    with repos.unit_of_work():
        created = project(repos, "Apollo")
    assert created == Project(
        id=1,
        name="Apollo",
        owner_email="apollo@example.com",
        version=1,
        created_at=START,
        updated_at=START,
    )
    with repos.unit_of_work():
        assert repos.repository("projects").get(1) == created
        assert repos.repository("projects").get({"id": 1}) == created


def test_a_composite_key_is_a_mapping(repos: SqlRepositories) -> None:
    with repos.unit_of_work():
        project(repos)
        created = ticket(repos, 1, 7)
        tickets = repos.repository("tickets")
        assert tickets.get({"project_id": 1, "number": 7}) == created
        with pytest.raises(NotFound) as missing:
            tickets.get({"project_id": 1, "number": 8})
        with pytest.raises(ValidationFailed) as wrong:
            tickets.get(7)
    assert (missing.value.entity, missing.value.key) == ("tickets", (1, 8))
    assert wrong.value.field == "key"


def test_create_refuses_stamped_unknown_and_missing_fields(repos: SqlRepositories) -> None:
    projects = repos.repository("projects")
    with repos.unit_of_work():
        cases: list[tuple[dict[str, object], str]] = [
            ({"name": "A", "owner_email": "a@x", "version": 3}, "version"),
            ({"name": "A", "owner_email": "a@x", "id": 3}, "id"),
            ({"name": "A", "owner_email": "a@x", "colour": "red"}, "colour"),
            ({"name": "A"}, "owner_email"),
        ]
        for values, field in cases:
            with pytest.raises(ValidationFailed) as refused:
                projects.create(values)
            assert refused.value.field == field


def test_update_moves_version_and_updated_at_only(repos: SqlRepositories) -> None:
    projects = repos.repository("projects")
    with repos.unit_of_work():
        project(repos, "Apollo")
        changed = projects.update(1, {"owner_email": "new@example.com"}, expected_version=1)
        again = projects.update(1, {})
    assert (changed.version, changed.updated_at) == (2, START + timedelta(seconds=1))
    assert (again.version, again.updated_at, again.created_at) == (
        3,
        START + timedelta(seconds=2),
        START,
    )
    with repos.unit_of_work():
        assert projects.get(1) == again


def test_update_checks_in_order(repos: SqlRepositories) -> None:
    projects = repos.repository("projects")
    with repos.unit_of_work():
        project(repos, "Apollo")
        with pytest.raises(NotFound):
            projects.update(2, {"name": "x"}, expected_version=9)
        with pytest.raises(ConcurrencyConflict) as stale:
            projects.update(1, {"name": 5}, expected_version=9)
        with pytest.raises(ValidationFailed) as refused:
            projects.update(1, {"id": 2})
        with pytest.raises(ValidationFailed) as not_text:
            projects.update(1, {"name": 5})
        assert projects.get(1).version == 1
    assert (stale.value.entity, stale.value.key, stale.value.expected_version) == ("projects", 1, 9)
    assert refused.value.field == "id"
    assert not_text.value.field == "name"


def test_an_entity_without_version_refuses_expected_version(repos: SqlRepositories) -> None:
    labels = repos.repository("labels")
    with repos.unit_of_work():
        project(repos)
        label(repos, 1, "bug")
        with pytest.raises(ValidationFailed) as refused:
            labels.update(1, {"title": "defect"}, expected_version=1)
        changed = labels.update(1, {"title": "defect"})
    assert refused.value.field == "expected_version"
    assert changed.title == "defect"


def test_delete(repos: SqlRepositories) -> None:
    projects = repos.repository("projects")
    with repos.unit_of_work():
        project(repos)
        with pytest.raises(ConcurrencyConflict):
            projects.delete(1, expected_version=2)
        projects.delete(1, expected_version=1)
        with pytest.raises(NotFound):
            projects.get(1)
        with pytest.raises(NotFound) as missing:
            projects.delete(1)
    assert (missing.value.entity, missing.value.key) == ("projects", 1)


def test_a_ticket_round_trips_every_field(repos: SqlRepositories) -> None:
    due = datetime(2026, 3, 1, 12, 30, 15, tzinfo=UTC)
    with repos.unit_of_work():
        project(repos)
        label(repos, 1)
        created = ticket(repos, 1, 1, code="ABC-1", due_at=due, label_id=1, status="in_progress")
    with repos.unit_of_work():
        stored = repos.repository("tickets").get({"project_id": 1, "number": 1})
    assert isinstance(stored, Ticket)
    assert stored == created
    assert stored.due_at == due


class NamedLabel(BaseModel):
    """A label whose ``name`` field is stored in the ``title`` column."""

    model_config = ConfigDict(frozen=True)
    id: Id
    project_id: Id
    name: str
    created_at: Timestamp


RENAMED_LABELS = EntitySpec(
    name="labels",
    table="labels",
    model=NamedLabel,
    key=("id",),
    columns={"name": "title"},
    id_sequence="labels",
    created_at="created_at",
    unique=(Unique(("project_id", "name")),),
    references=(Reference(("project_id",), "projects", on_delete=OnDelete.CASCADE),),
    queries=(NamedQuery("by_project", where=("project_id",), order_by=("name",)),),
)


def test_fields_map_to_their_columns(build: Callable[..., SqlRepositories]) -> None:
    repos = build(specs_with(RENAMED_LABELS))
    labels = repos.repository("labels")
    with repos.unit_of_work():
        project(repos)
        labels.create({"project_id": 1, "name": "bug"})
        labels.create({"project_id": 1, "name": "Bug"})
        renamed = labels.update(1, {"name": "defect"})
        with pytest.raises(AlreadyExists) as taken:
            labels.create({"project_id": 1, "name": "defect"})
        page = labels.query("by_project", project_id=1)
        assert labels.get(1) == renamed
    assert renamed.name == "defect"
    assert (taken.value.field, taken.value.value) == ("project_id,name", (1, "defect"))
    assert [lab.name for lab in page.items] == ["Bug", "defect"]
