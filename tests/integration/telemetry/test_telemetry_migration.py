"""Backfill and verify progress in dal.migration.rows, and their pages as spans, over
MariaDB and DynamoDB Local."""

from __future__ import annotations

from collections.abc import Callable

from telemetry_helpers import Sdk

from dal.migrate import BackfillOptions, VerifyOptions, open_tools
from dal.settings import Settings


def rows(sdk: Sdk) -> dict[tuple[str, str, str], int]:
    found: dict[tuple[str, str, str], int] = {}
    data = sdk.metrics.get_metrics_data()
    for resource in data.resource_metrics if data is not None else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != "dal.migration.rows":
                    continue
                for point in metric.data.data_points:
                    a = point.attributes or {}
                    key = (str(a["dal.tool"]), str(a["db.collection.name"]), str(a["dal.result"]))
                    found[key] = int(point.value)
    return found


def test_backfill_and_verify_count_their_rows_and_trace_their_pages(
    settings_for: Callable[..., Settings], sdk: Sdk
):
    with open_tools(settings_for(), workers=2) as tools:
        tools.telemetry = sdk.telemetry
        summary = tools.backfill().run(
            BackfillOptions(entities=("projects",), workers=2, reset_checkpoint=True)
        )
        assert summary.ok
        report = tools.verifier().run(VerifyOptions(workers=2), [tools.plans["projects"]])
    counted = rows(sdk)
    [result] = summary.results
    assert counted[("backfill", "projects", "read")] == result.rows == 1
    assert counted.get(("backfill", "projects", "written"), 0) == result.copied
    assert counted.get(("backfill", "projects", "skipped"), 0) == result.skipped
    assert counted[("verify", "projects", "read")] == report.counts["projects"].rows == 1
    names = [span.name for span in sdk.finished()]
    assert "backfill projects batch" in names
    assert "verify projects batch" in names
    [page] = [span for span in sdk.finished() if span.name == "backfill projects batch"]
    assert page.attributes["dal.rows.read"] == 1
