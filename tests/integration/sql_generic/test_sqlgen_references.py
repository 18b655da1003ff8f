"""References: targets must exist; deleting a target follows RESTRICT, CASCADE and SET_NULL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlgen_data import label, project, specs_with, ticket, variant

from adapters.sql import SqlRepositories
from examples.tracker.declarations import TICKETS
from interfaces.entities import OnDelete, Reference
from interfaces.errors import NotFound, ReferenceConflict

Build = Callable[..., SqlRepositories]
T1 = {"project_id": 1, "number": 1}
T2 = {"project_id": 2, "number": 1}


def test_a_reference_to_a_missing_target_is_not_found(repos: SqlRepositories) -> None:
    tickets = repos.repository("tickets")
    with repos.unit_of_work():
        with pytest.raises(NotFound) as no_project:
            ticket(repos, 9, 1)
        project(repos)
        with pytest.raises(NotFound) as no_label:
            ticket(repos, 1, 1, label_id=5)
        ticket(repos, 1, 1)
        with pytest.raises(NotFound) as no_label_on_update:
            tickets.update(T1, {"label_id": 7})
        assert tickets.get(T1).label_id is None
    assert (no_project.value.entity, no_project.value.key) == ("projects", 9)
    assert (no_label.value.entity, no_label.value.key) == ("labels", 5)
    assert (no_label_on_update.value.entity, no_label_on_update.value.key) == ("labels", 7)


def test_restrict_refuses_and_changes_nothing(repos: SqlRepositories) -> None:
    with repos.unit_of_work():
        project(repos)
        label(repos, 1)
        before = ticket(repos, 1, 1, label_id=1)
        with pytest.raises(ReferenceConflict) as refused:
            repos.repository("projects").delete(1)
        # the labels' CASCADE (declared first) ran and was undone with the rest
        assert repos.repository("labels").get(1).title == "bug"
        assert repos.repository("tickets").get(T1) == before
        assert repos.repository("projects").get(1).version == 1
    error = refused.value
    assert (error.entity, error.key, error.referenced_by) == ("projects", 1, "tickets")


def test_cascade_deletes_the_dependents(repos: SqlRepositories) -> None:
    with repos.unit_of_work():
        project(repos, "Apollo")
        project(repos, "Gemini")
        label(repos, 1, "bug")
        label(repos, 1, "idea")
        label(repos, 2, "bug")
        repos.repository("projects").delete(1)
        assert [lab.id for lab in repos.repository("labels").batch_get([1, 2, 3])] == [3]


def test_set_null_clears_the_reference_as_a_change(repos: SqlRepositories, clock: object) -> None:
    tickets = repos.repository("tickets")
    with repos.unit_of_work():
        project(repos)
        label(repos, 1)
        created = ticket(repos, 1, 1, label_id=1)
        ticket(repos, 1, 2)
        repos.repository("labels").delete(1)
        cleared = tickets.get(T1)
        untouched = tickets.get({"project_id": 1, "number": 2})
    assert cleared.label_id is None
    assert cleared.version == created.version + 1
    assert cleared.updated_at > created.updated_at
    assert cleared.created_at == created.created_at
    assert untouched.version == 1


def test_cascade_honours_the_dependents_own_references(repos: SqlRepositories) -> None:
    tickets = repos.repository("tickets")
    with repos.unit_of_work():
        project(repos, "Apollo")
        project(repos, "Gemini")
        label(repos, 1, "shared")
        other = ticket(repos, 2, 1, label_id=1)  # Gemini's ticket with Apollo's label
        repos.repository("projects").delete(1)
        cleared = tickets.get(T2)
        with pytest.raises(NotFound):
            repos.repository("labels").get(1)
    assert cleared.label_id is None
    assert cleared.version == other.version + 1
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert cleared.updated_at == start + timedelta(seconds=4)  # the fifth instant: the delete's


def test_a_restrict_deep_in_a_cascade_refuses_the_whole_delete(build: Build) -> None:
    restricting = variant(
        TICKETS,
        references=(
            Reference(("project_id",), "projects", on_delete=OnDelete.RESTRICT),
            Reference(("label_id",), "labels", on_delete=OnDelete.RESTRICT),
        ),
    )
    repos = build(specs_with(restricting))
    with repos.unit_of_work():
        project(repos, "Apollo")
        project(repos, "Gemini")
        label(repos, 1, "shared")
        label(repos, 1, "unused")
        ticket(repos, 2, 1, label_id=1)
        with pytest.raises(ReferenceConflict) as refused:
            repos.repository("projects").delete(1)
        labels = repos.repository("labels").batch_get([1, 2])
        assert [lab.id for lab in labels] == [1, 2]
        assert repos.repository("projects").get(1).name == "Apollo"
    error = refused.value
    assert (error.entity, error.key, error.referenced_by) == ("labels", 1, "tickets")
