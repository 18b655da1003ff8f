"""From JSON lines files to a report on disk: the functions behind ``dal report``.

::

    report = report_from_files(["records.jsonl"], resolve_thresholds(Path("flags.toml")))
    paths = write_report(report, Path("out/report"))   # report.json, report.md, report.html
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dal.reporting.aggregate import Aggregator
from dal.reporting.model import Report, build_report, plain
from dal.reporting.records import ReportInputError
from dal.reporting.redact import DEFAULT_SENSITIVE, ReportRedactor
from dal.reporting.render_html import render_html
from dal.reporting.render_markdown import render_markdown
from dal.reporting.sources import ProgressSink, read_sources
from dal.reporting.thresholds import Thresholds
from dal.reporting.verdict import Readiness, assess

__all__ = [
    "ReportFiles",
    "UnknownEntity",
    "aggregate_files",
    "gate",
    "gate_to_dict",
    "render_json",
    "report_from_files",
    "write_report",
]


class UnknownEntity(ReportInputError):
    """The records hold nothing about the entity asked for."""


def aggregate_files(
    sources: Iterable[str],
    *,
    sensitive: Collection[str] = DEFAULT_SENSITIVE,
    progress: ProgressSink | None = None,
) -> Aggregator:
    """Read every line of ``sources`` into an :class:`Aggregator`.

    A source is a file (plain or gzip), a folder of record files, a glob or ``-``
    (standard input): :mod:`dal.reporting.sources`. Raises
    :class:`~dal.reporting.records.ReportInputError` for a file that cannot be
    opened; malformed lines are counted, never raised. ``progress`` is told the
    bytes read as reading goes on.
    """
    lines = read_sources(sources, progress)
    return Aggregator(redactor=ReportRedactor(sensitive)).consume(lines)


def report_from_files(
    sources: Iterable[str],
    thresholds: Thresholds,
    *,
    sensitive: Collection[str] = DEFAULT_SENSITIVE,
) -> Report:
    """The report over ``sources``, with verdicts against ``thresholds``."""
    return build_report(aggregate_files(sources, sensitive=sensitive), thresholds)


def gate(entity: str, aggregator: Aggregator, thresholds: Thresholds) -> Readiness:
    """The readiness of ``entity`` in the aggregated records (what ``dal gate`` decides on).

    Raises :class:`UnknownEntity`, listing the entities present, when no record names it.
    """
    stats = aggregator.entities.get(entity)
    if stats is None:
        present = ", ".join(sorted(aggregator.entities)) or "none"
        raise UnknownEntity(f"no records of entity {entity!r} (entities in the records: {present})")
    return assess(aggregator, stats, thresholds.for_entity(entity))


def gate_to_dict(readiness: Readiness, thresholds: Thresholds) -> dict[str, Any]:
    """The gate's answer as data (``dal gate --json``).

    The verdict and its checks, as in a report's ``readiness``; the limits that
    applied; and where they came from (``thresholds_source``, as in a report).
    """
    return {
        **plain(readiness),
        "thresholds": dict(thresholds.for_entity(readiness.entity).values),
        "thresholds_source": thresholds.source,
    }


def render_json(report: Report) -> str:
    """The report as indented JSON (``report.json``)."""
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


@dataclass(frozen=True)
class ReportFiles:
    """Where :func:`write_report` put the three renderings."""

    json: Path
    markdown: Path
    html: Path


def _write(path: Path, text: str) -> Path:
    """Write ``text`` next to ``path`` and move it into place, so readers never see half a file."""
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # an old partial file may have had another mode
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(partial, path)
    return path


def write_report(report: Report, out: Path) -> ReportFiles:
    """Write ``report.json``, ``report.md`` and ``report.html`` into the folder ``out``.

    Each file is readable and writable by its owner only (mode 0600).
    """
    out.mkdir(parents=True, exist_ok=True)
    return ReportFiles(
        json=_write(out / "report.json", render_json(report)),
        markdown=_write(out / "report.md", render_markdown(report)),
        html=_write(out / "report.html", render_html(report)),
    )
