"""Hung and slow backends behind a fault proxy, under the container's routed store.

The tracker's tables on a fresh MariaDB database and DynamoDB Local, backfilled once;
each test routes the tickets at one stage through ``build_container(settings)`` with one
of the two servers behind a :class:`FaultProxy`, and measures what each caller's write
costs while the server hangs (connection open, no answer) or answers slowly. The
settings' timeouts and the secondary's budget are what bound those costs; nothing is
mocked. Every assertion's message lists the measured latencies.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from sqlalchemy import Engine, select
from support.proxy import FaultProxy
from support.tracker import tracker_database

from dal.aws import dynamodb_client
from dal.container import build_container
from dal.contract import load_contract
from dal.migrate import BackfillOptions, open_tools
from dal.routing import MemoryRecorder, RepairLog, Router, ShadowSettings
from dal.schema import create_tables
from dal.settings import Settings
from examples.store import Store
from examples.tracker import CONTRACT, schema
from interfaces import BackendUnavailable

BUDGET = 1.0
"""DAL_SECONDARY_WRITE_BUDGET of these tests (the default)."""
SLOW = 0.5
"""DAL_SECONDARY_SLOW_THRESHOLD of these tests (the default)."""
MYSQL_READ_TIMEOUT = 1.0
THRESHOLD = 3
COOLDOWN = 1.0
SLACK = 0.35
"""What the router and a loaded test machine may add to the secondary's budget."""
PRIMARY = 1.5
WARM_UP_WRITES = 3
PROBES = 3
"""Half-open probes a test waits for before it calls a healed breaker stuck open."""
"""Writes the warm-up may take to get one under the slow-call threshold (the breaker's
threshold, so that a slow warm-up cannot open it)."""
"""Generous bound of the authoritative side's own part of a write, on a loaded machine."""

_numbers = itertools.count(100)


@pytest.fixture(scope="module")
def engine(mysql_server_url: str) -> Iterator[Engine]:
    """A fresh database with the tracker's tables and project 1."""
    with tracker_database(mysql_server_url, "dal_tmo_", "ada@example.com") as created:
        yield created


@pytest.fixture(scope="module")
def prefix(engine: Engine, table_prefix: str, dynamodb_endpoint: str) -> str:
    """The contract's DynamoDB tables under a prefix of this module, backfilled."""
    chosen = f"{table_prefix}tmo_"
    create_tables(dynamodb_client(dynamodb_endpoint, "us-east-1"), load_contract(CONTRACT), chosen)
    settings = Settings(
        mysql_url=engine.url.render_as_string(hide_password=False),
        dynamodb_endpoint=dynamodb_endpoint,
        table_prefix=chosen,
        contract=CONTRACT,
    )
    with open_tools(settings, workers=2) as tools:
        assert tools.backfill().run(BackfillOptions(workers=2)).ok
    return chosen


@pytest.fixture
def settings_at(
    engine: Engine, prefix: str, dynamodb_endpoint: str, tmp_path: Path
) -> Callable[..., Settings]:
    """Settings with the tickets at ``stage``; a proxy given stands in front of its server."""

    def at(
        stage: str,
        *,
        mysql: FaultProxy | None = None,
        dynamodb: FaultProxy | None = None,
        **timeouts: float,
    ) -> Settings:
        flags = tmp_path / f"flags-{stage}.toml"
        flags.write_text(f'[stages]\ntickets = "{stage}"\n')
        url = engine.url
        if mysql is not None:
            url = url.set(host="127.0.0.1", port=mysql.port)
        endpoint = dynamodb_endpoint if dynamodb is None else f"http://127.0.0.1:{dynamodb.port}"
        chosen: dict[str, float] = {
            "mysql_connect_timeout": 1.0,
            "mysql_read_timeout": MYSQL_READ_TIMEOUT,
            "mysql_write_timeout": MYSQL_READ_TIMEOUT,
            "secondary_write_budget": BUDGET,
            "secondary_slow_threshold": SLOW,
            **timeouts,
        }
        return Settings(
            mysql_url=url.render_as_string(hide_password=False),
            dynamodb_endpoint=endpoint,
            table_prefix=prefix,
            contract=CONTRACT,
            flags=flags,
            **chosen,  # type: ignore[arg-type]
        )

    return at


