"""``dal cdc mysql`` killed with SIGKILL at random points under a steady write rate.

Five times: the process is killed, started again, and once it has caught up no
change is lost (``dal verify`` finds no difference) and no item went back to an older
version than a previous round saw. Then ``dal cdc health`` reports it healthy, its
Prometheus endpoint (``DAL_METRICS_PORT``) serves the change-data-capture metrics, and
SIGTERM stops it cleanly (exit 0).
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import text
from support.cdc import failing, seed, verify, wait_caught_up
from support.prometheus import free_port, scrape, series
from typer.testing import CliRunner

from dal.cdc.checkpoints import PositionStore
from dal.cdc.mysql_service import MYSQL_READER
from dal.cli import app
from dal.migrate.backfill import BackfillOptions
from dal.migrate.tools import open_tools

ROOT = Path(__file__).parents[3]
TICKETS = 120


class SteadyWriter:
    """Direct SQL writes at a steady rate (updates that bump the version, inserts, deletes)."""

    def __init__(self, engine) -> None:
        self._engine = engine
        self.running = threading.Event()
        self.stop = threading.Event()
        self.idle = threading.Event()
        self.writes = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._random = random.Random(7)

    def start(self) -> None:
        self.running.set()
        self._thread.start()

    def pause(self) -> None:
        self.running.clear()
        self.idle.wait(10)

    def close(self) -> None:
        self.stop.set()
        self.running.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def _run(self) -> None:
        with self._engine.connect() as connection:
            while not self.stop.is_set():
                if not self.running.is_set():
                    self.idle.set()
                    self.running.wait()
                    self.idle.clear()
                    continue
                with connection.begin():
                    self._write(connection)
                self.writes += 1
                time.sleep(0.01)

    def _write(self, connection) -> None:
        number = self._random.randint(1, TICKETS)
        connection.execute(
            text("UPDATE tickets SET title = :title, version = version + 1 WHERE number = :number"),
            {"title": f"write {self.writes}", "number": number},
        )
        if self.writes % 10 == 0:
            new = TICKETS + self.writes
            connection.execute(
                text(
                    "INSERT INTO tickets (project_id, number, code, title, status, estimate, "
                    "version, created_at, updated_at) VALUES (1, :n, :code, 'new', 'open', 1, 1, "
                    "NOW(), NOW())"
                ),
                {"n": new, "code": f"N-{new}"},
            )
            connection.execute(
                text("DELETE FROM tickets WHERE number = :n"), {"n": new - 5 * 10 + 1}
            )


def _start(environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "dal", "cdc", "mysql"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _caught_up(engine, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until the process has applied everything; fail with its output if it died."""
    deadline = time.monotonic() + 180
    while True:
        assert process.poll() is None, log.read_text()
        try:
            wait_caught_up(engine, timeout=5)
        except AssertionError:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
        else:
            return


def _wait_started(engine, process: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    store = PositionStore(engine)
    deadline = time.monotonic() + timeout
    while store.load(MYSQL_READER) is None:
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "dal cdc mysql saved no position"
        time.sleep(0.2)


def _versions(tools) -> dict[str, int]:
    table = next(iter(tools.plans["tickets"].table_names - {""}))
    items = tools.client.items("Scan", {"TableName": table, "ConsistentRead": True})
    return {
        f"{item['PK']['S']}|{item['SK']['S']}": int(item["version"]["N"])
        for item in items
        if item["SK"]["S"].startswith("TICKET#")
    }


def test_sigkill_at_random_points_loses_nothing(settings, engine, environment, tmp_path) -> None:
    log = tmp_path / "cdc.log"
    port = free_port()
    environment = {**environment, "DAL_METRICS_PORT": str(port)}
    seed(engine, 3, 3, TICKETS)
    random.seed(11)
    with open_tools(settings, workers=2) as tools:
        assert tools.backfill().run(BackfillOptions(mode="batch")).ok
        process = _start(environment, log)
        writer = SteadyWriter(engine)
        try:
            _wait_started(engine, process, log)
            writer.start()
            seen: dict[str, int] = {}
            for _ in range(5):
                time.sleep(random.uniform(0.2, 1.0))
                process.send_signal(signal.SIGKILL)
                process.wait(10)
                process = _start(environment, log)
                time.sleep(random.uniform(0.2, 0.6))
                writer.pause()
                _caught_up(engine, process, log)
                assert failing(verify(tools)) == []
                versions = _versions(tools)
                older = [k for k, v in versions.items() if k in seen and v < seen[k]]
                assert older == []
                seen = versions
                writer.running.set()
            assert writer.writes > 50
            writer.pause()
            _caught_up(engine, process, log)
            health = CliRunner().invoke(app, ["cdc", "health"], env=environment)
            assert health.exit_code == 0, health.output
            assert "mysql" in health.output
            found = series(scrape(port))
            wanted = ('dal_cdc_direction="mysql"', 'dal_result="applied"')
            changes = found["dal_cdc_changes_total"]
            assert any(all(part in line for part in wanted) for line in changes), changes
            assert found["dal_cdc_position_age_seconds"]
            assert found["dal_cdc_lag_seconds_count"]
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0
        finally:
            writer.close()
            if process.poll() is None:
                process.kill()
                process.wait(10)
