"""What is specific to the generic memory repositories: construction, copies, threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from adapters.memory import MemoryRepositories
from examples.tracker.declarations import LABELS, PROJECTS, SPECS
from interfaces.errors import AlreadyExists
from interfaces.repository import Repositories, Repository
from interfaces.runtime import SteppingClock


def test_it_is_a_repositories_of_every_declared_entity() -> None:
    repositories = MemoryRepositories(SPECS)

    assert isinstance(repositories, Repositories)
    assert list(repositories.specs) == ["projects", "labels", "tickets"]
    assert all(isinstance(repositories.repository(s.name), Repository) for s in SPECS)
    with pytest.raises(KeyError, match="projects, labels, tickets"):
        repositories.repository("users")


def test_declarations_are_checked() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        MemoryRepositories([PROJECTS, PROJECTS])
    with pytest.raises(ValueError, match="references projects, which is not declared"):
        MemoryRepositories([LABELS])


def test_defaults_stamp_with_the_system_clock() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    project = (
        MemoryRepositories(SPECS)
        .repository("projects")
        .create({"name": "Apollo", "owner_email": "ada@example.com"})
    )

    assert project.id == 1
    assert before <= project.created_at <= before + timedelta(seconds=5)


def test_stored_rows_do_not_follow_the_callers_values() -> None:
    repositories = MemoryRepositories(SPECS, clock=SteppingClock())
    values = {"name": "Apollo", "owner_email": "ada@example.com"}
    project = repositories.repository("projects").create(values)
    values["name"] = "Changed"

    assert repositories.repository("projects").get(project.id).name == "Apollo"


def test_concurrent_creates_of_one_unique_value_admit_exactly_one() -> None:
    projects = MemoryRepositories(SPECS).repository("projects")

    def create(i: int) -> str:
        try:
            projects.create({"name": "Apollo" if i % 2 else "APOLLO", "owner_email": f"{i}@x"})
        except AlreadyExists:
            return "taken"
        return "created"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(create, range(40)))

    assert outcomes.count("created") == 1


def test_a_unit_of_work_keeps_other_threads_out_until_it_ends() -> None:
    repositories = MemoryRepositories(SPECS, clock=SteppingClock())
    projects = repositories.repository("projects")
    inside = threading.Event()
    outcome: dict[str, object] = {}

    def other_thread() -> None:
        inside.wait()
        outcome["other"] = projects.create({"name": "Other", "owner_email": "o@x"})

    def failing_unit_of_work() -> None:
        with repositories.unit_of_work():
            projects.create({"name": "Mine", "owner_email": "m@x"})
            inside.set()
            worker.join(timeout=0.2)
            outcome["other waited"] = worker.is_alive()
            raise RuntimeError

    worker = threading.Thread(target=other_thread)
    worker.start()
    with pytest.raises(RuntimeError):
        failing_unit_of_work()
    worker.join(timeout=5)

    assert outcome["other waited"] is True

    names = [p.name for p in projects.batch_get([1, 2])]
    assert names == ["Other"]


def test_a_delete_cascades_and_clears_in_one_step() -> None:
    repositories = MemoryRepositories(SPECS, clock=SteppingClock())
    projects, labels, tickets = (repositories.repository(s.name) for s in SPECS)
    home = projects.create({"name": "Home", "owner_email": "h@x"})
    doomed = projects.create({"name": "Doomed", "owner_email": "d@x"})
    label = labels.create({"project_id": doomed.id, "title": "bug"})
    ticket = tickets.create(
        {
            "project_id": home.id,
            "number": 1,
            "code": "T-1",
            "title": "t",
            "status": "open",
            "estimate": Decimal("1"),
            "label_id": label.id,
        }
    )

    projects.delete(doomed.id)

    assert labels.batch_get([label.id]) == []
    cleared = tickets.get({"project_id": home.id, "number": 1})
    assert (cleared.label_id, cleared.version) == (None, ticket.version + 1)
