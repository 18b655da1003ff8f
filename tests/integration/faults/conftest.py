"""The fault suite's servers: a DynamoDB Local of its own, and a fault proxy before each server.

DynamoDB Local keeps its data in a folder (``-dbPath``) and listens on a fixed
port, so a case can kill it (SIGKILL) and start it again with its data. Every
case gets a fresh MySQL database and table prefix (:func:`make_backends`) and
reaches both servers through the proxies, which are healed after each case.
At the end of the run the figures of every case are printed as a table and
written to ``out/faults.md``.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import fault_figures
import pytest
import servers
from fault_harness import (
    ROOT,
    Backends,
    create_store_database,
    create_store_tables,
    drop_database,
    via,
    write_flags,
)
from sqlalchemy.engine import make_url
from support.proxy import FaultProxy

from dal.local.dynamodb_local import DynamoDBLocal, DynamoDBLocalError, free_port

_serial = itertools.count(1)
_started: list[float] = []
"""When the first case began and the last one ended (the suite's time, not the whole run's)."""
_ended: list[float] = []
REPORT = ROOT / "out" / "faults.md"


@pytest.fixture(scope="session")
def fault_dynamodb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DynamoDBLocal]:
    """A DynamoDB Local of the suite's own, on a fixed port, its data in a folder."""
    folder = tmp_path_factory.mktemp("dynamodb-data")
    server = DynamoDBLocal(port=free_port(), shared_db=True, db_path=folder)
    try:
        server.start()
    except DynamoDBLocalError as error:
        reason = f"DynamoDB Local for the fault suite: {error}"
        if servers.servers_required():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dynamodb_proxy(fault_dynamodb: DynamoDBLocal) -> Iterator[FaultProxy]:
    """A fault proxy in front of the suite's DynamoDB Local."""
    port = int(fault_dynamodb.endpoint.rsplit(":", 1)[1])
    with FaultProxy("127.0.0.1", port) as proxy:
        yield proxy


@pytest.fixture(scope="session")
def mysql_proxy(mysql_server_url: str) -> Iterator[FaultProxy]:
    """A fault proxy in front of the MySQL-compatible server."""
    url = make_url(mysql_server_url)
    with FaultProxy(url.host or "127.0.0.1", url.port or 3306) as proxy:
        yield proxy


@pytest.fixture
def make_backends(
    mysql_server_url: str,
    fault_dynamodb: DynamoDBLocal,
    mysql_proxy: FaultProxy,
    dynamodb_proxy: FaultProxy,
    tmp_path: Path,
) -> Iterator[Callable[[str], Backends]]:
    """Fresh backends of a case at a stage: a database, a table prefix, a flags file."""
    made: list[str] = []

    def make(stage: str) -> Backends:
        if not _started:
            _started.append(time.monotonic())
        name = servers.unique_name("dal_faults_")
        url = create_store_database(mysql_server_url, name)
        made.append(name)
        endpoint = fault_dynamodb.endpoint
        prefix = f"f{next(_serial)}_"
        create_store_tables(endpoint, prefix)
        backends = Backends(
            stage=stage,
            mysql_url=url,
            proxied_mysql_url=via(url, mysql_proxy.port),
            endpoint=endpoint,
            proxied_endpoint=via(endpoint, dynamodb_proxy.port),
            prefix=prefix,
            folder=tmp_path,
        )
        write_flags(backends.flags, stage)
        return backends

    yield make
    _ended[:] = [time.monotonic()]
    mysql_proxy.heal()
    dynamodb_proxy.heal()
    if not fault_dynamodb.running:
        fault_dynamodb.start()
    for name in made:
        drop_database(mysql_server_url, name)


@pytest.fixture(scope="session")
def figures() -> Iterator[list[fault_figures.Row]]:
    """Where each case adds its row; written to out/faults.md when the suite ends."""
    yield fault_figures.rows
    if fault_figures.rows:
        fault_figures.write(
            fault_figures.rows,
            REPORT,
            _ended[0] - _started[0] if _started and _ended else 0.0,
        )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures of every case that ran, as a table."""
    if not fault_figures.rows:
        return
    terminalreporter.section("fault suite figures")
    terminalreporter.write(fault_figures.render(fault_figures.rows))
    terminalreporter.write_line(f"(also in {REPORT.relative_to(ROOT)})")
