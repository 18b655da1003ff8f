"""Summaries of backfill, verify and repair for people: rich tables that read well in CI logs."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table

from dal.migrate.backfill import BackfillSummary
from dal.migrate.repair import RepairReport
from dal.migrate.replay import ReplayReport
from dal.migrate.verify import Finding, Kind, VerifyReport

__all__ = [
    "backfill_table",
    "failures_table",
    "findings_table",
    "repair_table",
    "replay_table",
    "verify_table",
]

_MAX_ROWS = 200


def backfill_table(summary: BackfillSummary) -> Table:
    """Per entity (segment): rows copied, skipped as newer or equal, failed, and the speed."""
    table = Table(title="Backfill", title_justify="left")
    for column in ("entity", "copied", "skipped (newer)", "failed", "rows/s", "note"):
        table.add_column(column, justify="left" if column in ("entity", "note") else "right")
    for result in summary.results:
        rate = result.rows / result.seconds if result.seconds > 0 else 0.0
        note = "resumed" if result.resumed else ""
        table.add_row(
            str(result.segment),
            str(result.copied),
            str(result.skipped),
            str(len(result.failed)),
            f"{rate:.0f}",
            note,
        )
    return table


def failures_table(summary: BackfillSummary) -> Table:
    """The rows that could not be copied, by key, with the reason."""
    table = Table(title="Failed rows", title_justify="left")
    table.add_column("row")
    table.add_column("reason")
    failed = [failure for result in summary.results for failure in result.failed]
    for label, reason in failed[:_MAX_ROWS]:
        table.add_row(label, reason)
    if len(failed) > _MAX_ROWS:
        table.add_row("...", f"{len(failed) - _MAX_ROWS} more")
    return table


def verify_table(report: VerifyReport) -> Table:
    """Per entity: rows and items checked, items scanned, and findings by kind."""
    table = Table(title="Verify", title_justify="left")
    table.add_column("entity")
    for column in ("rows", "items", "scanned", *(kind.value for kind in Kind)):
        table.add_column(column.replace("_", " "), justify="right")
    for name, counts in report.counts.items():
        found = [str(counts.found[kind.value]) for kind in Kind]
        table.add_row(name, str(counts.rows), str(counts.items), str(counts.scanned), *found)
    return table


def findings_table(findings: Iterable[Finding], title: str = "Differences") -> Table:
    """One line per finding: entity, kind, table, key, source row, differing paths."""
    table = Table(title=title, title_justify="left")
    for column in ("entity", "kind", "table", "key", "row", "fields"):
        table.add_column(column)
    listed = list(findings)
    for finding in listed[:_MAX_ROWS]:
        key = ", ".join(f"{k}={v}" for k, v in finding.key.items())
        fields = "; ".join(
            f"{d.path}: {d.mysql!r} (mysql) != {d.dynamodb!r} (dynamodb)"
            for d in finding.differences
        )
        table.add_row(
            finding.entity,
            finding.kind.value,
            finding.table,
            key,
            finding.source or "",
            fields or finding.detail or "",
        )
    if len(listed) > _MAX_ROWS:
        table.add_row("...", f"{len(listed) - _MAX_ROWS} more", "", "", "", "")
    return table


def repair_table(report: RepairReport) -> Table:
    """One line per repair action."""
    table = Table(title="Repair", title_justify="left")
    for column in ("entity", "stage", "kind", "key", "side", "action", "outcome", "detail"):
        table.add_column(column)
    for action in report.actions[:_MAX_ROWS]:
        finding = action.finding
        table.add_row(
            finding.entity,
            report.stages.get(finding.entity, "off"),
            finding.kind.value,
            ", ".join(f"{k}={v}" for k, v in finding.key.items()) or (finding.source or ""),
            "mysql" if action.side.value == "old" else "dynamodb",
            action.action,
            action.outcome.value,
            action.detail or "",
        )
    return table


def replay_table(report: ReplayReport) -> Table:
    """One line per repair log entry: its key, direction, actions and whether it is done."""
    table = Table(title="Repair by entry", title_justify="left")
    for column in ("entry", "entity", "key", "repaired", "from", "actions", "done", "detail"):
        table.add_column(column)
    for outcome in report.entries[:_MAX_ROWS]:
        entry = outcome.entry
        key = entry.entity_key
        actions = ", ".join(f"{a.action} {a.outcome.value}" for a in outcome.actions)
        table.add_row(
            entry.id[:8],
            entry.entity,
            ", ".join(f"{k}={v}" for k, v in key.items()) if key else "",
            _side_name(entry.side),
            _side_name(entry.truth),
            actions or "none needed",
            "yes" if outcome.done else "no",
            outcome.reason or "",
        )
    for action in report.derived[:_MAX_ROWS]:
        finding = action.finding
        table.add_row(
            "derived",
            finding.entity,
            ", ".join(f"{k}={v}" for k, v in finding.key.items()) or (finding.source or ""),
            "mysql" if action.side.value == "old" else "dynamodb",
            "",
            f"{action.action} {action.outcome.value}",
            "",
            action.detail or "",
        )
    return table


def _side_name(side: str) -> str:
    return "mysql" if side == "old" else "dynamodb"