@dataclass
class Routed:
    store: Store
    router: Router
    recorder: MemoryRecorder
    log: RepairLog
    slow: float
    skipped_entries: int = 0
    """Repair entries of tickets the warm-up left, not counted by :meth:`reasons`."""
    skipped_errors: int = 0
    """Error records the warm-up left, not counted by :meth:`secondary_latencies`."""

    def create(self, number: int) -> float:
        """Create ticket ``number`` in a unit of work of its own; its latency in seconds."""
        started = time.perf_counter()
        with self.store.unit_of_work():
            self.store.repository("tickets").create(new_ticket(number))
        return time.perf_counter() - started

    def breakers(self) -> dict[str, str]:
        self.router.flush(timeout=10)
        return dict(self.recorder.metrics[-1].metrics["breakers"])

    def _entries(self) -> list[tuple[int, str, str]]:
        return [
            (int(e.args["values"]["number"]), e.reason, e.side)
            for e in self.log.read()
            if e.entity == "tickets"
        ]

    def reasons(self) -> list[tuple[int, str, str]]:
        """(ticket number, reason, side) of every repair entry since the warm-up, in order."""
        return self._entries()[self.skipped_entries :]

    def secondary_latencies(self) -> list[float]:
        """Seconds each failed secondary call took, as the router recorded them."""
        return [
            round((e.latency_ms or 0) / 1000, 3)
            for e in self.recorder.errors[self.skipped_errors :]
            if e.entity == "tickets"
        ]

    def probe_until_closed(self, number: int) -> list[float]:
        """After the cool-down, a write (the half-open probe) until the write breaker closes.

        The first probe after healing may be slow (connections the fault broke are
        replaced), and a slow probe opens the breaker again, as it should; a few
        rounds are allowed. Returns each probe's latency.
        """
        took: list[float] = []
        while len(took) < PROBES:
            time.sleep(COOLDOWN + 0.1)
            took.append(self.create(number if not took else next(_numbers)))
            if self.breakers() == {"tickets.write": "closed"}:
                break
        return took

    def warm_up(self, number: int) -> None:
        """Healthy writes: connections pooled, repositories built, the breaker's streak reset.

        The first writes build the repositories and open the connections, and may run
        over the budget on a loaded machine; the warm-up goes on until a write is fast
        (which resets any streak of slow calls), and what the slow ones left in the
        repair log and the records is not counted afterwards.
        """
        took = [self.create(number)]
        while took[-1] >= self.slow and len(took) < WARM_UP_WRITES:
            took.append(self.create(next(_numbers)))
        errors = [e.message for e in self.recorder.errors]
        message = f"healthy writes took {shown(took)}: {errors}"
        assert took[-1] < self.slow, message
        self.skipped_entries = len(self._entries())
        self.skipped_errors = len(self.recorder.errors)


@contextmanager
def routed(settings: Settings, log: Path) -> Iterator[Routed]:
    """The container's routed store over ``settings``, breakers of ``THRESHOLD``/``COOLDOWN``."""
    container = build_container(settings)
    recorder = MemoryRecorder()
    container.recorder.override(providers.Object(recorder))
    repair_log = RepairLog(log)
    container.repair_log.override(providers.Object(repair_log))
    from_settings = container.shadow_settings()
    assert from_settings is not None
    assert from_settings.secondary_write_seconds == settings.secondary_write_budget
    container.shadow_settings.override(
        providers.Object(
            ShadowSettings(
                budget=10.0,
                write_budget=from_settings.write_budget,
                slow_call=from_settings.slow_call,
                breaker_threshold=THRESHOLD,
                breaker_cooldown=COOLDOWN,
            )
        )
    )
    try:
        store, router = container.routed_store(), container.router()
        yield Routed(store, router, recorder, repair_log, settings.secondary_slow_threshold)
    finally:
        container.shutdown_resources()


def new_ticket(number: int) -> dict[str, Any]:
    return {
        "project_id": 1,
        "number": number,
        "code": f"TMO-{number}",
        "title": f"Ticket {number}",
        "status": "open",
        "estimate": Decimal("1.5"),
        "due_at": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        "label_id": None,
    }


def shown(latencies: list[float]) -> str:
    return "[" + ", ".join(f"{seconds:.3f}" for seconds in latencies) + "] s"


def in_mysql(engine: Engine, numbers: list[int]) -> set[int]:
    tickets = schema.tickets
    query = select(tickets.c.number).where(tickets.c.number.in_(numbers))
    with engine.connect() as connection:
        return set(connection.scalars(query))


def in_dynamodb(endpoint: str, prefix: str, numbers: list[int]) -> set[int]:
    raw = dynamodb_client(endpoint, "us-east-1")
    found = set()
    for number in numbers:
        key = {"PK": {"S": "PROJECT#1"}, "SK": {"S": f"TICKET#{number}"}}
        if "Item" in raw.get_item(TableName=f"{prefix}Tickets", Key=key, ConsistentRead=True):
            found.add(number)
    return found


# --- a hung MySQL ----------------------------------------------------------------------


