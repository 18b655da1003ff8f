"""Helpers of the change-data-capture tests: tracker rows, a CDC thread, waiting to catch up."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, text

from dal.cdc.binlog import current_position
from dal.cdc.checkpoints import PositionStore
from dal.cdc.failures import FailureLog
from dal.cdc.mysql_service import MYSQL_READER, MysqlCdc, MysqlCdcOptions
from dal.cdc.positions import BinlogPosition
from dal.migrate.tools import MigrationTools
from dal.migrate.verify import VerifyOptions, VerifyReport
from dal.routing.recording import MemoryRecorder

NOW = datetime(2027, 3, 1, 12, 0, 0, tzinfo=UTC).replace(tzinfo=None)


def seed(engine: Engine, projects: int, labels: int, tickets: int) -> None:
    """Projects, labels (spread over projects) and tickets (spread over projects, labelled)."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO projects (id, name, owner_email, version, created_at, updated_at) "
                "VALUES (:id, :name, :email, 1, :now, :now)"
            ),
            [
                {"id": i, "name": f"Project {i}", "email": f"owner{i}@example.com", "now": NOW}
                for i in range(1, projects + 1)
            ],
        )
        connection.execute(
            text(
                "INSERT INTO labels (id, project_id, title, created_at) "
                "VALUES (:id, :project, :title, :now)"
            ),
            [
                {"id": i, "project": (i - 1) % projects + 1, "title": f"label {i}", "now": NOW}
                for i in range(1, labels + 1)
            ],
        )
        connection.execute(
            text(
                "INSERT INTO tickets (project_id, number, code, title, status, estimate, due_at, "
                "label_id, version, created_at, updated_at) VALUES (:project, :number, :code, "
                ":title, 'open', 1.25, NULL, :label, 1, :now, :now)"
            ),
            [ticket(i, projects, labels) for i in range(1, tickets + 1)],
        )


def ticket(i: int, projects: int, labels: int) -> dict[str, Any]:
    """Ticket ``i``'s insert parameters: in project ``i % projects``, with the label of the
    same project when there is one."""
    project = (i - 1) % projects + 1
    label = project if project <= labels else None
    return {
        "project": project,
        "number": i,
        "code": f"T-{i}",
        "title": f"ticket {i}",
        "label": label,
        "now": NOW,
    }


@dataclass
class RunningCdc:
    """A MySQL CDC loop running in a thread of the test."""

    service: MysqlCdc
    thread: threading.Thread
    stop: threading.Event
    recorder: MemoryRecorder
    errors: list[BaseException]


@contextmanager
def cdc_thread(
    tools: MigrationTools, options: MysqlCdcOptions | None = None
) -> Iterator[RunningCdc]:
    """Run ``dal cdc mysql``'s loop in a thread until the block ends."""
    recorder = MemoryRecorder()
    service = MysqlCdc.over(tools, FailureLog(recorder, "new", tools.sensitive))
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            service.run(options or MysqlCdcOptions(), stop)
        except BaseException as error:  # reported by the test
            errors.append(error)

    thread = threading.Thread(target=run, name="cdc", daemon=True)
    thread.start()
    running = RunningCdc(service, thread, stop, recorder, errors)
    try:
        yield running
    finally:
        stop.set()
        thread.join(60)


def wait_started(engine: Engine, errors: list[Any], timeout: float = 60.0) -> None:
    """Wait until the MySQL CDC loop has saved the position it starts from."""
    store = PositionStore(engine)
    deadline = time.monotonic() + timeout
    while store.load(MYSQL_READER) is None:
        if errors:
            raise AssertionError(f"change data capture failed: {errors[0]!r}") from errors[0]
        assert time.monotonic() < deadline, "change data capture saved no position"
        time.sleep(0.05)


def wait_caught_up(engine: Engine, timeout: float = 120.0, errors: list[Any] | None = None) -> None:
    """Wait until the saved MySQL CDC position reaches where the log ends now."""
    target = current_position(engine)
    store = PositionStore(engine)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if errors:
            raise AssertionError(f"change data capture failed: {errors[0]!r}") from errors[0]
        stored = store.load(MYSQL_READER)
        if stored is not None and BinlogPosition.parse(stored.position) >= target:
            return
        time.sleep(0.1)
    raise AssertionError(f"change data capture did not reach {target} in {timeout:.0f}s")


def drain(poll: Callable[[], int], quiet: float = 1.0, timeout: float = 60.0) -> None:
    """Call ``poll`` (a stream reader's ``poll_once``) until it applies nothing for ``quiet``
    seconds."""
    quiet_since = time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() - quiet_since < quiet and time.monotonic() < deadline:
        if poll():
            quiet_since = time.monotonic()
        time.sleep(0.2)


def verify(tools: MigrationTools) -> VerifyReport:
    """``dal verify`` over every entity."""
    return tools.verifier().run(VerifyOptions(), list(tools.plans.values()))


def failing(report: VerifyReport) -> list[str]:
    """The failing findings of ``report``, readable."""
    return [f"{f.kind} {f.source} {f.detail or ''} {f.differences}" for f in report.failing]
