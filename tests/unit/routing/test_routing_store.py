"""A routed store over two memory stores: same ids and timestamps, the unit of work and its gap."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import pytest

from dal import MemoryRecorder, ReplayingClock, ReplayingIdAllocator, Router, StaticFlags
from dal.routing import RepairLog, replay_scope
from examples.store import NewCategory, NewUser, Store, UserRepository
from examples.store.memory import build_store
from interfaces import MemoryIdAllocator, SteppingClock

OPEN: ContextVar[tuple[str, ...]] = ContextVar("open_units_of_work", default=())


def new_user(name: str = "ada") -> NewUser:
    return NewUser(username=name, email=f"{name}@example.com", password_hash="x" * 8)


class Journal:
    """Units of work that log what happens to them and fail when told to."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.fail: dict[tuple[str, str], Exception] = {}
        self.threads: list[str] = []

    def factory(self, side: str):
        @contextmanager
        def unit_of_work() -> Iterator[None]:
            self.threads.append(threading.current_thread().name)
            self._step(side, "begin")
            token = OPEN.set((*OPEN.get(), side))  # like an adapter binding its session
            try:
                yield
            except BaseException:
                self._step(side, "rollback")
                raise
            else:
                self._step(side, "commit")
            finally:
                OPEN.reset(token)

        return unit_of_work

    def _step(self, side: str, step: str) -> None:
        self.events.append((side, step))
        error = self.fail.get((side, step))
        if error is not None:
            raise error


@dataclasses.dataclass
class World:
    """Two memory stores sharing replaying ids and clock, journaled units of work."""

    old: Store
    new: Store
    journal: Journal
    recorder: MemoryRecorder
    repair_path: object
    routers: list[Router] = dataclasses.field(default_factory=list)

    def routed(self, stages: dict[str, str]) -> Store:
        router = Router(
            StaticFlags(stages),
            self.recorder,
            repair_log=RepairLog(self.repair_path),
            metrics_interval=None,
        )
        self.routers.append(router)
        return router.route_store(self.old, self.new)

    def operation_metrics(self, key: str) -> dict:
        self.routers[-1].flush(timeout=5)
        return self.routers[-1].metrics.snapshot()["operations"][key]


@pytest.fixture
def world(tmp_path) -> Iterator[World]:
    clock = ReplayingClock(SteppingClock())
    ids = ReplayingIdAllocator(MemoryIdAllocator())
    journal = Journal()
    old = build_store(clock=clock, ids=ids)
    new = build_store(clock=clock, ids=ids)
    world = World(
        old=dataclasses.replace(old, unit_of_work=journal.factory("old")),
        new=dataclasses.replace(new, unit_of_work=journal.factory("new")),
        journal=journal,
        recorder=MemoryRecorder(),
        repair_path=tmp_path / "repair.jsonl",
    )
    yield world
    for router in world.routers:
        router.close(timeout=5)


def repair_reasons(tmp_path) -> list[tuple[str, str, str]]:
    return [(e.operation, e.side, e.reason) for e in RepairLog(tmp_path / "repair.jsonl").read()]


@pytest.mark.parametrize("stage", ["dual_write", "shadow", "live", "rampdown"])
def test_both_sides_store_the_same_ids_and_timestamps(world, stage):
    store = world.routed({"users": stage, "categories": stage})
    with store.unit_of_work():
        user = store.users.create(new_user())
        category = store.categories.create(NewCategory(name="Lamps"))
    with world.old.unit_of_work():
        assert world.old.users.get(user.id) == user
        assert world.old.categories.get(category.id) == category
    with world.new.unit_of_work():
        assert world.new.users.get(user.id) == user
        assert world.new.categories.get(category.id) == category


def test_without_replay_the_sides_would_differ():
    clock, ids = SteppingClock(), MemoryIdAllocator()
    old, new = build_store(clock=clock, ids=ids), build_store(clock=clock, ids=ids)
    recorder = MemoryRecorder()
    with Router(StaticFlags({"users": "dual_write"}), recorder, metrics_interval=None) as router:
        users = router.route("users", UserRepository, old=old.users, new=new.users)
        users.create(new_user())
        router.flush(timeout=5)
    [comparison] = recorder.comparisons
    assert {d.path for d in comparison.differences} == {"id", "created_at", "updated_at"}


def test_replay_scope_records_then_replays_in_order():
    clock = ReplayingClock(SteppingClock())
    ids = ReplayingIdAllocator(MemoryIdAllocator())
    assert ids.allocate("users") == 1  # outside a scope: pass through
    with replay_scope() as scope:
        first = [ids.allocate("users"), ids.allocate("orders"), ids.allocate("users")]
        times = [clock.now(), clock.now()]
        scope.start_replay()
        assert [ids.allocate("users"), ids.allocate("users"), ids.allocate("orders")] == [
            first[0],
            first[2],
            first[1],
        ]
        assert [clock.now(), clock.now()] == times
        assert scope.misses == 0
        extra = clock.now()  # asked for more than was recorded: a fresh value
        assert extra > times[-1]
        assert scope.misses == 1
    assert ids.allocate("users") == 4


