"""The report as Markdown (``report.md``): GitHub-flavoured tables, one section per entity."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from dal.reporting import formatting as fmt
from dal.reporting.formatting import when as _when
from dal.reporting.model import EntityView, OriginView, Report

__all__ = ["render_markdown"]

_BACKTICKS = re.compile(r"`+")


def code(text: str) -> str:
    """``text`` as an inline code span that is also safe inside a table cell."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded.replace('|', chr(92) + '|')}{fence}" if text else "-"


def cell(text: str) -> str:
    """Plain text made safe for a table cell."""
    return " ".join(text.split()).replace("|", "\\|") or "-"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A Markdown table (the cells already escaped)."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _header(report: Report) -> list[str]:
    records = sum(report.records.values())
    files = ", ".join(code(source) for source in report.sources) or "no file"
    lines = [
        "# Migration comparison report",
        "",
        f"Generated {_when(report.generated_at)} from {records} records in {files}.",
    ]
    if report.first_record_at and report.last_record_at:
        lines.append(
            f"Records from {report.first_record_at.isoformat(timespec='seconds')} to "
            f"{_when(report.last_record_at)}."
        )
    lines += [f"Thresholds: {cell(report.thresholds_source)}.", ""]
    if report.malformed_count:
        first = report.malformed[0]
        lines += [
            f"> **{report.malformed_count} malformed line(s) skipped**, the first at "
            f"{code(first.where)}: {cell(first.reason)} (all listed at the end).",
            "",
        ]
    return lines


def _summary(report: Report) -> list[str]:
    headers = ["entity", "stage", "verdict", "comparisons", "mismatch rate", "new errors"]
    headers += ["p95 new/old", "p99 new/old"]
    rows = [
        [
            code(view.entity),
            fmt.stage_move(view.readiness),
            f"**{fmt.verdict_word(view.readiness)}**",
            str(view.comparisons),
            fmt.percent(view.mismatch_rate),
            fmt.error_rate(view.errors, "new"),
            fmt.ratio(view.latency.ratio_p95),
            fmt.ratio(view.latency.ratio_p99),
        ]
        for view in report.entities
    ]
    if not rows:
        return ["## Readiness", "", "No records of any entity.", ""]
    return ["## Readiness", "", *table(headers, rows)]


def _verdict(view: EntityView) -> list[str]:
    readiness = view.readiness
    lines = [f"## {view.entity}: {fmt.verdict_word(readiness)} ({fmt.stage_move(readiness)})", ""]
    for check in readiness.checks:
        mark = "pass" if check.passed else "**FAIL**"
        limit = fmt.limit_text(check.name, check.limit)
        lines.append(f"- {mark} `{check.name}` ({limit}): {cell(check.detail)}")
    return [*lines, ""]


def _categories(view: EntityView) -> list[str]:
    headers = ["operation", "kind", "comparisons"]
    headers += [fmt.CATEGORY_LABELS[c] for c in fmt.MISMATCH_CATEGORIES] + ["mismatch rate"]
    rows = [[code(op.operation), op.op_kind or "-", *fmt.counts(op)] for op in view.operations]
    rows.append(["**all**", "", *fmt.counts(view)])
    return ["### Comparisons by category", "", *table(headers, rows)]


def _paths(view: EntityView) -> list[str]:
    if not view.paths:
        return ["### Differing field paths", "", "None.", ""]
    headers = ["operation", "category", "path", "count", "example", "old", "new"]
    rows = [
        [
            code(operation),
            fmt.CATEGORY_LABELS.get(path.category, path.category),
            code(path.path),
            str(path.count),
            code(path.example_path),
            code(path.old),
            code(path.new),
        ]
        for operation, path in view.paths
    ]
    return ["### Differing field paths", "", *table(headers, rows)]


def _error_rows(operation: str, origins: tuple[OriginView, ...]) -> list[list[str]]:
    rows = []
    for origin in origins:
        if origin.errors:
            common = "; ".join(f"{t.error_type} ({t.count}): {t.example}" for t in origin.types)
            rows.append(
                [
                    code(operation),
                    origin.origin,
                    f"{origin.errors} / {origin.calls}",
                    fmt.percent(origin.rate),
                    cell(common),
                ]
            )
    return rows


def _errors(view: EntityView) -> list[str]:
    rows = [row for op in view.operations for row in _error_rows(op.operation, op.errors)]
    if not rows:
        return ["### Errors by origin", "", "None.", ""]
    headers = ["operation", "origin", "errors / calls", "rate", "commonest"]
    return ["### Errors by origin", "", *table(headers, rows)]


def _latency(view: EntityView) -> list[str]:
    rows = [[code(op.operation), *fmt.latency_cells(op.latency)] for op in view.operations]
    rows.append(["**all**", *fmt.latency_cells(view.latency)])
    headers = ["operation", *fmt.LATENCY_HEADERS]
    return ["### Latency of compared calls (ms)", "", *table(headers, rows)]


def _drops(view: EntityView) -> list[str]:
    rows = [
        [code(op.operation), cell(reason), str(count)]
        for op in view.operations
        for reason, count in sorted(op.drops.items())
    ]
    if not rows:
        return ["### Shadow drops", "", "None.", ""]
    return ["### Shadow drops", "", *table(["operation", "reason", "count"], rows)]


def _router(report: Report) -> list[str]:
    if not report.router_errors:
        return []
    rows = [
        [code(part.origin), str(part.errors), cell("; ".join(t.example for t in part.types))]
        for part in report.router_errors
    ]
    return ["## Failures of the router itself", "", *table(["part", "count", "example"], rows)]


def _malformed(report: Report) -> list[str]:
    if not report.malformed_count:
        return []
    lines = ["## Malformed lines", ""]
    lines += [f"- {code(line.where)}: {cell(line.reason)}" for line in report.malformed]
    hidden = report.malformed_count - len(report.malformed)
    if hidden:
        lines.append(f"- … and {hidden} more")
    return [*lines, ""]


def render_markdown(report: Report) -> str:
    """The whole report as one Markdown document."""
    lines = [*_header(report), *_summary(report)]
    for view in report.entities:
        lines += _verdict(view)
        for section in (_categories, _paths, _errors, _latency, _drops):
            lines += section(view)
    lines += _router(report)
    lines += _malformed(report)
    return "\n".join(lines).rstrip() + "\n"
