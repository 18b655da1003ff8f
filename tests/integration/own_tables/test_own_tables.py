"""An entity the reference store does not have, from MySQL to DynamoDB, with no adapter code.

The tracker's tickets have a composite key, an ENUM, a DECIMAL(12,4), a nullable
DATETIME(6), a code unique under a case-insensitive collation and references to
other tables. Run twice: with the tracker's declarations and with none at all
(every declaration defaulted from the contract and the reflected tables). Each test
goes through the documented entry points: ``build_container(settings)``,
``routed_store().repository(name)``, the migration tools, ``dal`` on the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from dal.cli import app
from dal.container import build_container
from dal.migrate import BackfillOptions, RepairOptions, VerifyOptions, VerifyReport, open_tools
from dal.routing import MemoryRecorder, ShadowSettings
from dal.settings import Settings
from examples.store import Store
from examples.tracker import schema
from interfaces import NotFound

from .conftest import LEGACY_TICKETS

STAGES = ("dual_write", "shadow", "live", "rampdown")
runner = CliRunner()


@contextmanager
def routed(settings: Settings, recorder: MemoryRecorder, log: Path) -> Iterator[Store]:
    """The routed store of ``settings``; closing it flushes the shadow work."""
    container = build_container(settings)
    container.recorder.override(providers.Object(recorder))
    container.repair_log.override(providers.Object(log))
    # a loaded test machine is slow: shadow work gets time enough not to be dropped
    container.shadow_settings.override(providers.Object(ShadowSettings(budget=15.0)))
    try:
        yield container.routed_store()
    finally:
        container.shutdown_resources()


def backfill(settings: Settings) -> None:
    with open_tools(settings, workers=2) as tools:
        summary = tools.backfill().run(BackfillOptions(workers=2))
    assert summary.ok, summary


def verify(settings: Settings) -> VerifyReport:
    with open_tools(settings, workers=2) as tools:
        return tools.verifier().run(VerifyOptions(workers=2), list(tools.plans.values()))


def repair(settings: Settings) -> None:
    with open_tools(settings, workers=2) as tools:
        report = tools.repairer().run(RepairOptions(workers=2), list(tools.plans.values()))
    assert report.ok, "; ".join(str(a.to_json()) for a in report.actions)


def new_ticket(number: int) -> dict[str, Any]:
    return {
        "project_id": 1,
        "number": number,
        "code": f"NEW-{number}",
        "title": f"New ticket {number}",
        "status": "open",
        "estimate": Decimal("12345678.1234"),
        "due_at": datetime(2026, 3, 1, 9, 0, 0, 654321, tzinfo=UTC),
        "label_id": 2,
    }


def by_project(store: Store) -> str:
    """The name of the tickets' query by project (declared, or the default's)."""
    assert store.entities is not None
    names = [q.name for q in store.entities.specs["tickets"].queries]
    return next(name for name in names if name in ("by_project", "by_project_id"))


def failing(report: VerifyReport) -> list[dict[str, Any]]:
    return [finding.to_json() for finding in report.failing]


def test_every_stage_routes_backfills_and_verifies(
    settings_at: Callable[[str], Settings], raw: Any, prefix: str, tmp_path: Path
) -> None:
    recorder = MemoryRecorder()
    log = tmp_path / "repair.jsonl"
    key = {"project_id": 1, "number": LEGACY_TICKETS + 1}

    with routed(settings_at("off"), recorder, log) as store:
        with store.unit_of_work():
            store.repository("tickets").create(new_ticket(LEGACY_TICKETS + 1))
    assert "Item" not in raw.get_item(
        TableName=f"{prefix}Tickets",
        Key={"PK": {"S": "PROJECT#1"}, "SK": {"S": f"TICKET#{LEGACY_TICKETS + 1}"}},
    )

    backfill(settings_at("dual_write"))
    report = verify(settings_at("dual_write"))
    assert failing(report) == []
    assert report.counts["tickets"].rows == LEGACY_TICKETS + 1
    assert report.counts["projects"].rows == 2

    for offset, stage in enumerate(STAGES, start=2):
        number = LEGACY_TICKETS + offset
        with routed(settings_at(stage), recorder, log) as store:
            tickets = store.repository("tickets")
            with store.unit_of_work():
                tickets.create(new_ticket(number))
                changed = tickets.update(
                    {"project_id": 1, "number": number},
                    {"title": f"changed at {stage}", "estimate": Decimal("0.0001")},
                    expected_version=1,
                )
                assert changed.model_dump()["version"] == 2
                store.repository("projects").create(
                    {"name": f"Project {stage}", "owner_email": f"{stage}@example.com"}
                )
            with store.unit_of_work():  # reads after a write in the same unit are not shadowed
                assert tickets.get(key).model_dump()["estimate"] == Decimal("12345678.1234")
                page = tickets.query(by_project(store), project_id=1, page_size=5)
                assert [t.model_dump()["number"] for t in page.items] == [1, 2, 3, 4, 5]
        assert failing(verify(settings_at(stage))) == [], stage

    compared = [c for c in recorder.comparisons if c.entity == "tickets"]
    assert {c.operation for c in compared} >= {"create", "update", "get", "query"}
    assert [c for c in recorder.comparisons if not c.matched] == []

    with routed(settings_at("complete"), recorder, log) as store:
        with store.unit_of_work():
            store.repository("tickets").create(new_ticket(LEGACY_TICKETS + 9))
        created = store.repository("tickets").get({"project_id": 1, "number": LEGACY_TICKETS + 9})
        assert created.model_dump()["due_at"].microsecond == 654321


def test_drift_in_dynamodb_is_named_by_key_and_path_and_repaired(
    settings_at: Callable[[str], Settings], raw: Any, prefix: str, tmp_path: Path
) -> None:
    backfill(settings_at("shadow"))
    item_key = {"PK": {"S": "PROJECT#1"}, "SK": {"S": "TICKET#3"}}
    raw.update_item(
        TableName=f"{prefix}Tickets",
        Key=item_key,
        UpdateExpression="SET title = :t",
        ExpressionAttributeValues={":t": {"S": "drifted"}},
    )
    recorder = MemoryRecorder()
    with routed(settings_at("shadow"), recorder, tmp_path / "log.jsonl") as store:
        with store.unit_of_work():
            store.repository("tickets").get({"project_id": 1, "number": 3})
    reads = [c for c in recorder.comparisons if c.operation == "get"]
    assert len(reads) == 1, recorder.drops
    (comparison,) = reads
    assert not comparison.matched
    assert [d.path for d in comparison.differences] == ["title"]

    report = verify(settings_at("shadow"))
    (finding,) = report.failing
    assert finding.entity == "tickets"
    assert finding.source == "tickets 1, 3"
    assert [d.path for d in finding.differences] == ["title"]

    repair(settings_at("shadow"))
    assert failing(verify(settings_at("shadow"))) == []
    stored = raw.get_item(TableName=f"{prefix}Tickets", Key=item_key, ConsistentRead=True)
    assert stored["Item"]["title"] == {"S": "Ticket 3"}


def test_drift_in_mysql_is_named_and_repaired_from_dynamodb_when_live(
    settings_at: Callable[[str], Settings], engine: Engine, tmp_path: Path
) -> None:
    backfill(settings_at("live"))
    tickets = schema.tickets
    where = (tickets.c.project_id == 1) & (tickets.c.number == 5)
    with engine.begin() as connection:
        connection.execute(update(tickets).where(where).values(estimate=Decimal("9.9999")))
    recorder = MemoryRecorder()
    with routed(settings_at("live"), recorder, tmp_path / "log.jsonl") as store:
        with store.unit_of_work():
            answer = store.repository("tickets").get({"project_id": 1, "number": 5})
        assert answer.model_dump()["estimate"] == Decimal("0.6250")  # live answers from DynamoDB
    (comparison,) = [c for c in recorder.comparisons if c.operation == "get"]
    assert [d.path for d in comparison.differences] == ["estimate"]

    (finding,) = verify(settings_at("live")).failing
    assert finding.source == "tickets 1, 5"
    assert [d.path for d in finding.differences] == ["estimate"]

    repair(settings_at("live"))
    assert failing(verify(settings_at("live"))) == []
    with engine.connect() as connection:
        assert connection.execute(select(tickets.c.estimate).where(where)).scalar_one() == Decimal(
            "0.6250"
        )


def test_a_case_insensitive_unique_code_holds_on_both_sides(
    settings_at: Callable[[str], Settings], tmp_path: Path
) -> None:
    backfill(settings_at("dual_write"))
    with routed(settings_at("rampdown"), MemoryRecorder(), tmp_path / "log.jsonl") as store:
        tickets = store.repository("tickets")
        duplicate = {**new_ticket(40), "code": "apo-1"}  # APO-1 exists, backfilled with its guard
        with pytest.raises(Exception) as caught, store.unit_of_work():
            tickets.create(duplicate)
        assert type(caught.value).__name__ == "AlreadyExists"
        with pytest.raises(NotFound), store.unit_of_work():
            tickets.get({"project_id": 1, "number": 40})


def test_the_commands_know_every_entity_of_the_contract(
    settings_at: Callable[[str], Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_at("dual_write")
    for key, value in {
        "DAL_MYSQL_URL": settings.mysql_url,
        "DAL_DYNAMODB_ENDPOINT": settings.dynamodb_endpoint or "",
        "DAL_TABLE_PREFIX": settings.table_prefix,
        "DAL_CONTRACT": str(settings.contract),
        "DAL_FLAGS": str(settings.flags),
        "DAL_DECLARATIONS": settings.declarations or "",
    }.items():
        monkeypatch.setenv(key, value)

    unknown = runner.invoke(app, ["backfill", "--entity", "reviews"])
    assert unknown.exit_code == 2
    assert "unknown entity reviews (known: projects, labels, tickets)" in unknown.output

    copied = runner.invoke(app, ["backfill", "--entity", "tickets", "--workers", "2"])
    assert copied.exit_code == 0, copied.output
    checked = runner.invoke(app, ["verify", "--entity", "tickets", "--workers", "2"])
    assert checked.exit_code == 0, checked.output


def test_an_update_at_dual_write_is_one_dynamodb_request(
    settings_at: Callable[[str], Settings], tmp_path: Path
) -> None:
    """DynamoDB is written with the MySQL answer: one conditional UpdateItem, no read."""
    backfill(settings_at("dual_write"))
    container = build_container(settings_at("dual_write"))
    container.recorder.override(providers.Object(MemoryRecorder()))
    container.repair_log.override(providers.Object(tmp_path / "repair.jsonl"))
    sent: list[str] = []

    def count(model: Any, **_: Any) -> None:
        sent.append(model.name)

    container.dynamodb_client().connection.client.meta.events.register("before-call", count)
    try:
        store = container.routed_store()
        tickets = store.repository("tickets")
        with store.unit_of_work():
            sent.clear()
            changed = tickets.update({"project_id": 1, "number": 1}, {"title": "one request"})
    finally:
        container.shutdown_resources()
    assert sent == ["UpdateItem"]
    assert failing(verify(settings_at("dual_write"))) == []
    assert changed.model_dump()["title"] == "one request"