def test_a_hung_mysql_costs_a_live_write_its_budget_until_the_breaker_opens(
    settings_at: Callable[..., Settings],
    mysql_proxy: FaultProxy,
    engine: Engine,
    prefix: str,
    dynamodb_endpoint: str,
    tmp_path: Path,
) -> None:
    numbers = [next(_numbers) for _ in range(7)]
    settings = settings_at("live", mysql=mysql_proxy)
    with routed(settings, tmp_path / "repair.jsonl") as run:
        run.warm_up(numbers[0])  # both sides healthy; MySQL's connection is pooled
        mysql_proxy.freeze()
        latencies = [run.create(number) for number in numbers[1:6]]
        secondary = run.secondary_latencies()
        errors = [e.message for e in run.recorder.errors]
        message = f"writes {shown(latencies)}, MySQL's part {shown(secondary)}: {errors}"
        assert len(secondary) == THRESHOLD, message
        assert max(secondary) <= BUDGET + SLACK, message
        assert max(latencies[:THRESHOLD]) <= BUDGET + SLACK + PRIMARY, message
        # the breaker is open: MySQL is not even tried
        assert max(latencies[THRESHOLD:]) < PRIMARY, message
        assert run.breakers() == {"tickets.write": "open"}, message
        assert run.reasons() == [
            *((n, "secondary_write_slow", "old") for n in numbers[1 : 1 + THRESHOLD]),
            *((n, "secondary_write_skipped", "old") for n in numbers[1 + THRESHOLD : 6]),
        ], message
        assert all(e.result_key == {"project_id": 1, "number": n} for e, n in _pairs(run, numbers))

        mysql_proxy.heal()
        healed = run.probe_until_closed(numbers[6])  # the half-open probe reaches MySQL
        assert run.breakers() == {"tickets.write": "closed"}, f"{message}; probes {shown(healed)}"
    assert in_dynamodb(dynamodb_endpoint, prefix, numbers) == set(numbers)
    assert in_mysql(engine, numbers) == {numbers[0], numbers[6]}


def _pairs(run: Routed, numbers: list[int]) -> list[tuple[Any, int]]:
    entries = [e for e in run.log.read() if e.entity == "tickets"]
    return [(e, int(e.args["values"]["number"])) for e in entries]


@pytest.mark.parametrize("stage", ["off", "shadow"])
def test_a_hung_mysql_fails_the_callers_write_within_the_read_timeout(
    settings_at: Callable[..., Settings],
    mysql_proxy: FaultProxy,
    engine: Engine,
    stage: str,
    tmp_path: Path,
) -> None:
    number = next(_numbers)
    settings = settings_at(stage, mysql=mysql_proxy)
    with routed(settings, tmp_path / "repair.jsonl") as run:
        tickets = run.store.repository("tickets")
        started = [0.0]

        def freeze_then_write() -> None:
            with run.store.unit_of_work():
                run.store.repository("projects").get({"id": 1})  # a connection checked out
                mysql_proxy.freeze()
                started[0] = time.perf_counter()
                tickets.create(new_ticket(number))

        with pytest.raises(BackendUnavailable) as raised:
            freeze_then_write()
        elapsed = time.perf_counter() - started[0]
        message = f"the caller's write failed after {elapsed:.3f} s: {raised.value}"
        assert MYSQL_READ_TIMEOUT * 0.8 <= elapsed <= MYSQL_READ_TIMEOUT + SLACK, message
        assert "Lost connection" in str(raised.value), message
        assert list(run.log.read()) == []  # the authoritative side failed: nothing to repair

        # a new unit of work: the pooled connection's ping, then a new connection's
        # handshake, each end at the read timeout
        started = time.perf_counter()
        with pytest.raises(BackendUnavailable):
            run.create(next(_numbers))
        elapsed = time.perf_counter() - started
        assert elapsed <= 2 * MYSQL_READ_TIMEOUT + SLACK, f"failed after {elapsed:.3f} s"
        mysql_proxy.heal()
        # a pooled connection left over from the freeze may wait out one read timeout
        assert run.create(number) < MYSQL_READ_TIMEOUT + PRIMARY
    assert in_mysql(engine, [number]) == {number}


# --- a hung DynamoDB -------------------------------------------------------------------


