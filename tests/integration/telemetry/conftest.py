"""The tracker's tables on a MariaDB database of this folder and on DynamoDB Local.

``settings_for`` gives settings over them (optionally with DynamoDB behind a fault
proxy); ``sdk`` is an OpenTelemetry SDK of the test's own (an in-memory metric
reader and span exporter) behind a :class:`~dal.telemetry.Telemetry`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import Engine
from support.tracker import tracker_database
from telemetry_helpers import OWNER_EMAIL, Sdk, ThreadNames

from dal.aws import dynamodb_client
from dal.contract import load_contract
from dal.migrate import BackfillOptions, open_tools
from dal.schema import create_tables
from dal.settings import Settings
from dal.telemetry import Telemetry
from examples.tracker import CONTRACT

DECLARATIONS = "examples.tracker.declarations"


@pytest.fixture(scope="package")
def engine(mysql_server_url: str) -> Iterator[Engine]:
    """A fresh database with the tracker's tables and project 1."""
    with tracker_database(mysql_server_url, "dal_otel_", OWNER_EMAIL) as created:
        yield created


@pytest.fixture(scope="package")
def settings_for(
    engine: Engine, table_prefix: str, dynamodb_endpoint: str
) -> Callable[..., Settings]:
    """Settings over this folder's tables, backfilled once; ``endpoint`` replaces DynamoDB's."""
    prefix = f"{table_prefix}otel_"
    create_tables(dynamodb_client(dynamodb_endpoint, "us-east-1"), load_contract(CONTRACT), prefix)

    def settings(endpoint: str = dynamodb_endpoint, **more: Any) -> Settings:
        return Settings(
            mysql_url=engine.url.render_as_string(hide_password=False),
            dynamodb_endpoint=endpoint,
            table_prefix=prefix,
            contract=CONTRACT,
            declarations=DECLARATIONS,
            **more,
        )

    with open_tools(settings(), workers=2) as tools:
        assert tools.backfill().run(BackfillOptions(workers=2)).ok
    return settings


@pytest.fixture
def sdk() -> Iterator[Sdk]:
    reader = InMemoryMetricReader()
    meters = MeterProvider(metric_readers=[reader])
    exporter = InMemorySpanExporter()
    tracers = TracerProvider()
    threads: dict[int, str] = {}
    tracers.add_span_processor(ThreadNames(exporter, threads))
    yield Sdk(reader, exporter, Telemetry(meters, tracers), meters, threads)
    meters.shutdown()
    tracers.shutdown()
