"""The stage table, call by call: which side is read, returned, written, in which order.

Every stage, for reads and for writes, with no failure, the old side failing,
the new side failing, and both failing.
"""

from __future__ import annotations

import pytest
from routing_toys import Rig, seed

from dal import Stage
from dal.routing import PLANS, RepairLog, Side
from interfaces import BackendUnavailable

FAILURES = {
    "none": frozenset(),
    "old_fails": frozenset({Side.OLD}),
    "new_fails": frozenset({Side.NEW}),
    "both_fail": frozenset({Side.OLD, Side.NEW}),
}

# stage -> (sides read, side returned, sides written in order)
TABLE = {
    Stage.OFF: ({Side.OLD}, Side.OLD, [Side.OLD]),
    Stage.DUAL_WRITE: ({Side.OLD}, Side.OLD, [Side.OLD, Side.NEW]),
    Stage.SHADOW: ({Side.OLD, Side.NEW}, Side.OLD, [Side.OLD, Side.NEW]),
    Stage.LIVE: ({Side.OLD, Side.NEW}, Side.NEW, [Side.NEW, Side.OLD]),
    Stage.RAMPDOWN: ({Side.NEW}, Side.NEW, [Side.NEW, Side.OLD]),
    Stage.COMPLETE: ({Side.NEW}, Side.NEW, [Side.NEW]),
}


def _fake(rig: Rig, side: Side):
    return rig.old if side is Side.OLD else rig.new


def _break(rig: Rig, operation: str, failing: frozenset[Side]) -> dict[Side, Exception]:
    errors = {}
    for side in failing:
        errors[side] = BackendUnavailable(f"{side.value} is down")
        _fake(rig, side).behave(operation, error=errors[side])
    return errors


def test_the_table_is_the_architecture_table():
    for stage, (reads, returned, writes) in TABLE.items():
        plan = PLANS[stage]
        assert set(plan.reads) == reads
        assert plan.returned is returned
        assert list(plan.writes) == writes
        assert plan.authoritative is writes[0]
        assert plan.reads_compared == (len(reads) == 2)
        assert plan.writes_compared == (len(writes) == 2)
    assert set(PLANS) == set(Stage)
    with pytest.raises(TypeError):
        PLANS[Stage.OFF] = PLANS[Stage.LIVE]  # type: ignore[index]


@pytest.mark.parametrize("failure", FAILURES, ids=list(FAILURES))
@pytest.mark.parametrize("stage", list(Stage), ids=[s.value for s in Stage])
def test_reads(rig_factory, stage: Stage, failure: str):
    reads, returned, _ = TABLE[stage]
    rig = rig_factory({"notes": stage})
    seed(rig.old, rig.new)
    errors = _break(rig, "get", FAILURES[failure])

    if returned in errors:
        with pytest.raises(BackendUnavailable) as raised:
            rig.notes.get("a")
        assert raised.value is errors[returned]
    else:
        assert rig.notes.get("a").text == "hello"
    assert rig.router.flush(timeout=10)

    for side in Side:
        assert _fake(rig, side).calls == (["get"] if side in reads else [])
    recorded = {(e.origin, type(e.error)) for e in rig.recorder.errors}
    assert recorded == {(side.value, BackendUnavailable) for side in errors if side in reads}
    both_answered = len(reads) == 2 and not errors
    assert [c.matched for c in rig.recorder.comparisons] == ([True] if both_answered else [])


@pytest.mark.parametrize("failure", FAILURES, ids=list(FAILURES))
@pytest.mark.parametrize("stage", list(Stage), ids=[s.value for s in Stage])
def test_writes(rig_factory, tmp_path, stage: Stage, failure: str):
    _, _, writes = TABLE[stage]
    rig = rig_factory({"notes": stage}, repair_log=RepairLog(tmp_path / "repair.jsonl"))
    errors = _break(rig, "put", FAILURES[failure])
    first, second = writes[0], writes[1] if len(writes) == 2 else None

    if first in errors:
        with pytest.raises(BackendUnavailable) as raised:
            rig.notes.put("k", "text")
        assert raised.value is errors[first]  # unchanged, not wrapped
        expected_journal = [f"{first.value}.put"]
    else:
        assert rig.notes.put("k", "text").key == "k"
        expected_journal = [f"{side.value}.put" for side in writes]
    assert rig.router.flush(timeout=10)

    assert rig.old.journal == expected_journal
    secondary_failed = second is not None and first not in errors and second in errors
    entries = list(rig.router.repair_log.read())
    assert [(e.side, e.reason) for e in entries] == (
        [(second.value, "secondary_write_failed")] if secondary_failed else []
    )
    expected_errors = {first} if first in errors else ({second} if secondary_failed else set())
    assert {e.origin for e in rig.recorder.errors} == {side.value for side in expected_errors}
    compared = second is not None and not errors.keys() & set(writes)
    assert [c.op_kind for c in rig.recorder.comparisons] == (["command"] if compared else [])


@pytest.mark.parametrize("stage", [Stage.SHADOW, Stage.LIVE], ids=["shadow", "live"])
def test_domain_errors_are_answers_and_compared(rig_factory, stage: Stage):
    rig = rig_factory({"notes": stage})
    with pytest.raises(Exception) as raised:
        rig.notes.get("missing")
    assert type(raised.value).__name__ == "NotFound"
    rig.router.flush(timeout=10)
    assert rig.recorder.errors == []
    [comparison] = rig.recorder.comparisons
    assert comparison.matched
    assert comparison.category == "match"


def test_operation_flag_beats_entity_flag(rig_factory):
    rig = rig_factory({"notes": Stage.OFF, "notes.get": Stage.COMPLETE})
    seed(rig.old, rig.new)
    rig.notes.get("a")
    rig.notes.find("a")
    assert rig.new.calls == ["get"]
    assert rig.old.calls == ["find"]
