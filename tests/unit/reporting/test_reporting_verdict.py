"""Readiness verdicts: each threshold, which categories count, per-entity overrides, next stage."""

from __future__ import annotations

from typing import Any

import pytest
from reporting_lines import aggregate, comparison, difference, error, metrics

from dal.reporting import Readiness, Thresholds, UnknownEntity, gate, next_stage

LENIENT = {
    "min_comparisons": 0,
    "max_mismatch_rate": 1.0,
    "max_error_rate": 1.0,
    "max_p95_latency_ratio": 100.0,
    "max_p99_latency_ratio": 100.0,
}


def _verdict(records: list[dict[str, Any]], **limits: float) -> Readiness:
    return gate("users", aggregate(records), Thresholds(overall={**LENIENT, **limits}))


def _failed(readiness: Readiness) -> list[str]:
    return [check.name for check in readiness.checks if not check.passed]


def _matches(count: int, **kwargs: Any) -> list[dict[str, Any]]:
    return [comparison(**kwargs) for _ in range(count)]


def test_within_every_threshold_is_ready_for_the_next_stage() -> None:
    readiness = _verdict(_matches(100), min_comparisons=100, max_mismatch_rate=0.0)

    assert readiness.ready
    assert readiness.reasons == ()
    assert readiness.headline == "ready to move from shadow to live"


def test_too_few_comparisons_is_not_ready() -> None:
    readiness = _verdict(_matches(99), min_comparisons=100)

    assert _failed(readiness) == ["min_comparisons"]
    assert readiness.reasons == ("99 comparisons, fewer than the 100 needed",)


def test_drift_and_exception_count_as_mismatches() -> None:
    drifted = comparison(category="drift", differences=[difference("email", "a", "b")])
    raised = comparison(category="exception", differences=[difference("", "<raised NotFound>", {})])
    records = [*_matches(98), drifted, raised]

    readiness = _verdict(records, max_mismatch_rate=0.01)

    assert _failed(readiness) == ["max_mismatch_rate"]
    assert "2.00% (2 of 100 comparisons drifted), above 1.00%" in readiness.reasons[0]


@pytest.mark.parametrize("category", ["expected_staleness", "transient"])
def test_expected_staleness_and_transient_do_not_count(category: str) -> None:
    readiness = _verdict([*_matches(10), *_matches(10, category=category)], max_mismatch_rate=0.0)

    assert readiness.ready


def test_new_side_errors_are_rated_against_the_calls_made() -> None:
    records: list[dict[str, Any]] = [*_matches(8), error(origin="new"), error(origin="new")]

    readiness = _verdict(records, max_error_rate=0.1)

    assert _failed(readiness) == ["max_error_rate"]
    assert "20.00% (2 of 10 calls failed)" in readiness.reasons[0]


def test_old_side_errors_do_not_fail_the_gate() -> None:
    readiness = _verdict([*_matches(8), error(origin="old")], max_error_rate=0.0)

    assert readiness.ready


def test_calls_counted_by_the_router_are_used_when_more_than_were_recorded() -> None:
    records = [*_matches(8), error(origin="new"), metrics({"users.get": (1000, 1000)})]

    readiness = _verdict(records, max_error_rate=0.01)

    assert readiness.ready
    assert "1 of 1000 calls failed" in readiness.checks[2].detail


def test_a_slower_new_side_fails_the_latency_ratios() -> None:
    records = _matches(100, old_ms=10.0, new_ms=25.0)

    readiness = _verdict(records, max_p95_latency_ratio=2.0, max_p99_latency_ratio=3.0)

    assert _failed(readiness) == ["max_p95_latency_ratio"]
    assert readiness.reasons[0].startswith("p95 latency ratio 2.50")


def test_without_timed_calls_the_latency_checks_pass_as_not_measurable() -> None:
    readiness = _verdict(_matches(5, old_ms=None), max_p95_latency_ratio=1.0)

    assert readiness.ready
    assert readiness.checks[3].value is None


def test_an_entitys_own_threshold_wins_over_the_overall_one() -> None:
    thresholds = Thresholds(
        overall={**LENIENT, "min_comparisons": 1000}, per_entity={"users": {"min_comparisons": 5}}
    )

    assert gate("users", aggregate(_matches(5)), thresholds).ready
    assert not gate("orders", aggregate(_matches(5, entity="orders")), thresholds).ready


def test_the_defaults_apply_without_configuration() -> None:
    readiness = gate("users", aggregate(_matches(100)), Thresholds())

    assert [(c.name, c.limit) for c in readiness.checks] == [
        ("min_comparisons", 100),
        ("max_mismatch_rate", 0.001),
        ("max_error_rate", 0.001),
        ("max_p95_latency_ratio", 2.0),
        ("max_p99_latency_ratio", 3.0),
    ]
    assert readiness.ready  # the new side takes twice as long: at the p95 limit, not above


def test_an_entity_absent_from_the_records_is_an_error_naming_those_present() -> None:
    with pytest.raises(UnknownEntity, match=r"'carts' \(entities in the records: users\)"):
        gate("carts", aggregate(_matches(1)), Thresholds())


@pytest.mark.parametrize(
    ("stage", "following"),
    [
        ("off", "dual_write"),
        ("dual_write", "shadow"),
        ("shadow", "live"),
        ("live", "rampdown"),
        ("rampdown", "complete"),
        ("complete", None),
        (None, None),
        ("bogus", None),
    ],
)
def test_next_stage(stage: str | None, following: str | None) -> None:
    assert next_stage(stage) == following
