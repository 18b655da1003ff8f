"""The check's findings for people: one rich table, one line per table, column and kind."""

from __future__ import annotations

import json

from rich.table import Table

from dal.contract.check.findings import CheckReport

__all__ = ["findings_table", "summary_line"]

_MAX_ROWS = 200


def findings_table(report: CheckReport) -> Table:
    """Per finding: table, column, kind, level, count, example keys, and whether handled."""
    table = Table(title="Values that would not arrive as they are", title_justify="left")
    for column in ("table", "column", "kind", "level", "count", "example keys", "contract"):
        table.add_column(column, justify="right" if column == "count" else "left", overflow="fold")
    for finding in report.findings[:_MAX_ROWS]:
        keys = "; ".join(
            json.dumps(key, sort_keys=True, default=str, ensure_ascii=False)
            for key in finding.examples
        )
        table.add_row(
            finding.table,
            finding.column,
            finding.kind.value,
            finding.level.value,
            str(finding.count),
            keys,
            "handled" if finding.handled else "",
        )
    return table


def summary_line(report: CheckReport) -> str:
    """One line: rows read, and whether anything would be lost or disagree."""
    rows = sum(scan.rows for scan in report.tables)
    failing = report.failing
    head = f"Checked {rows} rows of {len(report.tables)} tables ({report.source}): "
    if not failing:
        return head + "nothing would be lost."
    values = sum(finding.count for finding in failing)
    return head + f"{values} values in {len(failing)} findings would not arrive as they are."
