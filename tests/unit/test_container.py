"""The composition root builds working stores from settings."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from dependency_injector import providers

from dal.aws import dynamodb_client
from dal.container import Container, build_container
from dal.routing import FlagsError, RepairLog, Stage, StaticFlags
from dal.schema import create_tables
from dal.settings import Settings, SettingsError
from examples.store import NewUser, Store
from examples.store.migrations import upgrade
from examples.store.wiring import store_container
from interfaces import NotFound, SteppingClock, SystemClock

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _new_user(name: str) -> NewUser:
    return NewUser(username=name, email=f"{name}@example.com", password_hash="hash")


@pytest.fixture
def sqlite_container(tmp_path: Path) -> Iterator[Container]:
    """A container over a fresh, migrated SQLite database, with a deterministic clock."""
    sqlite_url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(sqlite_url)
    container = store_container(Settings(mysql_url=sqlite_url))
    container.clock.override(SteppingClock(START))
    yield container
    container.shutdown_resources()


def test_settings_given_to_build_container_are_used() -> None:
    settings = Settings(mysql_url="sqlite:///elsewhere.db", table_prefix="given_")

    assert build_container(settings).settings() is settings


def test_settings_are_loaded_from_the_environment_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith("DAL_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DAL_TABLE_PREFIX", "from_env_")

    container = build_container()

    assert container.settings().table_prefix == "from_env_"
    assert container.settings() is container.settings()


def test_without_a_mysql_url_what_needs_mysql_raises_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in list(os.environ):
        if name.startswith("DAL_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    container = store_container()

    for provider in (container.mysql_engine, container.mysql_store, container.routed_store):
        with pytest.raises(SettingsError, match=r"^DAL_MYSQL_URL: not set"):
            provider()
    assert list(tmp_path.iterdir()) == [], "no database file may be created"


def test_memory_store_round_trip() -> None:
    container = store_container(Settings())
    container.clock.override(SteppingClock(START))
    store = container.memory_store()

    with store.unit_of_work():
        created = store.users.create(_new_user("ada"))

    assert isinstance(store, Store)
    assert store.users.get(created.id) == created
    assert created.created_at == START
    assert container.memory_store() is store


def test_the_default_clock_is_the_system_clock() -> None:
    assert isinstance(build_container(Settings()).clock(), SystemClock)


def test_containers_do_not_share_stores() -> None:
    first, second = store_container(Settings()), store_container(Settings())
    with first.memory_store().unit_of_work():
        created = first.memory_store().users.create(_new_user("grace"))

    with pytest.raises(NotFound):
        second.memory_store().users.get(created.id)


def test_mysql_store_over_sqlite_round_trip(sqlite_container: Container) -> None:
    store = sqlite_container.mysql_store()

    with store.unit_of_work():
        created = store.users.create(_new_user("linus"))
    with store.unit_of_work():
        fetched = store.users.get(created.id)

    assert fetched == created
    assert created.created_at == START
    assert created.version == 1


def test_mysql_providers_share_one_engine(sqlite_container: Container) -> None:
    engine = sqlite_container.mysql_engine()

    assert sqlite_container.mysql_engine() is engine
    assert sqlite_container.mysql_store() is sqlite_container.mysql_store()
    assert str(engine.url) == sqlite_container.settings().mysql_url


@pytest.fixture
def routed_container(
    tmp_path: Path, dynamodb_endpoint: str, table_prefix: str
) -> Iterator[Container]:
    """A container over SQLite and DynamoDB Local with users in ``dual_write``."""
    sqlite_url = f"sqlite:///{tmp_path / 'store.db'}"
    upgrade(sqlite_url)
    settings = Settings(
        mysql_url=sqlite_url,
        dynamodb_endpoint=dynamodb_endpoint,
        table_prefix=f"{table_prefix}container_",
        repair_log=tmp_path / "repair-log.jsonl",
        records=tmp_path / "records.jsonl",
    )
    container = store_container(settings)
    client = dynamodb_client(settings.dynamodb_endpoint, settings.dynamodb_region)
    create_tables(client, container.contract(), prefix=settings.table_prefix)
    container.clock.override(SteppingClock(START))
    container.flags.override(providers.Object(StaticFlags({"users": "dual_write"})))
    yield container
    container.shutdown_resources()


def test_routed_store_dual_writes_the_same_user_to_both_stores(
    routed_container: Container,
) -> None:
    store = routed_container.routed_store()

    with store.unit_of_work():
        created = store.users.create(_new_user("barbara"))

    old, new = routed_container.routed_old_store(), routed_container.routed_new_store()
    with old.unit_of_work():
        assert old.users.get(created.id) == created
    assert new.users.get(created.id) == created
    assert created.created_at == START


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('userz = "shadow"', "stages.userz: unknown entity 'userz' (did you mean 'users'?)"),
        (
            '"carts.add_iten" = "shadow"',
            "carts has no operation 'add_iten' (did you mean 'add_item'?)",
        ),
        ('"products.gett" = "shadow"', "products has no operation 'gett' (did you mean 'get'?)"),
    ],
    ids=["entity", "typed-operation", "generic-operation"],
)
def test_the_router_refuses_flags_naming_no_entity_or_operation_of_the_contract(
    tmp_path: Path, line: str, fragment: str
) -> None:
    path = tmp_path / "flags.toml"
    path.write_text(f"[stages]\n{line}\n")
    container = store_container(Settings(mysql_url=f"sqlite:///{tmp_path / 'x.db'}", flags=path))

    with pytest.raises(FlagsError) as raised:
        container.router()

    assert fragment in str(raised.value)
    container.shutdown_resources()


def test_flags_naming_operations_of_the_typed_and_the_generic_repositories_are_accepted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "flags.toml"
    path.write_text(
        '[stages]\nusers = "shadow"\n"carts.add_item" = "live"\n"carts.query" = "live"\n'
    )
    container = store_container(Settings(mysql_url=f"sqlite:///{tmp_path / 'x.db'}", flags=path))

    assert container.flags().snapshot().stage("carts", "add_item") is Stage.LIVE


def test_the_example_flags_file_names_only_entities_and_operations_of_the_store() -> None:
    example = Path(__file__).parents[2] / "config" / "flags.example.toml"
    container = store_container(Settings(flags=example))

    assert container.flags().snapshot().stage("users", "find_by_username") is Stage.LIVE


@pytest.fixture
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run in an empty directory, where the default repair log and records go."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_routed_store_keeps_a_repair_log_and_records_by_default(
    in_tmp: Path, dynamodb_endpoint: str, table_prefix: str
) -> None:
    sqlite_url = f"sqlite:///{in_tmp.parent / 'store.db'}"
    upgrade(sqlite_url)
    settings = Settings(
        mysql_url=sqlite_url,
        dynamodb_endpoint=dynamodb_endpoint,
        table_prefix=f"{table_prefix}no_tables_",  # every DynamoDB write fails
    )
    container = store_container(settings)
    container.flags.override(providers.Object(StaticFlags({"users": "dual_write"})))
    store = container.routed_store()
    with store.unit_of_work():
        created = store.users.create(_new_user("edsger"))
    container.shutdown_resources()

    (repair_log,) = (in_tmp / "var" / "dal" / "repair-log").glob("*.jsonl")  # one per process
    (records,) = (in_tmp / "var" / "dal" / "records").glob("*.jsonl")
    entries = list(RepairLog(repair_log.parent).read())
    assert [(e.entity, e.operation, e.side) for e in entries] == [("users", "create", "new")]
    kinds = [json.loads(line)["kind"] for line in records.read_text().splitlines()]
    assert "error" in kinds
    assert (_mode(repair_log), _mode(records)) == (0o600, 0o600)
    old = container.routed_old_store()
    with old.unit_of_work():
        assert old.users.get(created.id) == created


def test_records_and_the_repair_log_can_be_turned_off_and_that_is_warned_about(
    in_tmp: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    settings = Settings(mysql_url=f"sqlite:///{in_tmp.parent / 'x.db'}")
    container = store_container(settings.model_copy(update={"records": None, "repair_log": None}))

    router = container.router()

    assert container.recorder() is None
    assert router.repair_log is None
    assert "DAL_REPAIR_LOG=off" in caplog.text
    assert list(in_tmp.iterdir()) == []
    container.shutdown_resources()


@pytest.mark.parametrize(
    ("key", "field"), [("DAL_REPAIR_LOG", "repair_log"), ("DAL_RECORDS", "records")]
)
def test_a_repair_log_or_records_file_that_cannot_be_written_stops_the_start(
    in_tmp: Path, key: str, field: str
) -> None:
    blocker = in_tmp / "blocker"
    blocker.write_text("a file, not a folder")
    target = blocker / "file.jsonl"
    settings = Settings(mysql_url=f"sqlite:///{in_tmp.parent / 'x.db'}")
    container = store_container(settings.model_copy(update={field: target}))

    with pytest.raises(SettingsError) as raised:
        container.router()

    assert str(raised.value).startswith(f"{key}: ")
    assert str(target) in str(raised.value)
    container.shutdown_resources()