def test_a_routed_store_works_end_to_end(world):
    store = world.routed(dict.fromkeys(["users", "categories", "products"], "shadow"))
    with store.unit_of_work():
        user = store.users.create(new_user())
        store.users.upgrade_to_seller(user.id)
    with store.unit_of_work():
        assert store.users.get(user.id).is_seller
        assert store.users.find_by_email("ada@example.com").id == user.id
        assert store.users.list_super_admins() == []
    assert isinstance(store.users, UserRepository)
    assert repr(store.users) == "<RoutedUserRepository entity='users'>"


def test_both_units_of_work_open_and_the_required_side_commits_first(world):
    entities = ["users", "categories", "products", "carts", "orders"]
    store = world.routed(dict.fromkeys(entities, "live"))  # only new is authoritative
    with store.unit_of_work():
        store.users.create(new_user())
    assert world.journal.events == [
        ("old", "begin"),
        ("new", "begin"),
        ("new", "commit"),
        ("old", "commit"),
    ]
    assert OPEN.get() == ()  # context variables were reset in the reverse order of setting


def test_with_both_sides_required_old_commits_first(world):
    store = world.routed({"users": "live"})  # users write new first; the rest stay off (old)
    with store.unit_of_work():
        store.users.create(new_user())
    assert world.journal.events[2:] == [("old", "commit"), ("new", "commit")]
    assert OPEN.get() == ()


def test_nested_units_of_work_join_the_outer_one(world):
    store = world.routed({"users": "shadow"})
    with store.unit_of_work():
        with store.unit_of_work():
            store.users.create(new_user())
    assert [step for _, step in world.journal.events] == ["begin", "begin", "commit", "commit"]


def test_a_rolled_back_unit_of_work_logs_the_dual_writes_for_repair(world, tmp_path):
    store = world.routed({"users": "shadow", "categories": "dual_write"})
    boom = RuntimeError("caller changed its mind")

    def change_then_fail() -> None:
        with store.unit_of_work():
            store.users.create(new_user())
            store.categories.create(NewCategory(name="Lamps"))
            raise boom

    with pytest.raises(RuntimeError) as raised:
        change_then_fail()
    assert raised.value is boom
    assert ("old", "rollback") in world.journal.events
    assert ("new", "rollback") in world.journal.events
    assert repair_reasons(tmp_path) == [
        ("create", "new", "unit_of_work_rolled_back"),
        ("create", "new", "unit_of_work_rolled_back"),
    ]
    entries = list(RepairLog(tmp_path / "repair.jsonl").read())
    assert entries[0].result_key == {"id": 1}
    assert entries[0].args["new"]["password_hash"].startswith("<redacted:")
    assert entries[0].error_type == "RuntimeError"


def test_a_failed_commit_of_the_required_side_reaches_the_caller(world, tmp_path):
    store = world.routed({"users": "shadow"})
    lost = ConnectionError("commit lost")
    world.journal.fail[("old", "commit")] = lost

    def change() -> None:
        with store.unit_of_work():
            store.users.create(new_user())

    with pytest.raises(ConnectionError) as raised:
        change()
    assert raised.value is lost
    assert world.journal.events[-1] == ("new", "rollback")
    assert repair_reasons(tmp_path) == [("create", "new", "unit_of_work_rolled_back")]


def test_a_failed_commit_of_the_other_side_is_recorded_not_raised(world, tmp_path):
    store = world.routed({"users": "shadow"})
    world.journal.fail[("new", "commit")] = ConnectionError("new side lost")
    with store.unit_of_work():
        store.users.create(new_user())
    assert repair_reasons(tmp_path) == [("create", "new", "secondary_commit_failed")]
    [error] = [e for e in world.recorder.errors if e.operation == "unit_of_work.commit"]
    assert error.origin == "new"


def test_a_side_that_cannot_begin(world):
    store = world.routed({"users": "shadow"})
    world.journal.fail[("new", "begin")] = ConnectionError("new side down")
    with store.unit_of_work():
        store.users.create(new_user())  # old is required; the new side's failure is recorded
    assert [e.operation for e in world.recorder.errors] == ["unit_of_work.begin"]
    world.journal.fail[("old", "begin")] = ConnectionError("old side down")
    with pytest.raises(ConnectionError, match="old side down"):
        store.unit_of_work().__enter__()


def test_shadow_reads_run_in_a_unit_of_work_of_their_own_and_skip_dirty_ones(world):
    store = world.routed({"users": "shadow"})
    with store.unit_of_work():
        user = store.users.create(new_user())
    world.journal.threads.clear()
    with store.unit_of_work():
        store.users.get(user.id)  # shadowed: the worker opens the new side's own unit of work
        store.users.upgrade_to_seller(user.id)
        store.users.get(user.id)  # after a write in this unit of work: not shadowed
    metrics = world.operation_metrics("users.get")
    assert metrics["comparisons"] == 1
    assert metrics["shadow"] == {"dirty_unit_of_work": 1}
    assert any(name.startswith("dal-shadow") for name in world.journal.threads)
