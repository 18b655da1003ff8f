"""The Prometheus endpoint of DAL_METRICS_PORT, scraped over HTTP while the container's
routed store serves calls over MariaDB and DynamoDB Local."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from dependency_injector import providers
from support.prometheus import free_port, scrape, series
from telemetry_helpers import new_ticket, numbers

from dal.container import build_container
from dal.routing import MemoryRecorder
from dal.settings import Settings, SettingsError
from dal.telemetry import default_telemetry, prometheus_names


def test_the_endpoint_serves_the_routed_stores_metrics_until_shutdown(
    settings_for: Callable[..., Settings], tmp_path: Path
):
    port = free_port()
    flags = tmp_path / "flags.toml"
    flags.write_text('[stages]\ntickets = "shadow"\n')
    settings = settings_for(
        metrics_port=port, flags=flags, repair_log=tmp_path / "repair.jsonl", records="off"
    )
    container = build_container(settings)
    container.recorder.override(providers.Object(MemoryRecorder()))
    try:
        store, router = container.routed_store(), container.router()
        number = next(numbers)
        with store.unit_of_work():
            store.repository("tickets").create(new_ticket(number))
        with store.unit_of_work():
            store.repository("tickets").get({"project_id": 1, "number": number})
        assert router.flush(timeout=60)
        found = series(scrape(port))
    finally:
        container.shutdown_resources()

    exported = set().union(*prometheus_names().values())
    observed = {
        "db_client_operation_duration_seconds_bucket",
        "db_client_operation_duration_seconds_count",
        "dal_comparisons_total",
        "dal_breaker_state",
        "dal_repair_log_backlog",
    }
    assert observed <= set(found)
    assert observed <= exported
    assert set(found) - {"target_info"} <= exported  # nothing the catalog does not name
    [new_get] = [
        line
        for line in found["db_client_operation_duration_seconds_count"]
        if 'db_operation_name="get"' in line and 'dal_side="new"' in line
    ]
    assert 'db_system="aws.dynamodb"' in new_get
    assert 'dal_stage="shadow"' in new_get
    assert new_get.endswith(" 1.0")
    with pytest.raises(OSError):  # stopped with the container
        scrape(port)


def test_without_a_port_nothing_listens_and_a_taken_port_is_named(
    settings_for: Callable[..., Settings],
):
    container = build_container(settings_for())
    assert container.telemetry() is default_telemetry()
    container.shutdown_resources()
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        container = build_container(settings_for(metrics_port=port))
        with pytest.raises(SettingsError, match=f"DAL_METRICS_PORT: cannot listen on port {port}"):
            container.telemetry()
