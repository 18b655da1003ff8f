"""Shadow work never hurts the caller: time budget, full pool, circuit breaker, failures."""

from __future__ import annotations

import threading
import time

import pytest
from routing_toys import seed

from dal import Stage
from dal.routing import CircuitBreaker, Comparator, RepairLog, ShadowSettings
from dal.routing.shadow import BreakerState
from interfaces import BackendUnavailable

GENEROUS = 1.5  # seconds: far above a fake's answer, far below the slow secondary


def _shadow_count(rig, reason: str) -> int:
    return rig.router.metrics.snapshot()["operations"]["notes.get"]["shadow"].get(reason, 0)


def test_a_slow_secondary_does_not_slow_the_caller_and_times_out(rig_factory):
    rig = rig_factory({"notes": Stage.SHADOW}, shadow=ShadowSettings(budget=0.2))
    seed(rig.old, rig.new)
    gate = threading.Event()
    rig.new.behave("get", gate=gate)  # the secondary hangs until released
    try:
        started = time.perf_counter()
        assert rig.notes.get("a").text == "hello"
        assert time.perf_counter() - started < GENEROUS
        assert rig.router.flush(timeout=10)  # the abandoned read settles at its deadline
        assert _shadow_count(rig, "timeout") == 1
        assert [d.reason for d in rig.recorder.drops] == ["timeout"]
        assert rig.recorder.comparisons == []
    finally:
        gate.set()


def test_a_secondary_answering_after_its_budget_is_not_compared(rig_factory):
    rig = rig_factory({"notes": Stage.LIVE}, shadow=ShadowSettings(budget=0.1))
    seed(rig.old, rig.new)
    rig.old.behave("get", delay=0.4)
    rig.notes.get("a")
    assert rig.router.flush(timeout=10)
    time.sleep(0.5)  # let the late answer arrive: it must be dropped, not compared
    assert rig.router.flush(timeout=10)
    assert rig.recorder.comparisons == []
    assert _shadow_count(rig, "timeout") == 1


def test_a_full_pool_drops_the_shadow_and_counts_it(rig_factory):
    settings = ShadowSettings(workers=1, max_workers=1, queue_size=1, budget=30)
    rig = rig_factory({"notes": Stage.SHADOW}, shadow=settings)
    seed(rig.old, rig.new)
    gate = threading.Event()
    behaviour = rig.new.behave("get", gate=gate)
    try:
        rig.notes.get("a")
        assert behaviour.started.wait(10)  # the only worker is busy
        rig.notes.get("a")  # queued
        started = time.perf_counter()
        rig.notes.get("a")  # no room: dropped at once
        assert time.perf_counter() - started < GENEROUS
        assert _shadow_count(rig, "pool_full") == 1
    finally:
        gate.set()
    assert rig.router.flush(timeout=10)
    assert len(rig.recorder.comparisons) == 2
    assert [(d.reason, d.count) for d in rig.recorder.drops] == [("pool_full", 1)]


def test_the_breaker_opens_after_consecutive_failures_and_recovers(rig_factory):
    settings = ShadowSettings(breaker_threshold=2, breaker_cooldown=1.0)
    rig = rig_factory({"notes": Stage.SHADOW}, shadow=settings)
    seed(rig.old, rig.new)
    rig.new.behave("get", error=BackendUnavailable("down"))
    for _ in range(2):
        rig.notes.get("a")
        assert rig.router.flush(timeout=10)
    rig.notes.get("a")  # open: the secondary is not even called
    assert rig.new.calls == ["get", "get"]
    assert _shadow_count(rig, "circuit_open") == 1

    rig.new.behaviours.clear()  # the secondary is healthy again
    time.sleep(1.1)  # past the cool-down: one probe goes through
    rig.notes.get("a")
    assert rig.router.flush(timeout=10)
    rig.notes.get("a")
    assert rig.router.flush(timeout=10)
    assert rig.new.calls == ["get"] * 4
    assert [c.matched for c in rig.recorder.comparisons] == [True, True]
    assert [e.origin for e in rig.recorder.errors] == ["new", "new"]


def test_circuit_breaker_states():
    now = [0.0]
    breaker = CircuitBreaker(threshold=3, cooldown=10, clock=lambda: now[0])
    breaker.failure()
    breaker.failure()
    breaker.success()  # resets the streak
    for _ in range(3):
        assert breaker.allow()
        breaker.failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    now[0] = 10.0
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one at a time
    breaker.failure()
    assert breaker.state is BreakerState.OPEN
    now[0] = 25.0
    assert breaker.allow()
    breaker.release()  # the probe never ran
    assert breaker.allow()
    breaker.success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()


