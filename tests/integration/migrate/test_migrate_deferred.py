"""Deferred secondary writes on MariaDB and DynamoDB Local: the repair log as the queue.

The reference store is routed by the container with ``secondary_writes="deferred"``:
its router starts a drainer that replays the ``deferred`` entries with the repair by
entry of ``dal repair --from-log``. DynamoDB is frozen behind the tests' fault proxy
for the backpressure test.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from migrate_data import scan_all
from support.children import children, kill_all, niceness, wait_gone
from support.proxy import FaultProxy
from typer.testing import CliRunner

from dal.cli import app
from dal.migrate.tools import MigrationTools
from dal.migrate.verify import VerifyOptions
from dal.routing import MemoryRecorder, Router, ShadowSettings, StaticFlags
from dal.routing.deferred import Drainer
from dal.routing.repairlog import RepairLog
from dal.settings import Settings, SettingsError, load_settings
from examples.store import NewUser, Store
from examples.store.wiring import store_container

runner = CliRunner()


def _flags(path: Path, stage: str) -> Path:
    names = ("users", "categories", "products", "carts", "orders")
    path.write_text("[stages]\n" + "".join(f'{name} = "{stage}"\n' for name in names))
    return path


@contextmanager
def _deferred(
    settings: Settings,
    stage: str,
    log: Path,
    tmp_path: Path,
    max_lag: float = 5.0,
    breaker_threshold: int = 5,
    recorder: MemoryRecorder | None = None,
    processes: int = 0,
) -> Iterator[tuple[Store, Router]]:
    """The reference store routed at ``stage`` with deferred secondary writes."""
    flags = _flags(tmp_path / f"{stage}.toml", stage)
    flagged = settings.model_copy(update={"flags": flags, "records": None})  # workers' too
    container = store_container(flagged)
    container.repair_log.override(providers.Object(RepairLog(log)))
    container.recorder.override(providers.Object(recorder))
    shadow = ShadowSettings(
        secondary_writes="deferred",
        max_lag=max_lag,
        breaker_cooldown=1.0,
        breaker_threshold=breaker_threshold,
        processes=processes,
    )
    container.shadow_settings.override(providers.Object(shadow))
    try:
        store = container.routed_store()
        assert isinstance(store, Store)
        yield store, container.router()
    finally:
        container.shutdown_resources()


def _drainer(router: Router) -> Drainer:
    drainer = router.drainer
    assert drainer is not None
    return drainer


def _new_user(name: str) -> NewUser:
    return NewUser(username=name, email=f"{name}@example.com", password_hash="h" * 20)


def _rolled_back(store: Store, created: list[int]) -> None:
    """Create a user in a unit of work that then fails."""
    with store.unit_of_work():
        created.append(store.users.create(_new_user("rolledback")).id)
        raise RuntimeError("the application gives up")


def _user_item(raw: Any, prefix: str, user_id: int) -> dict[str, Any] | None:
    for item in scan_all(raw, prefix + "Users"):
        if item.get("GSI1PK", {}).get("S") == str(user_id):
            return item
    return None


def _clean(tools: MigrationTools) -> list[dict[str, Any]]:
    report = tools.verifier().run(VerifyOptions(workers=2), list(tools.plans.values()))
    return [finding.to_json() for finding in report.failing]


def _open(log: Path) -> list[Any]:
    return list(RepairLog(log).read())


def test_deferred_writes_reach_dynamodb_within_the_lag(
    settings: Settings, tools: MigrationTools, raw: Any, prefix: str, tmp_path: Path
) -> None:
    log = tmp_path / "repair-log"
    with _deferred(settings, "shadow", log, tmp_path, max_lag=5.0) as (store, router):
        started = time.monotonic()
        created = [store.users.create(_new_user(f"deferred{n}")) for n in range(5)]
        store.users.set_super_admin(created[0].id, True)
        assert _drainer(router).wait_drained(5.0)
        took = time.monotonic() - started
        items = {user.id: _user_item(raw, prefix, user.id) for user in created}

    assert took < 5.0
    assert all(item is not None for item in items.values())
    assert _open(log) == []
    assert _clean(tools) == []


@pytest.mark.parametrize("processes", [0, 1], ids=["threads", "worker process"])
def test_a_shadow_read_before_its_deferred_write_is_applied_is_not_a_difference(
    settings: Settings, tmp_path: Path, processes: int
) -> None:
    recorder = MemoryRecorder()
    log = tmp_path / "repair-log"
    deferred = _deferred(settings, "shadow", log, tmp_path, recorder=recorder, processes=processes)
    with deferred as (store, router):
        user = store.users.create(_new_user("readsoon"))
        assert _drainer(router).wait_drained(30.0)
        store.users.get(user.id)  # a worker process is started (and ready) before the test
        assert router.flush(60.0)
        with RepairLog(log).drain_lock():  # the drainer waits: DynamoDB lags behind
            store.users.set_super_admin(user.id, True)
            found = store.users.find_by_email(user.email)  # a strongly consistent read
            assert found is not None
            assert found.super_admin
            time.sleep(1.0)  # longer than the re-read delay of eventually consistent reads
        assert router.flush(60.0)
        stats = router.metrics.snapshot()["operations"]["users.find_by_email"]

    (read,) = [c for c in recorder.comparisons if c.operation == "find_by_email"]
    assert read.matched  # read again once the drainer applied the write
    assert (read.category, read.reread) == ("transient", True)
    assert stats.get("mismatches", 0) == 0


def test_the_order_per_key_is_kept_under_concurrent_updates(
    settings: Settings, tools: MigrationTools, raw: Any, prefix: str, tmp_path: Path
) -> None:
    log = tmp_path / "repair.jsonl"
    with _deferred(settings, "dual_write", log, tmp_path) as (store, router):
        user = store.users.create(_new_user("contended"))
        errors: list[BaseException] = []

        def flip(number: int) -> None:
            try:
                for step in range(10):
                    store.users.set_super_admin(user.id, (number + step) % 2 == 0)
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=flip, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert _drainer(router).wait_drained(10.0)
        final = store.users.get(user.id)

    item = _user_item(raw, prefix, user.id)
    assert final is not None
    assert item is not None
    assert int(item["version"]["N"]) == final.version == 61
    assert _clean(tools) == []


def test_a_rolled_back_unit_of_work_never_reaches_dynamodb(
    settings: Settings, tools: MigrationTools, raw: Any, prefix: str, tmp_path: Path
) -> None:
    log = tmp_path / "repair.jsonl"
    created: list[int] = []
    with _deferred(settings, "shadow", log, tmp_path) as (store, router):
        with pytest.raises(RuntimeError, match="gives up"):
            _rolled_back(store, created)
        with store.unit_of_work():
            kept = store.users.create(_new_user("committed")).id
            time.sleep(0.3)  # the drainer polls meanwhile: nothing is visible to it yet
            assert _open(log) == []
            assert _user_item(raw, prefix, kept) is None
        assert [entry.key for entry in _open(log)] in ([{"id": kept}], [])
        assert _drainer(router).wait_drained(5.0)

    assert _user_item(raw, prefix, created[0]) is None
    assert _user_item(raw, prefix, kept) is not None
    assert all(e.key != {"id": created[0]} for e in RepairLog(log).read(include_done=True))
    assert _clean(tools) == []


def test_entries_left_undrained_are_drained_by_the_cli_then_verify_reports_nothing(
    settings: Settings,
    tools: MigrationTools,
    raw: Any,
    prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log = tmp_path / "repair-log"
    with _deferred(settings, "dual_write", log, tmp_path) as (store, router):
        _drainer(router).stop()  # the process is gone right after acknowledging
        ids = [store.users.create(_new_user(f"left{n}")).id for n in range(3)]
    assert sorted(entry.key["id"] for entry in _open(log)) == sorted(ids)
    assert all(_user_item(raw, prefix, user_id) is None for user_id in ids)

    for name, value in {
        "DAL_MYSQL_URL": settings.mysql_url or "",
        "DAL_DYNAMODB_ENDPOINT": settings.dynamodb_endpoint or "",
        "DAL_TABLE_PREFIX": settings.table_prefix,
        "DAL_CONTRACT": str(settings.contract),
        "DAL_DECLARATIONS": settings.declarations or "",
    }.items():
        monkeypatch.setenv(name, value)
    repaired = runner.invoke(app, ["repair", "--from-log", str(log)])
    verified = runner.invoke(app, ["verify"])

    assert repaired.exit_code == 0, repaired.output
    assert verified.exit_code == 0, verified.output
    assert _open(log) == []
    assert all(_user_item(raw, prefix, user_id) is not None for user_id in ids)


def test_entries_left_undrained_are_drained_on_the_next_start(
    settings: Settings, tools: MigrationTools, raw: Any, prefix: str, tmp_path: Path
) -> None:
    log = tmp_path / "repair.jsonl"
    with _deferred(settings, "dual_write", log, tmp_path) as (store, router):
        _drainer(router).stop()
        user_id = store.users.create(_new_user("restart")).id
    assert len(_open(log)) == 1

    with _deferred(settings, "dual_write", log, tmp_path) as (store, router):
        assert _drainer(router).wait_drained(5.0)

    assert _user_item(raw, prefix, user_id) is not None
    assert _open(log) == []
    assert _clean(tools) == []


@pytest.fixture
def frozen_settings(settings: Settings, dynamodb_proxy: FaultProxy) -> Settings:
    """The test's settings with DynamoDB reached through the fault proxy, answers within 1 s."""
    return settings.model_copy(
        update={
            "dynamodb_endpoint": f"http://127.0.0.1:{dynamodb_proxy.port}",
            "dynamodb_read_timeout": 1.0,
            "dynamodb_connect_timeout": 1.0,
        }
    )


