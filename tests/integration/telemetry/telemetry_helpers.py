"""What the telemetry tests share: the SDK of one test, the tickets they write."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from dal.telemetry import Telemetry

OWNER_EMAIL = "ada.lovelace@example.com"
"""The project's owner email: sensitive, so it must appear in no metric or span."""

numbers = itertools.count(1000)
"""Ticket numbers, unique within the run."""


@dataclass
class Sdk:
    """An OpenTelemetry SDK of one test, and the layer's instruments over it."""

    metrics: InMemoryMetricReader
    spans: InMemorySpanExporter
    telemetry: Telemetry
    telemetry_meters: MeterProvider
    threads: dict[int, str]
    """The thread each span started on, by span id."""

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())


class ThreadNames(SimpleSpanProcessor):
    def __init__(self, exporter: InMemorySpanExporter, threads: dict[int, str]) -> None:
        super().__init__(exporter)
        self._threads = threads

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self._threads[span.context.span_id] = threading.current_thread().name


def new_ticket(number: int) -> dict[str, Any]:
    return {
        "project_id": 1,
        "number": number,
        "code": f"OTEL-{number}",
        "title": f"Secret plan {number}",
        "status": "open",
        "estimate": Decimal("2.5"),
        "due_at": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        "label_id": None,
    }