def test_failing_secondary_writes_open_the_write_breaker(rig_factory, tmp_path):
    settings = ShadowSettings(breaker_threshold=2, breaker_cooldown=60)
    log = RepairLog(tmp_path / "repair.jsonl")
    rig = rig_factory({"notes": Stage.DUAL_WRITE}, shadow=settings, repair_log=log)
    rig.new.behave("put", error=BackendUnavailable("down"))
    for number in range(4):
        rig.notes.put(f"k{number}", "text")
    assert rig.new.calls == ["put", "put"]  # then skipped while the breaker is open
    assert [e.reason for e in log.read()] == ["secondary_write_failed"] * 2 + [
        "secondary_write_skipped"
    ] * 2
    assert len(rig.old.notes) == 4


def test_exceptions_of_the_shadow_machinery_never_reach_the_caller(rig_factory):
    raised: list[tuple[str, BaseException]] = []

    class BrokenComparator(Comparator):
        def compare(self, *args, **kwargs):
            raise RuntimeError("comparator bug")

    class BrokenRecorder:
        def record(self, record):
            raise OSError("disk full")

    rig = rig_factory(
        {"notes": Stage.SHADOW},
        comparator=BrokenComparator(),
        extra_recorder=BrokenRecorder(),  # fails on every record
        on_raised=lambda operation, error: raised.append((operation, error)),
    )
    seed(rig.old, rig.new)
    rig.new.behave("get", error=ValueError("secondary bug"))
    rig.new.behave("find", error=SystemExit(3))
    assert rig.notes.get("a").text == "hello"
    assert rig.notes.find("a") is not None
    assert rig.notes.count() == 1  # the comparator fails on this one
    assert rig.router.flush(timeout=10)
    kinds = {(operation, type(error)) for operation, error in raised}
    assert ("comparator", RuntimeError) in kinds
    assert ("shadow work", SystemExit) in kinds
    recorder_errors = [error for operation, error in raised if operation == "recorder"]
    assert recorder_errors
    assert all(isinstance(e, ExceptionGroup) for e in recorder_errors)
    assert {type(inner) for e in recorder_errors for inner in e.exceptions} == {OSError}
    assert [e.origin for e in rig.recorder.errors if e.origin != "router"] == ["new"]
    assert rig.router.metrics.snapshot()["internal_errors"] >= 3


def test_sampling_limits_the_reads_compared(rig_factory):
    from dal.routing import StaticFlags

    flags = StaticFlags({"notes": "shadow"}, sampling={"notes": 0.0, "notes.count": 1.0})
    rig = rig_factory(flags)
    seed(rig.old, rig.new)
    for _ in range(5):
        rig.notes.get("a")
    rig.notes.count()
    assert rig.router.flush(timeout=10)
    assert rig.new.calls == ["count"]
    assert _shadow_count(rig, "sampled_out") == 5
    assert [c.operation for c in rig.recorder.comparisons] == ["count"]


def test_after_close_calls_still_work_without_shadow(rig_factory):
    rig = rig_factory({"notes": Stage.SHADOW})
    seed(rig.old, rig.new)
    rig.router.close()
    rig.router.close()  # idempotent
    assert rig.notes.get("a").text == "hello"
    assert rig.new.calls == []
    assert _shadow_count(rig, "closed") == 1


@pytest.mark.parametrize("stage", [Stage.SHADOW, Stage.LIVE])
def test_primary_and_secondary_run_at_the_same_time(rig_factory, stage):
    rig = rig_factory({"notes": stage}, shadow=ShadowSettings(budget=10))
    seed(rig.old, rig.new)
    primary = rig.old if stage is Stage.SHADOW else rig.new
    secondary = rig.new if stage is Stage.SHADOW else rig.old
    secondary_started = secondary.behave("get").started
    gate = threading.Event()
    primary.behave("get", gate=gate)

    def release_when_secondary_started() -> None:
        if secondary_started.wait(10):
            gate.set()

    helper = threading.Thread(target=release_when_secondary_started)
    helper.start()
    rig.notes.get("a")  # returns only once the secondary has started: they overlap
    helper.join()
    assert rig.router.flush(timeout=10)
    assert [c.matched for c in rig.recorder.comparisons] == [True]