def test_writers_wait_while_the_drainer_lags_then_go_on_once_the_breaker_opens(
    frozen_settings: Settings,
    dynamodb_proxy: FaultProxy,
    tools: MigrationTools,
    raw: Any,
    prefix: str,
    tmp_path: Path,
) -> None:
    log = tmp_path / "repair.jsonl"
    max_lag = 0.5
    routed = _deferred(frozen_settings, "dual_write", log, tmp_path, max_lag, breaker_threshold=2)
    with routed as (store, router):
        drainer = _drainer(router)
        first = store.users.create(_new_user("beforefreeze"))
        assert drainer.wait_drained(5.0)
        dynamodb_proxy.freeze()
        took: list[float] = []
        ids = []
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            started = time.monotonic()
            ids.append(store.users.create(_new_user(f"frozen{len(ids)}")).id)
            took.append(time.monotonic() - started)
            if drainer.state().failed_batches >= 2 and took[-1] < 0.1:
                break  # the breaker is open
        state = drainer.state()
        assert state.throttled > 0, "writers waited for the drainer"
        assert max(took) < max_lag + 1.0, "no writer waits longer than the bound (and a call)"
        assert took[-1] < 0.1, "once the breaker is open, writes go on without waiting"
        assert state.pending == len(ids)
        assert len(_open(log)) == len(ids)  # durably queued
        dynamodb_proxy.heal()
        drained = drainer.wait_drained(30.0)
        assert drained, drainer.state()

    assert _user_item(raw, prefix, first.id) is not None
    assert all(_user_item(raw, prefix, user_id) is not None for user_id in ids)
    assert _clean(tools) == []


