"""Aggregation: categories, field paths, errors by origin, latencies, drops, stages, call counts."""

from __future__ import annotations

from reporting_lines import aggregate, comparison, difference, drop, error, metrics

from dal.reporting import Thresholds, build_report
from dal.reporting.stats import LatencySample, fold_path


def test_comparisons_are_counted_by_category_and_stage() -> None:
    aggregator = aggregate(
        [
            comparison(category="match", stage="shadow"),
            comparison(
                category="drift", stage="shadow", differences=[difference("email", "a", "b")]
            ),
            comparison(category="transient", stage="live"),
            comparison(category="expected_staleness", stage="live"),
        ]
    )

    stats = aggregator.entities["users"].operations["get"]
    assert stats.comparisons == 4
    assert dict(stats.categories) == {
        "match": 1,
        "drift": 1,
        "transient": 1,
        "expected_staleness": 1,
    }
    assert dict(stats.stages) == {"shadow": 2, "live": 2}
    assert stats.drifted == 1


def test_paths_are_grouped_with_indices_folded_and_keep_their_first_example() -> None:
    aggregator = aggregate(
        [
            comparison(
                "products",
                "list",
                "drift",
                differences=[difference("items[2].price", "9.99", "12.50")],
            ),
            comparison(
                "products",
                "list",
                "drift",
                differences=[difference("items[7].price", "1.00", "2.00")],
            ),
            comparison(
                "products", "list", "drift", differences=[difference("next_token", "a", None)]
            ),
        ]
    )

    top = aggregator.entities["products"].operations["list"].paths.top(5)

    assert [(category, path, example.count) for category, path, example in top] == [
        ("drift", "items[*].price", 2),
        ("drift", "next_token", 1),
    ]
    assert (top[0][2].path, top[0][2].old, top[0][2].new) == ("items[2].price", "9.99", "12.50")


def test_differences_of_a_transient_comparison_count_as_transient() -> None:
    aggregator = aggregate(
        [
            comparison(
                category="transient", reread=True, differences=[difference("username", "a", "b")]
            )
        ]
    )

    ((category, path, _),) = aggregator.entities["users"].operations["get"].paths.top(5)

    assert (category, path) == ("transient", "username")
    assert aggregator.entities["users"].operations["get"].rereads == 1


def test_errors_are_counted_by_origin_and_the_routers_own_apart() -> None:
    aggregator = aggregate(
        [
            error(origin="new", error_type="Throttled"),
            error(origin="new", error_type="Throttled"),
            error(origin="old", error_type="BackendUnavailable"),
            error(
                entity="*",
                operation="comparator",
                origin="router",
                error_type="TypeError",
                stage=None,
            ),
        ]
    )

    stats = aggregator.entities["users"].operations["get"]
    assert dict(stats.errors.by_origin) == {"new": 2, "old": 1}
    assert [(kind, ex.count) for kind, ex in stats.errors.top("new", 5)] == [("Throttled", 2)]
    assert dict(aggregator.router_errors.by_origin) == {"comparator": 1}
    assert "*" not in aggregator.entities


def test_drops_are_summed_by_reason() -> None:
    aggregator = aggregate([drop(count=3), drop(count=4), drop(reason="timeout")])

    assert dict(aggregator.entities["users"].operations["get"].drops) == {
        "pool_full": 7,
        "timeout": 1,
    }


def test_the_latest_stage_seen_is_the_entitys_stage() -> None:
    aggregator = aggregate(
        [
            comparison(stage="live", ts="2026-03-01T12:00:05.000+00:00"),
            comparison(stage="shadow", ts="2026-03-01T12:00:01.000+00:00"),
            drop(ts="2026-03-01T12:09:00.000+00:00"),  # tallied in shadow, written late
        ]
    )

    assert aggregator.entities["users"].stage == "live"


def test_latencies_come_from_calls_timed_on_both_sides() -> None:
    records = [comparison(old_ms=float(i), new_ms=float(2 * i)) for i in range(1, 101)]
    records.append(comparison(old_ms=None, new_ms=500.0))

    view = build_report(aggregate(records), Thresholds()).entity("users")

    assert view is not None
    assert view.latency.old.count == 100
    assert (view.latency.old.p50, view.latency.old.p95, view.latency.old.p99) == (50.0, 95.0, 99.0)
    assert (view.latency.new.p95, view.latency.ratio_p95) == (190.0, 2.0)


def test_a_latency_sample_stays_bounded_and_reproducible() -> None:
    def filled() -> LatencySample:
        sample = LatencySample("users.get.old")
        for value in range(LatencySample.capacity * 2):
            sample.add(float(value))
        return sample

    first, second = filled(), filled()

    assert first.count == LatencySample.capacity * 2
    assert first.summary() == second.summary()
    assert 0.4 * first.count < (first.percentile(0.5) or 0) < 0.6 * first.count


def test_calls_from_metrics_add_up_over_router_restarts() -> None:
    aggregator = aggregate(
        [
            metrics({"users.get": (10, 10)}),
            metrics({"users.get": (50, 48)}),
            metrics({"users.get": (5, 5)}),  # a new router: its counts start again
            metrics({"users.get": (20, 19)}),
        ]
    )

    assert aggregator.calls.calls("users", "get") == {"old": 70, "new": 67}


def test_fold_path() -> None:
    assert fold_path("") == "$"
    assert fold_path("[3]") == "[*]"
    assert fold_path("items[12].price") == "items[*].price"
