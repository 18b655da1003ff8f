"""The report as one self-contained HTML page (``report.html``).

Inline CSS and inline SVG charts (:mod:`dal.reporting.charts`) only: no script,
no external stylesheet, font or image, so the file can be mailed, attached to a
CI run or opened offline, and reads the same without JavaScript (per-operation
details use ``<details>``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from dal.reporting import charts as charts_svg
from dal.reporting import formatting as fmt
from dal.reporting.formatting import when as _when
from dal.reporting.model import EntityView, OperationView, Report

__all__ = ["render_html"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;
max-width:1200px;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #d0d7de;
padding-bottom:.3rem}h3{font-size:1rem;margin:1.4rem 0 .4rem}
table{border-collapse:collapse;margin:.4rem 0 1rem;width:100%}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;
padding:0 .25rem;border-radius:3px;word-break:break-word}
.badge{display:inline-block;padding:.05rem .55rem;border-radius:1rem;font-weight:600;
font-size:.85rem}.ready{background:#dafbe1;color:#116329}.not-ready{background:#ffebe9;
color:#a40e26}.muted{color:#59636e}.fail{color:#a40e26;font-weight:600}.pass{color:#116329}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:.5rem .8rem;border-radius:6px}
details{margin:.3rem 0}summary{cursor:pointer;font-weight:600}
svg.chart{display:block;max-width:100%;height:auto;margin:.4rem 0 1rem;
font-family:system-ui,sans-serif}
"""