def test_settings_name_the_key_of_a_bad_value(tmp_path: Path) -> None:
    from dal.settings import Settings as Fresh

    env = tmp_path / "bad.env"
    env.write_text("DAL_SECONDARY_WRITES=later\n")
    with pytest.raises(SettingsError, match="DAL_SECONDARY_WRITES: must be 'inline' or"):
        load_settings(env)
    env.write_text("DAL_DEFERRED_MAX_LAG=0\n")
    with pytest.raises(SettingsError, match="DAL_DEFERRED_MAX_LAG: must be more than 0"):
        load_settings(env)
    env.write_text("DAL_SECONDARY_WRITES=deferred\nDAL_REPAIR_LOG=off\n")
    with pytest.raises(SettingsError, match="DAL_SECONDARY_WRITES: deferred writes need"):
        load_settings(env)
    chosen = Fresh(secondary_writes=" Deferred ", deferred_max_lag="2.5")
    assert (chosen.secondary_writes, chosen.deferred_max_lag) == ("deferred", 2.5)
    assert (Fresh().secondary_writes, Fresh().deferred_max_lag) == ("inline", 5.0)
    with pytest.raises(ValueError, match="secondary_writes must be inline or deferred"):
        ShadowSettings(secondary_writes="later")
    with pytest.raises(ValueError, match="need a repair log"):
        Router(StaticFlags({}), shadow=ShadowSettings(secondary_writes="deferred"))


