"""run_in_unit_of_work: each attempt in a unit of work of its own; Throttled retried, no other."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from interfaces import (
    AlreadyExists,
    BackendUnavailable,
    Backoff,
    Throttled,
    run_in_unit_of_work,
)


class Units:
    """A unit-of-work factory that records how each unit of work ended."""

    def __init__(self) -> None:
        self.ended: list[str] = []

    @contextmanager
    def __call__(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.ended.append("rolled back")
            raise
        self.ended.append("committed")


class Failing:
    """Work that raises the given errors on its first calls, then returns its call count."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.calls


def test_throttled_work_runs_again_in_a_new_unit_of_work() -> None:
    units, waits = Units(), []
    work = Failing(Throttled("deadlock"), Throttled("lock wait timeout"))

    result = run_in_unit_of_work(units, work, attempts=3, sleep=waits.append)

    assert result == 3
    assert units.ended == ["rolled back", "rolled back", "committed"]
    assert len(waits) == 2
    assert 0 <= waits[0] <= 0.05
    assert 0 <= waits[1] <= 0.1


def test_when_the_attempts_run_out_throttled_says_how_many_were_made() -> None:
    units = Units()
    last = Throttled("still deadlocked")
    work = Failing(Throttled("deadlock"), last)

    with pytest.raises(Throttled) as raised:
        run_in_unit_of_work(units, work, attempts=2, sleep=lambda _: None)

    assert raised.value is last
    assert raised.value.attempts == 2
    assert work.calls == 2
    assert units.ended == ["rolled back", "rolled back"]


@pytest.mark.parametrize(
    "error", [AlreadyExists("users", "email", "a@b"), BackendUnavailable("gone"), KeyError("x")]
)
def test_other_errors_are_raised_at_once(error: Exception) -> None:
    units = Units()
    work = Failing(error)

    with pytest.raises(type(error)):
        run_in_unit_of_work(units, work, sleep=lambda _: None)

    assert work.calls == 1
    assert units.ended == ["rolled back"]


def test_a_nested_call_leaves_retrying_to_the_outer_one() -> None:
    units = Units()
    inner = Failing(Throttled("deadlock"))

    def outer() -> int:
        return run_in_unit_of_work(units, inner, attempts=5, sleep=lambda _: None) * 10

    assert run_in_unit_of_work(units, outer, attempts=2, sleep=lambda _: None) == 20
    assert inner.calls == 2
    assert units.ended == ["rolled back", "rolled back", "committed", "committed"]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="attempts must be at least 1"):
        run_in_unit_of_work(Units(), Failing(), attempts=0)
    with pytest.raises(ValueError, match="must not be negative"):
        Backoff(base=-1)


def test_backoff_is_jittered_and_capped() -> None:
    backoff = Backoff(base=0.1, cap=0.3)

    waits = [backoff.delay(failed) for failed in (1, 2, 3, 4, 5) for _ in range(50)]

    assert all(0 <= wait <= 0.3 for wait in waits)
    assert len(set(waits)) > 200
    assert max(backoff.delay(1) for _ in range(200)) <= 0.1