MAX_SOURCES_SHOWN = 5
"""The header names this many files, then says how many more were read."""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _code(text: str) -> str:
    return f"<code>{_e(text)}</code>" if text else "-"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], numeric: set[int]) -> str:
    """A table; cells are HTML already; columns in ``numeric`` are right-aligned."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _badge(view: EntityView) -> str:
    style = "ready" if view.readiness.ready else "not-ready"
    return f'<span class="badge {style}">{_e(fmt.verdict_word(view.readiness))}</span>'


def _header(report: Report) -> str:
    names = list(report.sources)
    files = ", ".join(_code(source) for source in names[:MAX_SOURCES_SHOWN]) or "no file"
    if len(names) > MAX_SOURCES_SHOWN:
        files += f" and {len(names) - MAX_SOURCES_SHOWN} more files"
    parts = [
        "<h1>Migration comparison report</h1>",
        f'<p class="muted">Generated {_e(_when(report.generated_at))} from '
        f"{sum(report.records.values())} records in {files}. Thresholds: "
        f"{_e(report.thresholds_source)}.</p>",
    ]
    if report.first_record_at and report.last_record_at:
        parts.append(
            f'<p class="muted">Records from {_e(_when(report.first_record_at))} to '
            f"{_e(_when(report.last_record_at))}.</p>"
        )
    if report.malformed_count:
        first = report.malformed[0]
        parts.append(
            f'<p class="note"><strong>{report.malformed_count} malformed line(s) skipped</strong>,'
            f" the first at {_code(first.where)}: {_e(first.reason)} (all listed at the end).</p>"
        )
    return "".join(parts)


def _summary(report: Report) -> str:
    if not report.entities:
        return "<h2>Readiness</h2><p>No records of any entity.</p>"
    headers = ["entity", "stage", "verdict", "comparisons", "mismatch rate", "new errors"]
    headers += ["p95 new/old", "p99 new/old"]
    rows = [
        [
            f'<a href="#{_e(v.entity)}">{_e(v.entity)}</a>',
            _e(fmt.stage_move(v.readiness)),
            _badge(v),
            str(v.comparisons),
            fmt.percent(v.mismatch_rate),
            _e(fmt.error_rate(v.errors, "new")),
            fmt.ratio(v.latency.ratio_p95),
            fmt.ratio(v.latency.ratio_p99),
        ]
        for v in report.entities
    ]
    return "<h2>Readiness</h2>" + _table(headers, rows, {3, 4, 5, 6, 7})


def _checks(view: EntityView) -> str:
    items = []
    for check in view.readiness.checks:
        mark = (
            '<span class="pass">pass</span>' if check.passed else '<span class="fail">FAIL</span>'
        )
        limit = fmt.limit_text(check.name, check.limit)
        items.append(f"<li>{mark} {_code(check.name)} ({_e(limit)}): {_e(check.detail)}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def _categories(view: EntityView) -> str:
    headers = ["operation", "kind", "comparisons"]
    headers += [fmt.CATEGORY_LABELS[c] for c in fmt.MISMATCH_CATEGORIES] + ["mismatch rate"]
    rows = [[_code(op.operation), _e(op.op_kind or "-"), *fmt.counts(op)] for op in view.operations]
    rows.append(["<strong>all</strong>", "", *fmt.counts(view)])
    return "<h3>Comparisons by category</h3>" + _table(headers, rows, set(range(2, 8)))


def _over_time(view: EntityView) -> str:
    charts = charts_svg.comparisons_chart(view) + charts_svg.latency_chart(view)
    if not charts:
        return ""
    width = fmt.duration(view.timeline.bucket_seconds)
    return (
        f'<h3>Over time</h3><p class="muted">Time buckets of {_e(width)}; shaded by the '
        "stage the records were in, stage changes marked with a dashed line.</p>" + charts
    )


def _paths(view: EntityView) -> str:
    if not view.paths:
        return "<h3>Differing field paths</h3><p>None.</p>"
    headers = ["operation", "category", "path", "count", "example", "old", "new"]
    rows = [
        [
            _code(operation),
            _e(fmt.CATEGORY_LABELS.get(p.category, p.category)),
            _code(p.path),
            str(p.count),
            _code(p.example_path),
            _code(p.old),
            _code(p.new),
        ]
        for operation, p in view.paths
    ]
    chart = charts_svg.paths_chart(view)
    return "<h3>Differing field paths</h3>" + chart + _table(headers, rows, {3})


def _errors(view: EntityView) -> str:
    rows = [
        [
            _code(op.operation),
            _e(o.origin),
            f"{o.errors} / {o.calls}",
            fmt.percent(o.rate),
            "<br>".join(f"{_e(t.error_type)} ({t.count}): {_e(t.example)}" for t in o.types),
        ]
        for op in view.operations
        for o in op.errors
        if o.errors
    ]
    if not rows:
        return "<h3>Errors by origin</h3><p>None.</p>"
    headers = ["operation", "origin", "errors / calls", "rate", "commonest"]
    return "<h3>Errors by origin</h3>" + _table(headers, rows, {2, 3})


def _latency(view: EntityView) -> str:
    rows = [[_code(op.operation), *fmt.latency_cells(op.latency)] for op in view.operations]
    rows.append(["<strong>all</strong>", *fmt.latency_cells(view.latency)])
    headers = ["operation", *fmt.LATENCY_HEADERS]
    return "<h3>Latency of compared calls (ms)</h3>" + _table(headers, rows, set(range(1, 10)))


def _drops(view: EntityView) -> str:
    rows = [
        [_code(op.operation), _e(reason), str(count)]
        for op in view.operations
        for reason, count in sorted(op.drops.items())
    ]
    if not rows:
        return "<h3>Shadow drops</h3><p>None.</p>"
    return "<h3>Shadow drops</h3>" + _table(["operation", "reason", "count"], rows, {2})


def _stages(op: OperationView) -> str:
    return ", ".join(f"{_e(stage)} {count}" for stage, count in sorted(op.stages.items())) or "-"


def _operation_details(view: EntityView) -> str:
    parts = []
    for op in view.operations:
        paths = _table(
            ["category", "path", "count", "example", "old", "new"],
            (
                [
                    _e(p.category),
                    _code(p.path),
                    str(p.count),
                    _code(p.example_path),
                    _code(p.old),
                    _code(p.new),
                ]
                for p in op.paths
            ),
            {2},
        )
        parts.append(
            f"<details><summary>{_e(op.operation)}</summary>"
            f"<p>Comparisons by stage: {_stages(op)}; re-read: {op.rereads}; "
            f"re-read failed (unconfirmed): {op.unconfirmed}.</p>"
            f"{paths if op.paths else '<p>No differences.</p>'}</details>"
        )
    return "<h3>Operations in detail</h3>" + "".join(parts)


def _entity(view: EntityView) -> str:
    title = f'<h2 id="{_e(view.entity)}">{_e(view.entity)} {_badge(view)}</h2>'
    move = f"<p>Stage: {_e(fmt.stage_move(view.readiness))}</p>"
    sections = (_over_time, _categories, _paths, _errors, _latency, _drops, _operation_details)
    return title + move + _checks(view) + "".join(section(view) for section in sections)


def _router(report: Report) -> str:
    if not report.router_errors:
        return ""
    rows = [
        [_code(p.origin), str(p.errors), "<br>".join(_e(t.example) for t in p.types)]
        for p in report.router_errors
    ]
    return "<h2>Failures of the router itself</h2>" + _table(
        ["part", "count", "example"], rows, {1}
    )


def _malformed(report: Report) -> str:
    if not report.malformed_count:
        return ""
    items = "".join(f"<li>{_code(m.where)}: {_e(m.reason)}</li>" for m in report.malformed)
    hidden = report.malformed_count - len(report.malformed)
    more = f"<li>… and {hidden} more</li>" if hidden else ""
    return f"<h2>Malformed lines</h2><ul>{items}{more}</ul>"


def _stage_timeline(report: Report) -> str:
    chart = charts_svg.stage_timeline_chart(report.entities)
    return f"<h2>Stage timeline</h2>{chart}" if chart else ""


def render_html(report: Report) -> str:
    """The whole report as one HTML document."""
    body = _header(report) + _summary(report) + _stage_timeline(report)
    body += "".join(_entity(view) for view in report.entities)
    body += _router(report) + _malformed(report)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Migration comparison report</title><style>{_CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )
