"""Comparison reports and the readiness gate, from the router's JSON lines records.

::

    from dal.reporting import report_from_files, resolve_thresholds, write_report

    report = report_from_files(["var/records.jsonl"], resolve_thresholds(Path("config/flags.toml")))
    write_report(report, Path("out/report"))
    report.entity("users").readiness.ready

See ``docs/reports.md`` for what a report holds, the verdict rules and the gate.
"""

from dal.reporting.aggregate import Aggregator, EntityStats, OperationStats
from dal.reporting.model import (
    REPORT_VERSION,
    EntityView,
    ErrorTypeView,
    LatencyView,
    OperationView,
    OriginView,
    PathView,
    Report,
    build_report,
)
from dal.reporting.records import STDIN, Malformed, ReportInputError
from dal.reporting.redact import DEFAULT_SENSITIVE, ReportRedactor
from dal.reporting.render_html import render_html
from dal.reporting.render_markdown import render_markdown
from dal.reporting.reports import (
    ReportFiles,
    UnknownEntity,
    aggregate_files,
    gate,
    gate_to_dict,
    render_json,
    report_from_files,
    write_report,
)
from dal.reporting.sources import check_sources, expand_sources, read_sources
from dal.reporting.thresholds import (
    BUILT_IN,
    THRESHOLDS,
    EntityThresholds,
    Threshold,
    Thresholds,
    ThresholdsError,
    load_thresholds,
    resolve_thresholds,
    thresholds_from_flags,
)
from dal.reporting.verdict import Check, Readiness, assess, next_stage

__all__ = [
    "BUILT_IN",
    "DEFAULT_SENSITIVE",
    "REPORT_VERSION",
    "STDIN",
    "THRESHOLDS",
    "Aggregator",
    "Check",
    "EntityStats",
    "EntityThresholds",
    "EntityView",
    "ErrorTypeView",
    "LatencyView",
    "Malformed",
    "OperationStats",
    "OperationView",
    "OriginView",
    "PathView",
    "Readiness",
    "Report",
    "ReportFiles",
    "ReportInputError",
    "ReportRedactor",
    "Threshold",
    "Thresholds",
    "ThresholdsError",
    "UnknownEntity",
    "aggregate_files",
    "assess",
    "build_report",
    "check_sources",
    "expand_sources",
    "gate",
    "gate_to_dict",
    "load_thresholds",
    "next_stage",
    "read_sources",
    "render_html",
    "render_json",
    "render_markdown",
    "report_from_files",
    "resolve_thresholds",
    "thresholds_from_flags",
    "write_report",
]
