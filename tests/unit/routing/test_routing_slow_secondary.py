"""The secondary's time budget and slowness: bounded dual writes, breakers that open on slowness."""

from __future__ import annotations

import time

from routing_toys import seed

from dal import Stage
from dal.routing import CircuitBreaker, RepairLog, ShadowSettings
from dal.routing.shadow import BreakerState
from interfaces import DeadlineExceeded

SLACK = 0.25  # seconds the router itself may add to a budget on a loaded machine


def test_slow_calls_count_as_failures_and_a_slow_probe_reopens_the_breaker():
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=lambda: now[0], slow_call=0.5)
    breaker.finished(0.6)
    breaker.finished(0.1)  # a fast success resets the streak
    assert breaker.state is BreakerState.CLOSED
    breaker.finished(0.7)
    breaker.finished(0.1, failed=True)
    assert breaker.state is BreakerState.OPEN
    now[0] = 10.0
    assert breaker.allow()  # the probe
    breaker.finished(0.9)  # answered, but slowly
    assert breaker.state is BreakerState.OPEN
    now[0] = 20.0
    assert breaker.allow()
    breaker.finished(0.2)
    assert breaker.state is BreakerState.CLOSED


def test_without_a_threshold_only_failures_count():
    breaker = CircuitBreaker(threshold=1, cooldown=10)
    breaker.finished(1000.0)
    assert breaker.state is BreakerState.CLOSED


def test_the_budgets_default_to_the_shadow_budget():
    settings = ShadowSettings(budget=2.0)
    assert settings.secondary_write_seconds == 2.0
    assert settings.slow_call_seconds("read") == 2.0
    assert settings.slow_call_seconds("write") == 2.0
    chosen = ShadowSettings(budget=2.0, write_budget=0.5, slow_call=0.1)
    assert chosen.secondary_write_seconds == 0.5
    assert chosen.slow_call_seconds("write") == 0.1


def test_a_secondary_write_costs_the_caller_its_budget_at_most(rig_factory, tmp_path):
    settings = ShadowSettings(write_budget=0.2, breaker_threshold=3, breaker_cooldown=60)
    log = RepairLog(tmp_path / "repair.jsonl")
    rig = rig_factory({"notes": Stage.DUAL_WRITE}, shadow=settings, repair_log=log)
    rig.new.behave("put", delay=5.0, honours_deadline=True)
    latencies = []
    for number in range(5):
        started = time.perf_counter()
        rig.notes.put(f"k{number}", "text")
        latencies.append(time.perf_counter() - started)
    shown = ", ".join(f"{seconds:.3f}" for seconds in latencies)
    assert max(latencies[:3]) < 0.2 + SLACK, f"dual writes took {shown} s"
    assert max(latencies[3:]) < SLACK, f"writes after the breaker opened took {shown} s"
    assert rig.new.calls == ["put"] * 3  # then skipped: the breaker is open
    entries = list(log.read())
    assert [e.reason for e in entries] == ["secondary_write_slow"] * 3 + [
        "secondary_write_skipped"
    ] * 2
    assert {e.error_type for e in entries[:3]} == {"DeadlineExceeded"}
    assert [type(e.error) for e in rig.recorder.errors] == [DeadlineExceeded] * 3
    assert len(rig.old.notes) == 5


def test_a_late_answer_of_a_secondary_that_ignores_the_deadline_is_not_a_success(
    rig_factory, tmp_path
):
    settings = ShadowSettings(write_budget=0.1, breaker_threshold=5)
    log = RepairLog(tmp_path / "repair.jsonl")
    rig = rig_factory({"notes": Stage.SHADOW}, shadow=settings, repair_log=log)
    rig.new.behave("put", delay=0.3)  # answers, but after its budget
    rig.notes.put("k", "text")
    assert rig.router.flush(timeout=10)
    (entry,) = log.read()
    assert (entry.reason, entry.side, entry.error_type) == (
        "secondary_write_slow",
        "new",
        "DeadlineExceeded",
    )
    assert rig.recorder.comparisons == []  # no comparison of a write counted as failed
    assert "over its budget" in rig.recorder.errors[0].message


def test_slow_secondary_writes_within_the_budget_open_the_breaker(rig_factory, tmp_path):
    settings = ShadowSettings(
        write_budget=1.0, slow_call=0.05, breaker_threshold=2, breaker_cooldown=60
    )
    log = RepairLog(tmp_path / "repair.jsonl")
    rig = rig_factory({"notes": Stage.LIVE}, shadow=settings, repair_log=log)
    rig.old.behave("put", delay=0.1)
    for number in range(3):
        rig.notes.put(f"k{number}", "text")
    assert rig.old.calls == ["put", "put"]  # stored in time, but slowly: then skipped
    assert [e.reason for e in log.read()] == ["secondary_write_skipped"]
    assert len(rig.old.notes) == 2


def test_slow_shadow_reads_open_the_read_breaker(rig_factory):
    settings = ShadowSettings(budget=5.0, slow_call=0.05, breaker_threshold=2)
    rig = rig_factory({"notes": Stage.SHADOW}, shadow=settings)
    seed(rig.old, rig.new)
    rig.new.behave("get", delay=0.1)
    for _ in range(3):
        rig.notes.get("a")
        assert rig.router.flush(timeout=10)
    assert rig.new.calls == ["get", "get"]
    assert [c.matched for c in rig.recorder.comparisons] == [True, True]  # still compared
    assert rig.router.metrics.snapshot()["operations"]["notes.get"]["shadow"] == {"circuit_open": 1}


def test_a_hung_shadow_read_ends_at_its_budget(rig_factory):
    settings = ShadowSettings(budget=0.2, workers=1, max_workers=1)
    rig = rig_factory({"notes": Stage.SHADOW}, shadow=settings)
    seed(rig.old, rig.new)
    behaviour = rig.new.behave("get", delay=30.0, honours_deadline=True)
    started = time.perf_counter()
    rig.notes.get("a")
    assert behaviour.started.wait(5)
    assert rig.router.flush(timeout=5)
    rig.new.behaviours.clear()
    rig.notes.get("a")  # the only worker is free again: this read is compared
    assert rig.router.flush(timeout=5)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.2 + 2 * SLACK, f"the worker was held {elapsed:.3f} s"
    assert len(rig.recorder.comparisons) == 1
