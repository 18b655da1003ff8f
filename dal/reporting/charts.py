"""The HTML report's charts, as inline SVG: no script, no network, drawn by any browser.

* :func:`latency_chart`: p50 and p95 of each side per time bucket;
* :func:`comparisons_chart`: comparisons per time bucket (bars) and the mismatch
  rate (a line, right axis), over bands of the stage the entity was in;
* :func:`stage_timeline_chart`: every entity's stages over the records' time span;
* :func:`paths_chart`: the field paths that differed most, by category.

Every chart is an ``<svg class="chart" data-chart="...">`` with a ``<title>``; what
it plots carries the class ``mark`` (a test counts what the browser rendered).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from dal.reporting.model import EntityView, PathView
from dal.reporting.timeline import StageChange, StageSpan, TimelineView

__all__ = [
    "STAGE_COLOURS",
    "comparisons_chart",
    "latency_chart",
    "paths_chart",
    "stage_timeline_chart",
]

STAGE_COLOURS = {
    "off": "#8c959f",
    "dual_write": "#54aeff",
    "shadow": "#d4a72c",
    "live": "#2da44e",
    "rampdown": "#8250df",
    "complete": "#0a3069",
}
_OTHER_STAGE = "#afb8c1"
_SIDES = (("old", "#0969da"), ("new", "#e16f24"))
_CATEGORY_COLOURS = {
    "drift": "#cf222e",
    "exception": "#8250df",
    "expected_staleness": "#bf8700",
    "transient": "#8c959f",
}
_WIDTH, _HEIGHT = 1000, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 60, 60, 30, 34


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _n(value: float) -> str:
    return f"{value:.1f}"


@dataclass(frozen=True)
class _Frame:
    """The plot area and the time axis of one chart."""

    start: datetime
    end: datetime
    width: int = _WIDTH
    height: int = _HEIGHT
    left: int = _LEFT

    @property
    def seconds(self) -> float:
        return max((self.end - self.start).total_seconds(), 1e-3)

    def x(self, at: datetime) -> float:
        share = (at - self.start).total_seconds() / self.seconds
        return self.left + share * (self.width - self.left - _RIGHT)

    def y(self, value: float, top: float) -> float:
        share = value / top if top > 0 else 0.0
        return self.height - _BOTTOM - share * (self.height - _TOP - _BOTTOM)

    @property
    def bottom(self) -> float:
        return self.height - _BOTTOM


def _svg(kind: str, title: str, body: str, width: int = _WIDTH, height: int = _HEIGHT) -> str:
    return (
        f'<svg class="chart" data-chart="{_e(kind)}" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{_e(title)}</title>{body}</svg>"
    )


def _time_label(at: datetime, seconds: float) -> str:
    return at.strftime("%H:%M:%S" if seconds < 86_400 else "%m-%d %H:%M")


def _time_axis(frame: _Frame) -> str:
    parts = [
        f'<line x1="{frame.left}" y1="{_n(frame.bottom)}" x2="{frame.width - _RIGHT}" '
        f'y2="{_n(frame.bottom)}" stroke="#8c959f"/>'
    ]
    for step in range(5):
        at = frame.start + timedelta(seconds=frame.seconds * step / 4)
        x = frame.x(at)
        parts.append(
            f'<text x="{_n(x)}" y="{_n(frame.bottom + 16)}" font-size="11" fill="#59636e" '
            f'text-anchor="middle">{_e(_time_label(at, frame.seconds))}</text>'
        )
    return "".join(parts)


def _amount(value: float) -> str:
    """An axis label: ``0.25``, ``7.5``, ``1,250``."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _nice(top: float) -> float:
    """The smallest of 1, 2, 2.5, 5 (times a power of ten) at or above ``top``, so that a
    quarter of it is a round tick."""
    if top <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(top))
    return next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= top)


def _value_axis(
    frame: _Frame, top: float, label: Callable[[float], str], *, right: bool = False
) -> str:
    x = frame.width - _RIGHT + 6 if right else frame.left - 6
    anchor = "start" if right else "end"
    parts = []
    for step in range(5):
        value = top * step / 4
        y = frame.y(value, top)
        if not right:
            parts.append(
                f'<line x1="{frame.left}" y1="{_n(y)}" x2="{frame.width - _RIGHT}" y2="{_n(y)}" '
                'stroke="#eaeef2"/>'
            )
        parts.append(
            f'<text x="{x}" y="{_n(y + 4)}" font-size="11" fill="#59636e" '
            f'text-anchor="{anchor}">{_e(label(value))}</text>'
        )
    return "".join(parts)


