"""The report and the gate on a terminal: rich tables that also read well in CI logs."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from dal.reporting import formatting as fmt
from dal.reporting.model import Report
from dal.reporting.verdict import Readiness

__all__ = ["checks_table", "summary_table"]


def summary_table(report: Report) -> Table:
    """One row per entity: stage, verdict, comparisons, mismatch and error rates, p95 ratio."""
    table = Table(title="Readiness", title_justify="left")
    for column in ("entity", "stage", "verdict", "comparisons", "mismatch rate", "new errors"):
        table.add_column(column, justify="right" if column == "comparisons" else "left")
    table.add_column("p95 new/old", justify="right")
    for view in report.entities:
        readiness = view.readiness
        style = "green" if readiness.ready else "red"
        table.add_row(
            escape(view.entity),
            fmt.stage_move(readiness),
            f"[{style}]{fmt.verdict_word(readiness)}[/]",
            str(view.comparisons),
            fmt.percent(view.mismatch_rate),
            fmt.error_rate(view.errors, "new"),
            fmt.ratio(view.latency.ratio_p95),
        )
    return table


def checks_table(readiness: Readiness) -> Table:
    """Every check of one verdict: threshold, limit, outcome and what was measured."""
    table = Table(title=f"Gate: {readiness.entity}", title_justify="left")
    for column in ("check", "limit", "result", "measured"):
        table.add_column(column)
    for check in readiness.checks:
        result = "[green]pass[/]" if check.passed else "[red]FAIL[/]"
        limit = fmt.limit_text(check.name, check.limit)
        table.add_row(check.name, limit, result, escape(check.detail))
    return table
