"""How numbers and verdicts read in the Markdown and HTML reports (and on the terminal)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from dal.reporting.model import EntityView, LatencyView, OperationView, OriginView
from dal.reporting.thresholds import THRESHOLDS
from dal.reporting.verdict import Readiness

__all__ = [
    "CATEGORY_LABELS",
    "LATENCY_HEADERS",
    "MISMATCH_CATEGORIES",
    "counts",
    "duration",
    "error_rate",
    "latency_cells",
    "limit_text",
    "milliseconds",
    "percent",
    "ratio",
    "stage_move",
    "verdict_word",
    "when",
]

MISMATCH_CATEGORIES = ("drift", "exception", "expected_staleness", "transient")
"""The categories shown as columns, the gated ones first."""

CATEGORY_LABELS: Mapping[str, str] = {
    "match": "match",
    "drift": "drift",
    "exception": "exception",
    "expected_staleness": "expected staleness",
    "transient": "transient",
}

LATENCY_HEADERS = (
    "timed calls",
    "old p50",
    "old p95",
    "old p99",
    "new p50",
    "new p95",
    "new p99",
    "p95 new/old",
    "p99 new/old",
)


def when(moment: datetime) -> str:
    """A timestamp to the second, ISO 8601."""
    return moment.isoformat(timespec="seconds")


def percent(rate: float) -> str:
    """``0.0123`` as ``1.23%``."""
    return f"{rate * 100:.2f}%"


def milliseconds(value: float | None) -> str:
    """A latency in ms, or a dash."""
    return "-" if value is None else f"{value:.3g}" if value < 10 else f"{value:.0f}"


def ratio(value: float | None) -> str:
    """A latency ratio such as ``1.42x``, or a dash."""
    return "-" if value is None else f"{value:.2f}x"


def latency_cells(latency: LatencyView) -> list[str]:
    """The cells under :data:`LATENCY_HEADERS`."""
    old, new = latency.old, latency.new
    return [
        str(old.count),
        milliseconds(old.p50),
        milliseconds(old.p95),
        milliseconds(old.p99),
        milliseconds(new.p50),
        milliseconds(new.p95),
        milliseconds(new.p99),
        ratio(latency.ratio_p95),
        ratio(latency.ratio_p99),
    ]


def counts(view: EntityView | OperationView) -> list[str]:
    """Comparisons, then the count and rate of each mismatch category, then the gated rate."""
    cells = [str(view.comparisons)]
    for category in MISMATCH_CATEGORIES:
        count = view.categories.get(category, 0)
        cells.append(f"{count} ({percent(view.rates.get(category, 0.0))})" if count else "0")
    cells.append(percent(view.mismatch_rate))
    return cells


def error_rate(origins: tuple[OriginView, ...], origin: str) -> str:
    """``3 / 1200 (0.25%)`` for one origin."""
    for view in origins:
        if view.origin == origin:
            return f"{view.errors} / {view.calls} ({percent(view.rate)})"
    return "-"


def limit_text(name: str, limit: float) -> str:
    """A threshold as a phrase: ``at least 100``, ``at most 0.10%``, ``at most 2x``."""
    threshold = THRESHOLDS.get(name)
    if threshold is None or threshold.kind == "ratio":
        return f"at most {limit:g}x"
    if threshold.kind == "count":
        return f"at least {limit:.0f}"
    return f"at most {percent(limit)}"


def verdict_word(readiness: Readiness) -> str:
    """``ready`` or ``not ready``."""
    return "ready" if readiness.ready else "not ready"


def stage_move(readiness: Readiness) -> str:
    """``shadow → live``, ``complete (last stage)`` or ``unknown``."""
    if readiness.stage is None:
        return "unknown"
    if readiness.next_stage is None:
        return f"{readiness.stage} (last stage)"
    return f"{readiness.stage} → {readiness.next_stage}"


def duration(seconds: float) -> str:
    """A length of time for people: ``1 s``, ``4 min 16 s``, ``2 h 8 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{seconds:g} s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