def _legend(items: Sequence[tuple[str, str, str]], x: float = _LEFT) -> str:
    """``(label, colour, dash)`` items in a row above the plot."""
    parts = []
    for label, colour, dash in items:
        parts.append(
            f'<line x1="{_n(x)}" y1="14" x2="{_n(x + 18)}" y2="14" stroke="{colour}" '
            f'stroke-width="2.5" stroke-dasharray="{dash}"/>'
            f'<text x="{_n(x + 23)}" y="18" font-size="11" fill="#1f2328">{_e(label)}</text>'
        )
        x += 34 + 7 * len(label)
    return "".join(parts)


def _stage_bands(frame: _Frame, spans: Sequence[StageSpan]) -> str:
    parts = []
    for span in spans:
        x0, x1 = frame.x(span.start), frame.x(span.end)
        colour = STAGE_COLOURS.get(span.stage, _OTHER_STAGE)
        parts.append(
            f'<rect class="band" x="{_n(x0)}" y="{_TOP}" width="{_n(max(x1 - x0, 1))}" '
            f'height="{_n(frame.bottom - _TOP)}" fill="{colour}" fill-opacity="0.10"/>'
        )
    return "".join(parts)


def _change_marks(frame: _Frame, changes: Sequence[StageChange]) -> str:
    parts = []
    for change in changes:
        x = frame.x(change.at)
        parts.append(
            f'<g class="stage-change"><line x1="{_n(x)}" y1="{_TOP - 4}" x2="{_n(x)}" '
            f'y2="{_n(frame.bottom)}" stroke="#1f2328" stroke-dasharray="4 3"/>'
            f'<text x="{_n(x + 3)}" y="{_TOP + 8}" font-size="10" fill="#1f2328">'
            f"{_e(change.after)}</text></g>"
        )
    return "".join(parts)


def _frame(timeline: TimelineView) -> _Frame:
    first = timeline.points[0].start
    last = timeline.points[-1].start + timedelta(seconds=timeline.bucket_seconds)
    return _Frame(first, last)


def _series(frame: _Frame, points: Sequence[tuple[datetime, float]], top: float) -> str:
    coordinates = [(frame.x(at), frame.y(value, top)) for at, value in points]
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in coordinates)


def latency_chart(view: EntityView) -> str:
    """p50 (solid) and p95 (dashed) latency of each side per time bucket, in ms."""
    timeline = view.timeline
    points = [p for p in timeline.points if p.old_p50 is not None and p.new_p50 is not None]
    if not points:
        return ""
    frame = _frame(timeline)
    series = {
        ("old", "p50"): [(p.start, p.old_p50) for p in points],
        ("old", "p95"): [(p.start, p.old_p95) for p in points],
        ("new", "p50"): [(p.start, p.new_p50) for p in points],
        ("new", "p95"): [(p.start, p.new_p95) for p in points],
    }
    half = timedelta(seconds=timeline.bucket_seconds / 2)
    top = _nice(max(value or 0.0 for values in series.values() for _, value in values))
    body = [_stage_bands(frame, timeline.stages), _value_axis(frame, top, _amount)]
    body.append(_time_axis(frame))
    legend = []
    for side, colour in _SIDES:
        for percentile, dash in (("p50", ""), ("p95", "5 3")):
            values = [(at + half, value or 0.0) for at, value in series[(side, percentile)]]
            body.append(
                f'<polyline class="mark" data-series="{side}-{percentile}" fill="none" '
                f'stroke="{colour}" stroke-width="2" stroke-dasharray="{dash}" '
                f'points="{_series(frame, values, top)}"/>'
            )
            if percentile == "p50":
                body.extend(
                    f'<circle class="mark" cx="{_n(frame.x(at))}" cy="{_n(frame.y(v, top))}" '
                    f'r="2.5" fill="{colour}"/>'
                    for at, v in values
                )
            legend.append((f"{side} {percentile} (ms)", colour, dash))
    body.append(_change_marks(frame, timeline.changes))
    body.append(_legend(legend))
    return _svg("latency", f"{view.entity}: latency per side over time (ms)", "".join(body))


