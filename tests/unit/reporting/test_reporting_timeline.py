"""The bounded parts of a report: the latency sketch and the charts' time buckets."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

from dal.reporting.sketch import RELATIVE_ACCURACY, LogHistogram
from dal.reporting.stats import LatencySample
from dal.reporting.timeline import Timeline

START = datetime(2026, 3, 1, tzinfo=UTC)


def _exact(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def test_the_sketch_is_within_its_accuracy_and_merges_like_one():
    rng = random.Random(3)
    values = [rng.lognormvariate(1.0, 1.2) for _ in range(50_000)]
    first, second, whole = LogHistogram(), LogHistogram(), LogHistogram()
    for number, value in enumerate(values):
        (first if number % 2 else second).add(value)
        whole.add(value)
    first.merge(second)

    for share in (0.5, 0.95, 0.99, 1.0):
        estimate = whole.percentile(share)
        assert estimate is not None
        assert abs(estimate - _exact(values, share)) <= RELATIVE_ACCURACY * _exact(values, share)
        assert first.percentile(share) == estimate


def test_a_latency_sample_is_exact_until_full_then_sketched():
    sample = LatencySample()
    for value in range(1, LatencySample.capacity + 1):
        sample.add(float(value))
    assert sample.percentile(0.5) == LatencySample.capacity / 2  # exact
    sample.add(0.0)
    assert sample.count == LatencySample.capacity + 1
    p50 = sample.percentile(0.5) or 0.0
    assert abs(p50 - LatencySample.capacity / 2) <= RELATIVE_ACCURACY * p50 + 1


def test_time_buckets_stay_bounded_and_count_everything_in_any_order():
    timeline = Timeline()
    stages = ["dual_write", "shadow", "live"]
    records = []
    for process in range(2):  # two writers' files, read one after the other
        for number in range(5000):
            at = START + timedelta(seconds=number * 7 + process)
            records.append((at, stages[number * 3 // 5000], number % 10 == 0))
    for at, stage, drifted in records:
        timeline.comparison("accounts", at, stage, drifted, (1.0, 2.0))

    view = timeline.view("accounts")

    assert len(view.points) <= Timeline.max_buckets
    assert sum(p.comparisons for p in view.points) == 10_000
    assert sum(p.mismatched for p in view.points) == 1000
    assert [s.stage for s in view.stages] == stages
    assert [(c.before, c.after) for c in view.changes] == [
        ("dual_write", "shadow"),
        ("shadow", "live"),
    ]
    shadow_starts = START + timedelta(seconds=1667 * 7)
    assert abs((view.changes[0].at - shadow_starts).total_seconds()) < 8
    assert abs((view.points[0].new_p50 or 0) - 2.0) <= 2.0 * RELATIVE_ACCURACY
