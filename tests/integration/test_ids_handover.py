"""Handing id allocation over from MySQL to DynamoDB on the real servers.

Each test gets its own migrated MariaDB database and its own DynamoDB table prefix, so
the counters and the legacy tables start empty. The containers are built as the
application builds them; ``dal ids`` runs through typer's CliRunner.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dependency_injector import providers
from sqlalchemy import text
from support.tables import table_names
from support.threads import run_in_threads
from typer.testing import CliRunner, Result

from adapters.dynamodb import DynamoClient, DynamoIdAllocator, connect
from dal.aws import dynamodb_client
from dal.cli import app
from dal.container import Container
from dal.local import mariadb
from dal.routing import StaticFlags
from dal.schema import create_tables
from dal.settings import Settings
from examples.store import CONTRACT as STORE_CONTRACT
from examples.store import NewUser
from examples.store.migrations import upgrade
from examples.store.wiring import STORE_SEQUENCES as LEGACY_SEQUENCES
from examples.store.wiring import store_container as build_container

runner = CliRunner()
LEGACY_CATEGORY_ID = 900  # a row the old application wrote with AUTO_INCREMENT

ContainerFactory = Callable[[str], Container]


@pytest.fixture
def store_url(mysql_server_url: str) -> Iterator[str]:
    """A migrated store database of this test only; dropped afterwards."""
    name = f"dal_ids_{secrets.token_hex(4)}"
    url = mariadb.create_database(mysql_server_url, name)
    upgrade(url)
    yield url
    mariadb.drop_database(mysql_server_url, name)


@pytest.fixture
def prefix(table_prefix: str) -> str:
    """A table prefix of this test only (its tables go with the session's prefix)."""
    return f"{table_prefix}ids{secrets.token_hex(3)}_"


@pytest.fixture
def settings_env(
    monkeypatch: pytest.MonkeyPatch, store_url: str, dynamodb_endpoint: str, prefix: str
) -> None:
    """The ``DAL_*`` variables the ``dal ids`` commands read, for this test's servers."""
    for name in list(os.environ):
        if name.startswith("DAL_") and not name.startswith("DAL_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DAL_MYSQL_URL", store_url)
    monkeypatch.setenv("DAL_DYNAMODB_ENDPOINT", dynamodb_endpoint)
    monkeypatch.setenv("DAL_TABLE_PREFIX", prefix)
    monkeypatch.setenv("DAL_CONTRACT", str(STORE_CONTRACT))
    monkeypatch.setenv("DAL_DECLARATIONS", "examples.store.declarations")


@pytest.fixture
def make_container(
    store_url: str, dynamodb_endpoint: str, prefix: str, tmp_path: Path
) -> Iterator[ContainerFactory]:
    """Builds containers over this test's servers with a given ``id_source``."""
    built: list[Container] = []

    def make(source: str) -> Container:
        settings = Settings(
            mysql_url=store_url,
            dynamodb_endpoint=dynamodb_endpoint,
            table_prefix=prefix,
            id_source=source,
            repair_log=tmp_path / f"repair-log-{len(built)}.jsonl",
            records=tmp_path / f"records-{len(built)}.jsonl",
        )
        built.append(build_container(settings))
        return built[-1]

    yield make
    for container in built:
        container.shutdown_resources()


def _ids(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    return result


def _allocate_from_mysql(container: Container) -> dict[str, list[int]]:
    """A user created through the store, ids of every sequence, and a legacy row."""
    store = container.mysql_store()
    with store.unit_of_work():
        user = store.users.create(NewUser(username="ada", email="ada@x.io", password_hash="h"))
    ids = container.id_allocator()
    handed_out = {
        sequence: [ids.allocate(sequence) for _ in range(3)] for sequence in LEGACY_SEQUENCES
    }
    handed_out["users"].append(user.id)
    with container.mysql_engine().begin() as connection:
        connection.execute(
            text("INSERT INTO categories (id, name) VALUES (:id, 'legacy')"),
            {"id": LEGACY_CATEGORY_ID},
        )
    handed_out["categories"].append(LEGACY_CATEGORY_ID)
    return handed_out


def test_after_a_sync_every_dynamodb_id_is_above_every_mysql_id(
    make_container: ContainerFactory, settings_env: None
) -> None:
    handed_out = _allocate_from_mysql(make_container("mysql"))
    before = make_container("mysql").id_handover().show()

    _ids(runner.invoke(app, ["ids", "sync"]))
    ids = make_container("dynamodb").id_allocator()
    fresh = {sequence: ids.allocate(sequence) for sequence in LEGACY_SEQUENCES}

    marks = {state.sequence: state.mysql_high_water for state in before}
    for sequence, new_id in fresh.items():
        assert new_id > max(handed_out[sequence]), sequence
        assert new_id == marks[sequence] + 1, sequence  # the SQL allocator's block counts too
    assert marks["categories"] == LEGACY_CATEGORY_ID


def test_sync_prints_both_sides_and_a_second_sync_changes_nothing(
    make_container: ContainerFactory, settings_env: None
) -> None:
    _allocate_from_mysql(make_container("mysql"))

    first = _ids(runner.invoke(app, ["ids", "sync"]))
    second = _ids(runner.invoke(app, ["ids", "sync"]))

    assert "raised from 1" in first.output
    assert f"{LEGACY_CATEGORY_ID + 1}" in first.output
    assert "raised" not in second.output
    assert "nothing changed" in second.output
    after = make_container("mysql").id_handover().show()
    assert all(state.safe for state in after)


def test_sync_never_moves_a_counter_backwards(
    make_container: ContainerFactory, settings_env: None
) -> None:
    _allocate_from_mysql(make_container("mysql"))
    _ids(runner.invoke(app, ["ids", "sync"]))
    ids = make_container("dynamodb").id_allocator()
    ahead = [ids.allocate("orders") for _ in range(5)][-1]

    changes = make_container("mysql").id_handover().sync()

    orders = next(change for change in changes if change.sequence == "orders")
    assert not orders.changed
    assert orders.after.dynamodb_next == ahead + 1
    assert ids.allocate("orders") == ahead + 1


def test_show_prints_both_sides_and_dry_run_writes_nothing(
    make_container: ContainerFactory, settings_env: None, dynamodb_endpoint: str, prefix: str
) -> None:
    _allocate_from_mysql(make_container("mysql"))

    shown = _ids(runner.invoke(app, ["ids", "show"]))
    planned = _ids(runner.invoke(app, ["ids", "sync", "--dry-run"]))

    assert "behind: run dal ids sync" in shown.output
    assert "DAL_ID_SOURCE is mysql" in shown.output
    assert "would raise from 1" in planned.output
    tables = table_names(dynamodb_client(dynamodb_endpoint, "us-east-1"))
    assert f"{prefix}dal_sequences" not in tables
    assert not any(state.safe for state in make_container("mysql").id_handover().show())


def test_the_dynamodb_allocator_creates_its_table_on_the_first_id(
    make_container: ContainerFactory, dynamodb_endpoint: str, prefix: str
) -> None:
    client = dynamodb_client(dynamodb_endpoint, "us-east-1")
    ids = make_container("dynamodb").id_allocator()
    assert f"{prefix}dal_sequences" not in table_names(client)

    assert ids.allocate("users") == 1
    assert f"{prefix}dal_sequences" in table_names(client)


def test_threads_of_several_processes_get_distinct_dynamodb_ids(
    make_container: ContainerFactory, settings_env: None
) -> None:
    _allocate_from_mysql(make_container("mysql"))
    _ids(runner.invoke(app, ["ids", "sync"]))
    processes = [make_container("dynamodb").id_allocator() for _ in range(2)]

    batches = run_in_threads(
        lambda i: [processes[i % 2].allocate("orders") for _ in range(15)], threads=6
    )

    every = [i for batch in batches for i in batch]
    assert len(set(every)) == len(every) == 90
    assert min(every) > 3


def test_the_handover_reads_the_counters_the_adapter_writes(
    make_container: ContainerFactory, dynamodb_endpoint: str, prefix: str
) -> None:
    handover = make_container("mysql").id_handover()
    handover.dynamodb.ensure()
    adapter = DynamoIdAllocator(DynamoClient(connect(dynamodb_endpoint, "us-east-1")), prefix)
    used = [adapter.allocate("products") for _ in range(3)]
    adapter.seed("coupons", 41)

    last = handover.dynamodb.last_ids()

    assert last["products"] == used[-1] == 3
    assert last["coupons"] == 41


def test_in_rampdown_both_stores_get_the_dynamodb_id(
    make_container: ContainerFactory, settings_env: None, dynamodb_endpoint: str, prefix: str
) -> None:
    handed_out = _allocate_from_mysql(make_container("mysql"))
    _ids(runner.invoke(app, ["ids", "sync"]))
    container = make_container("dynamodb")
    create_tables(dynamodb_client(dynamodb_endpoint, "us-east-1"), container.contract(), prefix)
    container.flags.override(providers.Object(StaticFlags({"users": "rampdown"})))

    store = container.routed_store()
    with store.unit_of_work():
        created = store.users.create(NewUser(username="grace", email="g@x.io", password_hash="h"))

    old, new = container.routed_old_store(), container.routed_new_store()
    with old.unit_of_work():
        assert old.users.get(created.id) == created
    assert new.users.get(created.id) == created
    assert created.id > max(handed_out["users"])


@pytest.mark.parametrize(
    ("variable", "value", "code", "message"),
    [
        ("DAL_DYNAMODB_ENDPOINT", "http://127.0.0.1:1", 3, "DynamoDB at http://127.0.0.1:1"),
        ("DAL_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:1/x", 3, "MySQL database"),
    ],
    ids=["dynamodb-unreachable", "mysql-unreachable"],
)
def test_an_unreachable_backend_is_exit_code_3_without_a_traceback(
    settings_env: None,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    code: int,
    message: str,
) -> None:
    monkeypatch.setenv(variable, value)

    result = runner.invoke(app, ["ids", "sync"])

    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_database_without_the_store_schema_is_exit_code_3(
    settings_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DAL_MYSQL_URL", f"sqlite:///{tmp_path / 'empty.db'}")

    result = runner.invoke(app, ["ids", "show"])

    assert result.exit_code == 3
    assert "has no table users" in result.output
