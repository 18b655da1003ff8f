"""One failed secondary write, made to fail by a fault proxy in front of DynamoDB Local:
its error record, its log line and its repair-log entry carry one correlation id, the
trace id of its span when an SDK records it, else an id the router made for the call."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.trace import NoOpTracerProvider, format_trace_id
from support.proxy import FaultProxy
from telemetry_helpers import Sdk, new_ticket, numbers

from dal.container import build_container
from dal.routing import MemoryRecorder, RepairLog, Router, ShadowSettings, Stage, StaticFlags
from dal.settings import Settings
from dal.telemetry import Telemetry

HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def behind_proxy(
    settings_for: Callable[..., Settings], dynamodb_proxy: FaultProxy
) -> Iterator[tuple[Any, Any]]:
    """The container's stores with DynamoDB reached through the fault proxy."""
    container = build_container(settings_for(f"http://127.0.0.1:{dynamodb_proxy.port}"))
    yield container.routed_old_store(), container.routed_new_store()
    container.shutdown_resources()


@pytest.mark.parametrize("traced", [True, False], ids=["sdk", "no-sdk"])
def test_a_failed_secondary_write_shares_one_id_in_record_log_line_and_repair_entry(
    behind_proxy, dynamodb_proxy, sdk: Sdk, traced, tmp_path, caplog
):
    tracers = None if traced else NoOpTracerProvider()
    telemetry = sdk.telemetry if traced else Telemetry(sdk.telemetry_meters, tracers)
    recorder, log = MemoryRecorder(), RepairLog(tmp_path / "repair.jsonl", durable=False)
    router = Router(
        StaticFlags({"tickets": Stage.DUAL_WRITE}),
        recorder,
        repair_log=log,
        shadow=ShadowSettings(write_budget=2.0),
        metrics_interval=None,
        telemetry=telemetry,
    )
    store = router.route_store(*behind_proxy)
    tickets = store.repository("tickets")
    with store.unit_of_work():
        tickets.create(new_ticket(next(numbers)))  # healthy: repositories built
    before = len(list(log.read()))  # a loaded machine may make even that one slow
    dynamodb_proxy.cut()
    recorder.clear()
    sdk.spans.clear()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="dal.routing"):
        with store.unit_of_work():
            tickets.create(new_ticket(next(numbers)))  # MySQL has it; DynamoDB fails
    router.close()

    [error] = [e for e in recorder.errors if e.origin == "new"]
    [entry] = list(log.read())[before:]
    [line] = [r for r in caplog.records if "new side of tickets.create failed" in r.message]
    correlation_id = error.correlation_id
    assert correlation_id is not None
    assert HEX32.fullmatch(correlation_id)
    assert entry.correlation_id == correlation_id
    assert line.correlation_id == correlation_id  # type: ignore[attr-defined]
    assert f"correlation_id={correlation_id}" in line.getMessage()
    assert (entry.reason, entry.side) in {
        ("secondary_write_failed", "new"),
        ("secondary_write_slow", "new"),
    }
    spans = [s for s in sdk.finished() if s.name == "route tickets.create"]
    if traced:
        [span] = spans
        assert correlation_id == format_trace_id(span.context.trace_id)
        [client] = [s for s in sdk.finished() if s.attributes.get("dal.side") == "new"]
        assert client.attributes["error.type"] == error.error_type
        assert not client.status.is_ok
    else:
        assert spans == []  # no SDK, no span: the id is the router's own