def comparisons_chart(view: EntityView) -> str:
    """Comparisons per time bucket (bars, left axis) and the mismatch rate (line, right axis)."""
    timeline = view.timeline
    points = [p for p in timeline.points if p.comparisons]
    if not points:
        return ""
    frame = _frame(timeline)
    top = _nice(max(p.comparisons for p in points))
    rate_top = _nice(max(max(p.mismatch_rate or 0.0 for p in points), 0.01))
    step = timedelta(seconds=timeline.bucket_seconds)
    body = [_stage_bands(frame, timeline.stages), _value_axis(frame, top, _amount)]
    body.append(_value_axis(frame, rate_top, lambda v: f"{v:.1%}", right=True))
    body.append(_time_axis(frame))
    for point in points:
        x0, x1 = frame.x(point.start), frame.x(point.start + step)
        y = frame.y(point.comparisons, top)
        body.append(
            f'<rect class="mark" x="{_n(x0 + 0.5)}" y="{_n(y)}" width="{_n(max(x1 - x0 - 1, 1))}" '
            f'height="{_n(frame.bottom - y)}" fill="#8c959f" fill-opacity="0.55">'
            f"<title>{_e(point.start.isoformat())}: {point.comparisons} comparisons, "
            f"{point.mismatched} mismatched</title></rect>"
        )
    half = step / 2
    rates = [(p.start + half, p.mismatch_rate or 0.0) for p in points]
    body.append(
        f'<polyline class="mark" data-series="mismatch-rate" fill="none" stroke="#cf222e" '
        f'stroke-width="2" points="{_series(frame, rates, rate_top)}"/>'
    )
    body.extend(
        f'<circle class="mark" cx="{_n(frame.x(at))}" cy="{_n(frame.y(v, rate_top))}" r="2.5" '
        'fill="#cf222e"/>'
        for at, v in rates
    )
    body.append(_change_marks(frame, timeline.changes))
    body.append(
        _legend([("comparisons", "#8c959f", ""), ("mismatch rate (right axis)", "#cf222e", "")])
    )
    title = f"{view.entity}: comparisons and mismatch rate over time, stage changes marked"
    return _svg("comparisons", title, "".join(body))


def stage_timeline_chart(views: Sequence[EntityView]) -> str:
    """One row per entity: the stage its records were in, over the report's time span."""
    rows = [view for view in views if view.timeline.stages]
    if not rows:
        return ""
    start = min(view.timeline.stages[0].start for view in rows)
    end = max(view.timeline.stages[-1].end for view in rows)
    height = _TOP + 26 * len(rows) + _BOTTOM + 4
    left = max(_LEFT, 12 + 7 * max(len(view.entity) for view in rows))
    frame = _Frame(start, end, height=height, left=left)
    body = [_time_axis(frame)]
    for row, view in enumerate(rows):
        y = _TOP + 26 * row
        body.append(
            f'<text x="{left - 6}" y="{y + 15}" font-size="11" text-anchor="end" '
            f'fill="#1f2328">{_e(view.entity)}</text>'
        )
        for span in view.timeline.stages:
            x0, x1 = frame.x(span.start), frame.x(span.end)
            colour = STAGE_COLOURS.get(span.stage, _OTHER_STAGE)
            body.append(
                f'<rect class="mark" data-stage="{_e(span.stage)}" x="{_n(x0)}" y="{y}" '
                f'width="{_n(max(x1 - x0, 1.5))}" height="20" fill="{colour}">'
                f"<title>{_e(view.entity)}: {_e(span.stage)} from {_e(span.start.isoformat())}"
                f" to {_e(span.end.isoformat())}</title></rect>"
            )
            if x1 - x0 > 8 * len(span.stage):
                body.append(
                    f'<text x="{_n(x0 + 4)}" y="{y + 14}" font-size="10" fill="#fff">'
                    f"{_e(span.stage)}</text>"
                )
    seen = list(dict.fromkeys(s.stage for view in rows for s in view.timeline.stages))
    body.append(_legend([(s, STAGE_COLOURS.get(s, _OTHER_STAGE), "") for s in seen], left))
    return _svg("stages", "Stage timeline per entity", "".join(body), height=height)


def paths_chart(view: EntityView) -> str:
    """The field paths that differed most (all operations), one bar each, by category."""
    paths: list[tuple[str, PathView]] = list(view.paths)
    if not paths:
        return ""
    height = _TOP + 22 * len(paths) + 10
    label_width = 250
    most = max(path.count for _, path in paths)
    body = []
    for row, (operation, path) in enumerate(paths):
        y = _TOP + 22 * row
        width = (_WIDTH - label_width - 80) * path.count / most
        colour = _CATEGORY_COLOURS.get(path.category, "#8c959f")
        label = f"{operation}: {path.path}"
        body.append(
            f'<text x="{label_width - 6}" y="{y + 13}" font-size="11" text-anchor="end" '
            f'fill="#1f2328">{_e(label[:40])}</text>'
            f'<rect class="mark" x="{label_width}" y="{y + 2}" width="{_n(max(width, 1.5))}" '
            f'height="15" fill="{colour}"><title>{_e(label)} ({_e(path.category)}): '
            f"{path.count}</title></rect>"
            f'<text x="{_n(label_width + max(width, 1.5) + 5)}" y="{y + 13}" font-size="11" '
            f'fill="#59636e">{path.count}</text>'
        )
    categories = list(dict.fromkeys(path.category for _, path in paths))
    body.append(_legend([(c, _CATEGORY_COLOURS.get(c, "#8c959f"), "") for c in categories]))
    title = f"{view.entity}: top differing field paths"
    return _svg("paths", title, "".join(body), height=height)
