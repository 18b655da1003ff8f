"""IdHandover: DynamoDB counters raised above MySQL's marks, never lowered, idempotent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dal.idsource import IdHandover, SequenceState
from examples.store.wiring import STORE_SEQUENCES as LEGACY_SEQUENCES


class FakeMysql:
    """High-water marks held in memory."""

    where = "memory"

    def __init__(self, marks: dict[str, int]) -> None:
        self.marks = marks

    def high_water(self) -> dict[str, int]:
        return dict(self.marks)


class FakeCounters:
    """DynamoDB counters held in memory, with DynamoDB's semantics (raise only)."""

    where = "memory"

    def __init__(self, last: dict[str, int] | None = None, *, exists: bool = True) -> None:
        self.last = dict(last or {})
        self.exists = exists
        self.writes = 0

    def ensure(self) -> None:
        self.exists = True

    def last_ids(self) -> dict[str, int]:
        return dict(self.last) if self.exists else {}

    def raise_to(self, sequence: str, at_least: int) -> None:
        assert self.exists, "raised a counter of a table that does not exist"
        self.writes += 1
        self.last[sequence] = max(self.last.get(sequence, 0), at_least)


def test_show_lists_every_legacy_sequence_and_any_other_either_side_knows() -> None:
    mysql, counters = FakeMysql({"users": 50, "coupons": 3}), FakeCounters({"audit": 9})
    handover = IdHandover(mysql, counters, LEGACY_SEQUENCES)

    states = {state.sequence: state for state in handover.show()}

    assert sorted(states) == sorted({*LEGACY_SEQUENCES, "coupons", "audit"})
    assert states["users"] == SequenceState("users", 50, 0)
    assert states["audit"].dynamodb_next == 10
    assert not states["users"].safe
    assert states["orders"].safe


def test_sync_raises_each_counter_behind_mysql_to_one_below_its_next_id() -> None:
    counters = FakeCounters({"users": 10, "orders": 80})
    handover = IdHandover(
        FakeMysql({"users": 50, "orders": 40, "categories": 700}), counters, LEGACY_SEQUENCES
    )

    changes = {change.sequence: change for change in handover.sync()}

    assert changes["users"].after.dynamodb_next == 51
    assert changes["categories"].after.dynamodb_next == 701
    assert changes["users"].changed
    assert changes["categories"].changed
    assert changes["users"].before.dynamodb_next == 11


def test_sync_never_lowers_a_counter_that_is_ahead() -> None:
    counters = FakeCounters({"orders": 80})
    handover = IdHandover(FakeMysql({"orders": 40}), counters, LEGACY_SEQUENCES)

    changes = {change.sequence: change for change in handover.sync()}

    assert not changes["orders"].changed
    assert counters.last["orders"] == 80
    assert counters.writes == 0


def test_a_second_sync_changes_nothing() -> None:
    counters = FakeCounters()
    handover = IdHandover(FakeMysql({"users": 5, "products": 12}), counters, LEGACY_SEQUENCES)
    handover.sync()
    writes = counters.writes

    again = handover.sync()

    assert not any(change.changed for change in again)
    assert counters.writes == writes


def test_sync_creates_the_counters_table_first() -> None:
    counters = FakeCounters(exists=False)

    IdHandover(FakeMysql({"users": 5}), counters, LEGACY_SEQUENCES).sync()

    assert counters.exists
    assert counters.last["users"] == 5


def test_dry_run_reports_the_plan_and_writes_nothing() -> None:
    counters = FakeCounters({"orders": 80}, exists=False)
    handover = IdHandover(FakeMysql({"users": 5}), counters, LEGACY_SEQUENCES)

    changes = {change.sequence: change for change in handover.sync(dry_run=True)}

    assert not counters.exists
    assert counters.writes == 0
    assert changes["users"].changed
    assert changes["users"].after.dynamodb_next == 6
    assert not changes["products"].changed


sequence_numbers = st.dictionaries(
    st.sampled_from(["users", "orders", "coupons", "audit"]), st.integers(0, 2**31 - 1)
)


@given(marks=sequence_numbers, last=sequence_numbers)
def test_after_a_sync_every_sequence_is_safe_and_no_counter_went_down(
    marks: dict[str, int], last: dict[str, int]
) -> None:
    counters = FakeCounters(last)

    changes = IdHandover(FakeMysql(marks), counters, LEGACY_SEQUENCES).sync()

    for change in changes:
        assert change.after.safe
        assert change.after.dynamodb_last == max(
            change.before.dynamodb_last, marks.get(change.sequence, 0)
        )
        assert change.after.dynamodb_last >= change.before.dynamodb_last


@pytest.mark.parametrize(
    ("mark", "last", "safe"), [(0, 0, True), (5, 5, True), (5, 4, False), (5, 9, True)]
)
def test_a_sequence_is_safe_when_dynamodb_is_at_or_above_the_mark(
    mark: int, last: int, safe: bool
) -> None:
    assert SequenceState("users", mark, last).safe is safe
