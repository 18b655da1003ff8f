"""Reads served from an eventually consistent index: re-read once before a difference counts."""

from __future__ import annotations

from routing_toys import seed

from dal import Category, Stage
from dal.routing import ShadowSettings

FAST = ShadowSettings(reread_delay=0.05, budget=5)


def test_a_difference_gone_on_re_read_is_transient(rig_factory):
    rig = rig_factory({"notes": Stage.SHADOW}, shadow=FAST, eventually_consistent=["notes.get"])
    seed(rig.old, rig.new)
    lagging = {"left": 1}

    def lag(note):
        if lagging["left"]:
            lagging["left"] -= 1
            return note.model_copy(update={"text": "stale"})
        return note

    rig.new.transform = lag
    assert rig.notes.get("a").text == "hello"
    assert rig.router.flush(timeout=10)
    [comparison] = rig.recorder.comparisons
    assert comparison.matched
    assert comparison.category is Category.TRANSIENT
    assert comparison.reread
    assert [d.path for d in comparison.differences] == ["text"]
    assert rig.new.calls == ["get", "get"]


def _compare_a_lasting_difference(rig_factory, stage, eventually_consistent):
    """Read note ``a`` once while the new side holds other text; the rig and its comparison."""
    rig = rig_factory({"notes": stage}, shadow=FAST, eventually_consistent=eventually_consistent)
    seed(rig.old, rig.new)
    rig.new.notes["a"] = rig.new.notes["a"].model_copy(update={"text": "different"})
    rig.notes.get("a")
    assert rig.router.flush(timeout=10)
    [comparison] = rig.recorder.comparisons
    return rig, comparison


def test_a_difference_that_persists_counts(rig_factory):
    _, comparison = _compare_a_lasting_difference(rig_factory, Stage.LIVE, [("notes", "get")])
    assert not comparison.matched
    assert comparison.category is Category.DRIFT
    assert comparison.reread


def test_other_reads_are_not_re_read(rig_factory):
    rig, comparison = _compare_a_lasting_difference(rig_factory, Stage.SHADOW, ["notes.find"])
    assert not comparison.reread
    assert rig.new.calls == ["get"]


def test_a_bad_eventually_consistent_entry_is_refused():
    import pytest

    from dal import Router, StaticFlags

    with pytest.raises(ValueError, match=r"entity\.operation"):
        Router(StaticFlags({}), eventually_consistent=["notes"])


def test_a_difference_whose_re_read_fails_is_recorded_with_the_failure(rig_factory):
    from interfaces import BackendUnavailable

    rig = rig_factory({"notes": Stage.SHADOW}, shadow=FAST, eventually_consistent=["notes.get"])
    seed(rig.old, rig.new)
    rig.new.notes["a"] = rig.new.notes["a"].model_copy(update={"text": "different"})
    answers = {"calls": 0}

    def fail_the_re_read(note):
        answers["calls"] += 1
        if answers["calls"] > 1:
            raise BackendUnavailable("the re-read could not reach the table")
        return note

    rig.new.transform = fail_the_re_read
    assert rig.notes.get("a").text == "hello"
    assert rig.router.flush(timeout=10)
    [comparison] = rig.recorder.comparisons
    assert not comparison.matched
    assert comparison.category is Category.DRIFT
    assert [d.path for d in comparison.differences] == ["text"]
    assert comparison.reread
    assert comparison.reread_failed
    [error] = rig.recorder.errors
    assert (error.origin, error.operation, error.error_type) == ("new", "get", "BackendUnavailable")
    counts = rig.router.metrics.snapshot()["operations"]["notes.get"]
    assert (counts["comparisons"], counts["mismatches"], counts["errors"]) == (1, 1, {"new": 1})
    assert counts["categories"] == {"drift": 1}


def test_a_difference_whose_re_read_times_out_is_recorded_as_unconfirmed(rig_factory):
    import time

    settings = ShadowSettings(reread_delay=0.01, budget=0.3)
    rig = rig_factory({"notes": Stage.LIVE}, shadow=settings, eventually_consistent=["notes.get"])
    seed(rig.old, rig.new)
    rig.old.notes["a"] = rig.old.notes["a"].model_copy(update={"text": "different"})
    answers = {"calls": 0}

    def stall_the_re_read(note):
        answers["calls"] += 1
        if answers["calls"] > 1:
            time.sleep(1.0)
        return note

    rig.old.transform = stall_the_re_read
    rig.notes.get("a")
    assert rig.router.flush(timeout=10)
    [comparison] = rig.recorder.comparisons
    assert (comparison.matched, comparison.category) == (False, Category.DRIFT)
    assert comparison.reread_failed
    assert [d.reason for d in rig.recorder.drops] == ["timeout"]
