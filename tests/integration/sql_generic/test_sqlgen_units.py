"""Units of work, driver errors and the tables the repositories are built on."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, select, text
from sqlgen_data import label, project, specs_with, ticket, variant

from adapters.sql import SqlRepositories
from examples.tracker.declarations import PROJECTS, SPECS, TICKETS, Project
from examples.tracker.schema import projects as projects_table
from interfaces.entities import EntitySpec
from interfaces.errors import DalError, ReferenceConflict, Throttled

Build = Callable[..., SqlRepositories]
SHORT_LOCK_WAIT = "SET SESSION innodb_lock_wait_timeout = 1"
MYSQL_ONLY = pytest.mark.parametrize(
    "backend", [pytest.param("mysql", marks=pytest.mark.mysql)], indirect=True
)


def test_a_failed_command_leaves_nothing_behind_and_the_rest_commits(
    repos: SqlRepositories,
) -> None:
    with repos.unit_of_work():
        project(repos, "Apollo")
        label(repos, 1)
        before = ticket(repos, 1, 1, label_id=1)
        with pytest.raises(ReferenceConflict):
            repos.repository("projects").delete(1)  # cascades to labels and tickets, then fails
        project(repos, "Gemini")
    with repos.unit_of_work():
        assert repos.repository("tickets").get({"project_id": 1, "number": 1}) == before
        assert repos.repository("labels").get(1).project_id == 1
        assert [p.name for p in repos.repository("projects").batch_get([1, 2])] == [
            "Apollo",
            "Gemini",
        ]


def test_an_error_leaving_the_unit_of_work_rolls_everything_back(
    repos: SqlRepositories,
) -> None:
    def fail_after_a_create() -> None:
        with repos.unit_of_work():
            project(repos, "Apollo")
            raise RuntimeError("the caller fails")

    with pytest.raises(RuntimeError):
        fail_after_a_create()
    with repos.unit_of_work():
        assert repos.repository("projects").batch_get([1]) == []


class Ghost(BaseModel):
    """An entity whose table the database does not have."""

    id: int
    name: str


GHOSTS = EntitySpec(name="ghosts", table="ghosts", model=Ghost, key=("id",))
GHOST_TABLE = Table(
    "ghosts", MetaData(), Column("id", Integer, primary_key=True), Column("name", String(20))
)


def test_driver_errors_become_the_layers_errors(build: Build) -> None:
    repos = build([GHOSTS], tables={"ghosts": GHOST_TABLE})
    with repos.unit_of_work():
        with pytest.raises(DalError, match="dal db upgrade") as failed:
            repos.repository("ghosts").get(1)
    assert failed.value.__cause__ is not None
    assert type(failed.value) is DalError


def test_a_missing_table_is_named(build: Build) -> None:
    with pytest.raises(ValueError, match="ghosts"):
        build([GHOSTS])


class WideProject(Project):
    """A project with a field its table has no column for."""

    colour: str = "red"


def test_a_field_without_a_column_is_named(build: Build) -> None:
    wide = variant(PROJECTS, model=WideProject)
    with pytest.raises(ValueError, match="colour"):
        build(specs_with(wide))


def test_a_reference_to_an_undeclared_entity_is_refused(build: Build) -> None:
    with pytest.raises(ValueError, match="labels"):
        build([PROJECTS, TICKETS])


def test_given_tables_are_used_as_they_are(build: Build, engine: Engine) -> None:
    renamed = Table(
        "projects",
        MetaData(),
        *(Column(c.name, c.type, primary_key=c.primary_key) for c in projects_table.c),
    )
    repos = build(SPECS, tables={"projects": renamed})
    with repos.unit_of_work():
        project(repos, "Apollo")
    with engine.connect() as connection:
        assert connection.execute(select(projects_table.c.name)).scalar_one() == "Apollo"


@MYSQL_ONLY
def test_a_lock_wait_timeout_is_throttled(repos: SqlRepositories, engine: Engine) -> None:
    with repos.unit_of_work():
        project(repos, "Apollo")
    with engine.connect() as holder, holder.begin():
        holder.execute(text("SELECT id FROM projects WHERE id = 1 FOR UPDATE"))
        with repos.unit_of_work():
            repos.unit_of_work.connection().execute(text(SHORT_LOCK_WAIT))
            with pytest.raises(Throttled) as throttled:
                repos.repository("projects").update(1, {"name": "Apollo 11"})
            assert repos.repository("projects").get(1).name == "Apollo"  # the work goes on
    assert throttled.value.__cause__ is not None


@MYSQL_ONLY
def test_a_deadlock_dooms_the_unit_of_work(repos: SqlRepositories) -> None:
    with repos.unit_of_work():
        project(repos, "Apollo")
        project(repos, "Gemini")
    both_locked = threading.Barrier(2, timeout=10)
    outcomes: dict[str, Any] = {}

    def change(first: int, second: int) -> None:
        projects = repos.repository("projects")
        errors: list[BaseException] = []
        try:
            with repos.unit_of_work():
                projects.update(first, {"owner_email": "x@example.com"})
                both_locked.wait()
                try:
                    projects.update(second, {"owner_email": "y@example.com"})
                except Throttled as error:
                    errors.append(error)
        except BaseException as error:
            errors.append(error)
        outcomes[f"{first}"] = errors

    threads = [threading.Thread(target=change, args=pair) for pair in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    victims = [errors for errors in outcomes.values() if errors]
    assert len(victims) == 1
    caught, on_leaving = victims[0]
    assert isinstance(caught, Throttled)
    assert on_leaving is caught  # leaving the block normally raised the doom, not a commit