def test_a_hung_dynamodb_costs_a_dual_write_its_budget_until_the_breaker_opens(
    settings_at: Callable[..., Settings],
    dynamodb_proxy: FaultProxy,
    engine: Engine,
    tmp_path: Path,
) -> None:
    numbers = [next(_numbers) for _ in range(7)]
    settings = settings_at("dual_write", dynamodb=dynamodb_proxy)
    assert settings.dynamodb_read_timeout == 5.0  # the default: 5 s per write without a budget
    with routed(settings, tmp_path / "repair.jsonl") as run:
        run.warm_up(numbers[0])
        dynamodb_proxy.freeze()
        latencies = [run.create(number) for number in numbers[1:6]]
        secondary = run.secondary_latencies()
        errors = [e.message for e in run.recorder.errors]
        message = f"writes {shown(latencies)}, DynamoDB's part {shown(secondary)}: {errors}"
        assert len(secondary) == THRESHOLD, message
        assert max(secondary) <= BUDGET + SLACK, message
        assert max(latencies[:THRESHOLD]) <= BUDGET + SLACK + PRIMARY, message
        assert max(latencies[THRESHOLD:]) < PRIMARY, message
        assert run.breakers() == {"tickets.write": "open"}, message
        assert run.reasons() == [
            *((n, "secondary_write_slow", "new") for n in numbers[1 : 1 + THRESHOLD]),
            *((n, "secondary_write_skipped", "new") for n in numbers[1 + THRESHOLD : 6]),
        ], message

        dynamodb_proxy.heal()
        healed = run.probe_until_closed(numbers[6])
        assert run.breakers() == {"tickets.write": "closed"}, f"{message}; probes {shown(healed)}"
    assert in_mysql(engine, numbers) == set(numbers)


# --- a slow DynamoDB -------------------------------------------------------------------


def test_a_slow_dynamodb_over_the_budget_costs_each_dual_write_the_budget(
    settings_at: Callable[..., Settings],
    dynamodb_proxy: FaultProxy,
    dynamodb_endpoint: str,
    prefix: str,
    engine: Engine,
    tmp_path: Path,
) -> None:
    numbers = [next(_numbers) for _ in range(6)]
    settings = settings_at("dual_write", dynamodb=dynamodb_proxy)
    with routed(settings, tmp_path / "repair.jsonl") as run:
        run.warm_up(numbers[0])
        dynamodb_proxy.latency(1.5)
        latencies = [run.create(number) for number in numbers[1:5]]
        secondary = run.secondary_latencies()
        errors = [e.message for e in run.recorder.errors]
        message = f"writes {shown(latencies)}, DynamoDB's part {shown(secondary)}: {errors}"
        assert len(secondary) == THRESHOLD, message
        assert max(secondary) <= BUDGET + SLACK, message
        assert max(latencies[:THRESHOLD]) <= BUDGET + SLACK + PRIMARY, message
        assert latencies[THRESHOLD] < PRIMARY, message
        assert run.breakers() == {"tickets.write": "open"}, message
        assert [reason for _, reason, _ in run.reasons()] == ["secondary_write_slow"] * (
            THRESHOLD
        ) + ["secondary_write_skipped"], message

        dynamodb_proxy.heal()
        healed = run.probe_until_closed(numbers[5])
        assert run.breakers() == {"tickets.write": "closed"}, f"{message}; probes {shown(healed)}"
    assert in_mysql(engine, numbers) == set(numbers)
    # nothing lost: what DynamoDB lacks (a late write may still have landed) is in the log
    logged = {number for number, _, _ in run.reasons()}
    assert set(numbers) - in_dynamodb(dynamodb_endpoint, prefix, numbers) <= logged


def test_a_slow_dynamodb_within_the_budget_opens_the_breakers_on_slowness(
    settings_at: Callable[..., Settings],
    dynamodb_proxy: FaultProxy,
    dynamodb_endpoint: str,
    prefix: str,
    tmp_path: Path,
) -> None:
    numbers = [next(_numbers) for _ in range(THRESHOLD + 2)]
    settings = settings_at(
        "shadow", dynamodb=dynamodb_proxy, secondary_write_budget=5.0, secondary_slow_threshold=0.25
    )
    with routed(settings, tmp_path / "repair.jsonl") as run:
        tickets = run.store.repository("tickets")
        run.warm_up(numbers[0])
        dynamodb_proxy.latency(0.15)  # a request and its answer: 0.3 s or more
        latencies = [run.create(number) for number in numbers[1:]]
        message = f"writes {shown(latencies)}"
        # stored, within the budget, but slow: the breaker opens, then the write is skipped
        assert run.breakers()["tickets.write"] == "open", message
        assert run.reasons() == [(numbers[-1], "secondary_write_skipped", "new")], message
        assert in_dynamodb(dynamodb_endpoint, prefix, numbers) == set(numbers[:-1]), message

        reads = []
        for _ in range(THRESHOLD + 1):
            started = time.perf_counter()
            with run.store.unit_of_work():
                tickets.get({"project_id": 1, "number": numbers[0]})
            reads.append(time.perf_counter() - started)
            run.router.flush(timeout=10)
        assert run.breakers()["tickets.read"] == "open", f"reads {shown(reads)}"
        compared = [c for c in run.recorder.comparisons if c.operation == "get"]
        latencies_ms = [c.new_latency_ms for c in compared]
        assert len(compared) == THRESHOLD, latencies_ms  # slow answers are still compared
        assert all(c.matched for c in compared), latencies_ms
        assert min(ms or 0 for ms in latencies_ms) > 250, latencies_ms
