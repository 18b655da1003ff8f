"""Personal data stays out of everything the layer writes and prints.

A write workload through the routed store (MariaDB old, DynamoDB Local new) with
emails and people's names produces drift (an item changed behind the layer's back)
and errors (a DynamoDB write that fails quoting its arguments, as drivers do).
No clear value may then appear in the records file, the log, the reports, the
repair log or the output of ``dal verify --json`` / ``dal repair --json``; the
records, the reports and the repair log are readable by their owner only. The
router here runs with no declaration of what is sensitive: the default names
(``*email*``, ``first_name``, ``last_name``...) are enough.
"""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from dal import (
    JsonlRecorder,
    LoggingRecorder,
    MultiRecorder,
    RepairLog,
    ReplayingClock,
    ReplayingIdAllocator,
    Router,
    StaticFlags,
)
from dal.cli import app
from dal.routing import ShadowSettings
from dal.settings import Settings
from examples.store import NewUser, Store, UserChanges
from interfaces import BackendUnavailable, SystemClock

PEOPLE = [
    ("ada", "ada.lovelace@example.org", "Ada", "Lovelace"),
    ("grace", "grace.hopper@example.org", "Grace", "Hopper"),
    ("edsger", "edsger.dijkstra@example.org", "Edsger", "Dijkstra"),
]
NEW_NAME = "Augusta"
CLEAR = [value for _, email, first, last in PEOPLE for value in (email, first, last)] + [NEW_NAME]


class FailingUsers:
    """The DynamoDB users, but ``create`` of ``victim`` fails quoting its arguments."""

    def __init__(self, inner: Any, victim: str) -> None:
        self._inner = inner
        self._victim = victim

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def create(self, new: NewUser) -> Any:
        if new.username == self._victim:
            raise BackendUnavailable(f"could not write {new!r} ({new.email}, {new.first_name})")
        return self._inner.create(new)


@pytest.fixture
def sides(engine: Engine, dynamodb_endpoint: str, prefix: str) -> tuple[Store, Store]:
    import dataclasses

    from adapters.mysql import SqlIdAllocator
    from dal.contract import load_contract
    from examples.store import CONTRACT
    from examples.store.dynamodb import build_store as dynamo_store
    from examples.store.sql import build_store as mysql_store

    clock = ReplayingClock(SystemClock())
    ids = ReplayingIdAllocator(SqlIdAllocator(engine))
    old = mysql_store(engine, clock=clock, ids=ids)
    new = dynamo_store(
        contract=load_contract(CONTRACT),
        table_prefix=prefix,
        endpoint=dynamodb_endpoint,
        clock=clock,
        ids=ids,
    )
    new = dataclasses.replace(new, users=FailingUsers(new.users, victim="edsger"))
    return old, new


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings_at: Callable[[str], Settings]) -> None:
    settings = settings_at("shadow")
    monkeypatch.setenv("DAL_MYSQL_URL", settings.mysql_url)
    monkeypatch.setenv("DAL_DYNAMODB_ENDPOINT", settings.dynamodb_endpoint or "")
    monkeypatch.setenv("DAL_DYNAMODB_REGION", settings.dynamodb_region)
    monkeypatch.setenv("DAL_TABLE_PREFIX", settings.table_prefix)
    monkeypatch.setenv("DAL_CONTRACT", str(settings.contract))
    monkeypatch.delenv("DAL_DECLARATIONS", raising=False)
    monkeypatch.delenv("DAL_FLAGS", raising=False)


def leaked(text: str) -> list[str]:
    return [value for value in CLEAR if value in text]


def layer_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the layer logged (its loggers live under ``dal`` and ``adapters``)."""
    return "\n".join(
        record.getMessage()
        for record in caplog.records
        if record.name.split(".")[0] in ("dal", "adapters", "examples")
    )


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def test_no_personal_data_reaches_records_reports_logs_or_cli_output(
    sides: tuple[Store, Store],
    raw: Any,
    prefix: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    cli_env: None,
) -> None:
    records = tmp_path / "records" / "router.jsonl"
    repair_path = tmp_path / "repair.jsonl"
    recorder = JsonlRecorder(records)
    router = Router(
        StaticFlags({"users": "shadow"}),
        MultiRecorder(recorder, LoggingRecorder()),
        repair_log=RepairLog(repair_path),
        shadow=ShadowSettings(budget=15.0),
        metrics_interval=None,
    )
    caplog.set_level(logging.DEBUG, logger="dal")
    caplog.set_level(logging.DEBUG, logger="adapters")
    try:
        store = router.route_store(*sides)
        created = []
        for username, email, first, last in PEOPLE:
            with store.unit_of_work():
                created.append(
                    store.users.create(
                        NewUser(
                            username=username,
                            email=email,
                            password_hash="pbkdf2$" + "x" * 30,
                            first_name=first,
                            last_name=last,
                        )
                    )
                )
        ada = created[0]
        raw.update_item(  # drift planted in DynamoDB behind the layer's back
            TableName=f"{prefix}Users",
            Key={"PK": {"S": ada.email}, "SK": {"S": "#META"}},
            UpdateExpression="SET profile_data.first_name = :n",
            ExpressionAttributeValues={":n": {"S": NEW_NAME}},
        )
        with store.unit_of_work():
            for user in created:
                store.users.get(user.id)
            store.users.find_by_email(PEOPLE[1][1])
            store.users.update(created[1].id, UserChanges(last_name="Hopper-Murray"))
        assert router.flush(timeout=30)
    finally:
        router.close(timeout=30)
        recorder.close()

    kinds = records.read_text().splitlines()
    assert any('"category":"drift"' in line for line in kinds)
    assert any('"kind":"error"' in line for line in kinds)
    assert leaked(records.read_text()) == []
    assert private(records)
    assert leaked(layer_log(caplog)) == []
    assert "error" in repair_path.read_text()
    assert leaked(repair_path.read_text()) == []
    assert private(repair_path)

    runner = CliRunner()
    out = tmp_path / "report"
    reported = runner.invoke(app, ["report", "--from", str(records), "--out", str(out)])
    assert reported.exit_code == 0, reported.output
    assert leaked(reported.output) == []
    for name in ("report.json", "report.md", "report.html"):
        assert leaked((out / name).read_text()) == [], name
        assert private(out / name), name

    verified = runner.invoke(app, ["verify", "--json"])
    assert verified.exit_code == 1, verified.output
    assert "missing_in_dynamodb" in verified.stdout
    assert leaked(verified.output) == []
    repaired = runner.invoke(app, ["repair", "--json", "--authoritative", "mysql"])
    assert '"outcome"' in repaired.stdout, repaired.output
    assert leaked(repaired.output) == []
    assert leaked(layer_log(caplog)) == []