def test_an_external_drainer_process_drains_while_the_router_follows_the_log(
    settings: Settings, tools: MigrationTools, raw: Any, prefix: str, tmp_path: Path
) -> None:
    log = tmp_path / "repair-log"
    log.mkdir()
    root = Path(__file__).parents[3]
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "DAL_MYSQL_URL": settings.mysql_url or "",
        "DAL_DYNAMODB_ENDPOINT": settings.dynamodb_endpoint or "",
        "DAL_TABLE_PREFIX": settings.table_prefix,
        "DAL_CONTRACT": str(settings.contract),
        "DAL_DECLARATIONS": settings.declarations or "",
    }
    command = [sys.executable, "-m", "dal", "repair", "--from-log", str(log), "--follow"]
    drainer = subprocess.Popen(command, cwd=root, env=env, stderr=subprocess.PIPE)
    try:
        external = settings.model_copy(update={"deferred_drainer": "external"})
        with _deferred(external, "dual_write", log, tmp_path) as (store, router):
            follower = _drainer(router)
            ids = [store.users.create(_new_user(f"external{n}")).id for n in range(3)]
            assert follower.wait_drained(30.0), follower.state()
            assert follower.state().drained == 0, "the router's process replayed nothing"
    finally:
        drainer.send_signal(signal.SIGTERM)
        _, said = drainer.communicate(timeout=30)

    assert drainer.returncode == 0, said.decode()
    assert b"drained 3 deferred writes" in said
    assert all(_user_item(raw, prefix, user_id) is not None for user_id in ids)
    assert _clean(tools) == []
    expected = "DAL_DEFERRED_DRAINER: must be 'thread' or 'process' or 'external'"
    with pytest.raises(SettingsError, match=expected):
        load_settings_with(tmp_path, "DAL_DEFERRED_DRAINER=elsewhere\n")


def _drainer_processes() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name == "dal-deferred-drainer"]


def _until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_drainer_child_process_drains_and_is_started_again_when_killed(
    settings: Settings, tools: MigrationTools, raw: Any, prefix: str, tmp_path: Path
) -> None:
    log = tmp_path / "repair-log"
    log.mkdir()
    child = settings.model_copy(update={"deferred_drainer": "process"})
    with _deferred(child, "dual_write", log, tmp_path, max_lag=30.0) as (store, router):
        follower = _drainer(router)
        first = [store.users.create(_new_user(f"child{n}")).id for n in range(3)]
        assert follower.wait_drained(60.0), follower.state()
        (process,) = _drainer_processes()
        os.kill(process.pid or 0, signal.SIGKILL)
        assert _until(lambda: [p.pid for p in _drainer_processes()] not in ([], [process.pid]), 30)
        second = [store.users.create(_new_user(f"again{n}")).id for n in range(2)]
        assert follower.wait_drained(60.0), follower.state()
        assert follower.state().drained == 0, "the router's process replayed nothing"
    assert _drainer_processes() == [], "the drainer process stopped with the router"

    assert all(_user_item(raw, prefix, user_id) is not None for user_id in first + second)
    assert _open(log) == []
    assert _clean(tools) == []


def load_settings_with(tmp_path: Path, text: str) -> Settings:
    env = tmp_path / "settings.env"
    env.write_text(text)
    return load_settings(env)


_KILLED_ROUTER = """
import time
from dal.settings import load_settings
from examples.store.wiring import store_container

container = store_container(load_settings())
container.router()  # starts the drainer process
print("ready", flush=True)
time.sleep(600)
"""


def test_the_drainer_process_of_a_killed_router_drains_and_stops(
    settings: Settings, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DAL_MYSQL_URL": settings.require_mysql_url(),
        "DAL_DYNAMODB_ENDPOINT": str(settings.dynamodb_endpoint),
        "DAL_DYNAMODB_REGION": "us-east-1",
        "DAL_TABLE_PREFIX": settings.table_prefix,
        "DAL_CONTRACT": str(settings.contract),
        "DAL_DECLARATIONS": "examples.store.declarations",
        "DAL_FLAGS": str(_flags(tmp_path / "flags.toml", "dual_write")),
        "DAL_SECONDARY_WRITES": "deferred",
        "DAL_DEFERRED_DRAINER": "process",
        "DAL_DEFERRED_NICE": "7",
        "DAL_REPAIR_LOG": str(tmp_path / "repair-log"),
        "DAL_RECORDS": "off",
    }
    router = subprocess.Popen(
        [sys.executable, "-c", _KILLED_ROUTER], env=env, stdout=subprocess.PIPE, text=True
    )
    started: set[int] = set()
    try:
        assert router.stdout is not None
        assert router.stdout.readline().strip() == "ready"
        started = children(router.pid)
        assert started  # the drainer (and multiprocessing's resource tracker)
        assert _until(lambda: 7 in {niceness(pid) for pid in started}, 30)  # the drainer's

        router.kill()
        router.wait(30)

        assert wait_gone(started, 30) == set()
    finally:
        router.kill()
        kill_all(started)
