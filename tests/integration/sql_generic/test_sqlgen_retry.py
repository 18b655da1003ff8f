"""A unit of work run again after MariaDB gave up on it: a real deadlock, a lock wait timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlgen_data import project

from adapters.sql import SqlRepositories
from interfaces import AlreadyExists, Backoff, ConcurrencyConflict, Throttled, run_in_unit_of_work

SHORT_LOCK_WAIT = "SET SESSION innodb_lock_wait_timeout = 1"
MYSQL_ONLY = pytest.mark.parametrize(
    "backend", [pytest.param("mysql", marks=pytest.mark.mysql)], indirect=True
)
QUICK = Backoff(base=0.01, cap=0.05)


def _two_projects(repos: SqlRepositories) -> None:
    with repos.unit_of_work():
        project(repos, "Apollo")
        project(repos, "Gemini")


def _hold_row_lock(engine: Engine, seconds: float) -> Callable[[], None]:
    """Lock project 1 on a connection of its own for ``seconds``; returns a join."""
    locked = threading.Event()

    def hold() -> None:
        with engine.connect() as holder, holder.begin():
            holder.execute(text("SELECT id FROM projects WHERE id = 1 FOR UPDATE"))
            locked.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(10)
    return lambda: thread.join(30)


@MYSQL_ONLY
def test_a_deadlocked_unit_of_work_runs_again_and_both_commit(repos: SqlRepositories) -> None:
    _two_projects(repos)
    both_locked = threading.Barrier(2, timeout=10)
    attempts: dict[str, int] = {"1": 0, "2": 0}
    results: dict[str, Any] = {}

    def change(first: int, second: int) -> None:
        projects = repos.repository("projects")

        def work() -> Any:
            attempts[str(first)] += 1
            projects.update(first, {"owner_email": f"by{first}@example.com"})
            if attempts[str(first)] == 1:
                both_locked.wait()  # each holds one row and asks for the other's
            return projects.update(second, {"name": f"Renamed by {first}"})

        try:
            results[str(first)] = run_in_unit_of_work(repos.unit_of_work, work, backoff=QUICK)
        except BaseException as error:
            results[str(first)] = error

    threads = [threading.Thread(target=change, args=pair) for pair in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not [r for r in results.values() if isinstance(r, BaseException)], results
    assert sorted(attempts.values()) == [1, 2]  # the deadlock's victim ran once more
    with repos.unit_of_work():
        stored = {p.id: p for p in repos.repository("projects").batch_get([1, 2])}
    assert stored[1].owner_email == "by1@example.com"
    assert stored[2].owner_email == "by2@example.com"
    assert {stored[1].name, stored[2].name} == {"Renamed by 2", "Renamed by 1"}


@MYSQL_ONLY
def test_a_lock_wait_timeout_is_waited_out(repos: SqlRepositories, engine: Engine) -> None:
    _two_projects(repos)
    calls = {"n": 0}

    def rename() -> Any:
        calls["n"] += 1
        repos.unit_of_work.connection().execute(text(SHORT_LOCK_WAIT))
        return repos.repository("projects").update(1, {"name": "Apollo 11"})

    join = _hold_row_lock(engine, 1.5)
    try:
        renamed = run_in_unit_of_work(repos.unit_of_work, rename, backoff=QUICK)
    finally:
        join()

    assert renamed.name == "Apollo 11"
    assert calls["n"] == 2  # the first wait timed out after 1 s, the second got the lock
    with repos.unit_of_work():
        assert repos.repository("projects").get(1).name == "Apollo 11"


@MYSQL_ONLY
def test_when_the_lock_is_held_too_long_throttled_says_how_many_attempts(
    repos: SqlRepositories, engine: Engine
) -> None:
    _two_projects(repos)
    calls = {"n": 0}

    def rename() -> Any:
        calls["n"] += 1
        repos.unit_of_work.connection().execute(text(SHORT_LOCK_WAIT))
        return repos.repository("projects").update(1, {"name": "Apollo 11"})

    join = _hold_row_lock(engine, 4)
    try:
        with pytest.raises(Throttled) as throttled:
            run_in_unit_of_work(repos.unit_of_work, rename, attempts=2, backoff=QUICK)
    finally:
        join()

    assert calls["n"] == 2
    assert throttled.value.attempts == 2
    assert "1205" in repr(throttled.value.__cause__)
    with repos.unit_of_work():
        assert repos.repository("projects").get(1).name == "Apollo"


def test_errors_other_than_contention_are_not_retried(repos: SqlRepositories) -> None:
    _two_projects(repos)
    calls = {"n": 0}

    def rename_to_taken() -> Any:
        calls["n"] += 1
        repos.repository("projects").update(2, {"owner_email": "changed@example.com"})
        return repos.repository("projects").update(1, {"name": "Gemini"})

    def stale() -> Any:
        calls["n"] += 1
        return repos.repository("projects").update(1, {"name": "x"}, expected_version=99)

    with pytest.raises(AlreadyExists):
        run_in_unit_of_work(repos.unit_of_work, rename_to_taken, backoff=QUICK)
    with pytest.raises(ConcurrencyConflict):
        run_in_unit_of_work(repos.unit_of_work, stale, backoff=QUICK)

    assert calls["n"] == 2
    with repos.unit_of_work():
        assert repos.repository("projects").get(2).owner_email == "gemini@example.com"
