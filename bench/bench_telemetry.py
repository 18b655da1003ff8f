"""Benchmark: what the OpenTelemetry instrumentation costs a routed call.

The tracker's ``tickets`` on MariaDB (old) and DynamoDB Local (new), through the
container's stores and a :class:`~dal.routing.Router` at a stage, with:

* ``no SDK``: the OpenTelemetry API alone (no-op meter and tracer providers), what a
  library user without an SDK gets: the router still makes a correlation id per call;
* ``SDK``: the OpenTelemetry SDK recording every metric (a meter provider with a
  reader, as behind ``DAL_METRICS_PORT``) and every span (always sampled, batched to
  an exporter that drops them);

and the instrumentation alone, without I/O: the routed call's span and correlation id,
one side's client span and one duration record, what the hot path adds per call;

and, for scale, the raw clients doing the same read: a SQLAlchemy Core ``SELECT`` by
key on the same engine (stage off answers from MySQL) and ``get_item`` on the
same botocore client (complete answers from DynamoDB).

Calls: ``get`` of an existing ticket (each in a unit of work) at ``off``, ``shadow``
(the caller gets MySQL's answer, DynamoDB is read off the request path and compared)
and ``complete``, and ``create`` at ``off`` and ``shadow`` (a dual write). The
configurations take turns in batches so that they see the same load; each batch's
mean is taken and the median over batches reported, with the ratio SDK / no SDK and
the difference per call. Run::

    PYTHONPATH=$PWD .venv/bin/python bench/bench_telemetry.py
    ... --quick                                  # a smoke run
    ... --url mysql+pymysql://root@127.0.0.1:3306/ --endpoint http://127.0.0.1:8000

Without ``--endpoint`` (or ``DAL_TEST_DYNAMODB_URL``) DynamoDB Local is started from
the npm package's jar and stopped afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import NoOpTracerProvider
from sqlalchemy import Engine, insert, select

from adapters.mysql import create_engine
from adapters.mysql.tables import id_blocks
from dal.aws import dynamodb_client
from dal.container import build_container
from dal.contract import load_contract
from dal.local import mariadb
from dal.local.dynamodb_local import DynamoDBLocal
from dal.migrate import BackfillOptions, open_tools
from dal.migrate.checkpoints import checkpoint_table
from dal.routing import Router, ShadowSettings, Stage, StaticFlags
from dal.schema import create_tables, drop_tables
from dal.settings import Settings
from dal.telemetry import Telemetry
from examples.tracker import CONTRACT, schema

_numbers = itertools.count(1)


class _Drop(SpanExporter):
    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def telemetry(sdk: bool) -> tuple[Telemetry, Callable[[], None]]:
    """The layer's instruments with or without an SDK, and how to shut the SDK down."""
    if not sdk:
        return Telemetry(NoOpMeterProvider(), NoOpTracerProvider()), lambda: None
    meters = MeterProvider(metric_readers=[InMemoryMetricReader()])
    tracers = TracerProvider()
    tracers.add_span_processor(BatchSpanProcessor(_Drop()))

    def shutdown() -> None:
        meters.shutdown()
        tracers.shutdown()

    return Telemetry(meters, tracers), shutdown


def hot_path(sdk: bool) -> Callable[[], object]:
    """What the router adds to one call at stage off: two spans, one histogram record."""
    operation = telemetry(sdk)[0].operation("tickets", "get")

    def call() -> object:
        with operation.routed("off"), operation.side("old", "off"):
            pass
        operation.duration("old", "off", 0.001)
        return None

    return call


def ticket(number: int) -> dict[str, Any]:
    return {
        "project_id": 1,
        "number": number,
        "code": f"B-{number}",
        "title": f"Ticket {number}",
        "status": "open",
        "estimate": Decimal("1.5"),
        "due_at": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        "label_id": None,
    }


@contextmanager
def database(server_url: str) -> Iterator[Engine]:
    name = f"dal_bench_otel_{uuid.uuid4().hex[:8]}"
    url = mariadb.create_database(server_url, name)
    engine = create_engine(url)
    schema.metadata.create_all(engine)
    checkpoint_table.create(engine)
    id_blocks.create(engine)
    now = datetime(2025, 6, 1, 8, 30)
    project = {"id": 1, "name": "Bench", "owner_email": "b@example.com", "version": 1}
    with engine.begin() as connection:
        connection.execute(
            insert(schema.projects), [project | {"created_at": now, "updated_at": now}]
        )
    try:
        yield engine
    finally:
        engine.dispose()
        mariadb.drop_database(server_url, name)


@contextmanager
def dynamodb(endpoint: str | None) -> Iterator[str]:
    if endpoint:
        yield endpoint
        return
    with DynamoDBLocal() as server:
        yield server.endpoint


def timed(call: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - started) / count


def compare(name: str, calls: dict[str, Callable[[], object]], batches: int, size: int) -> None:
    """Interleave the configurations batch by batch; print medians and ratios."""
    for call in calls.values():
        timed(call, max(2, size // 4))  # warm-up
    means: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(batches):
        for label, call in calls.items():
            means[label].append(timed(call, size))
    medians = {label: statistics.median(values) for label, values in means.items()}
    base = medians["no SDK"]
    for label, seconds in medians.items():
        ratio = seconds / base
        extra = (seconds - base) * 1e6
        print(
            f"{name:<24} {label:<10} {seconds * 1e6:>9.0f} us/call  x{ratio:5.3f}  {extra:+7.0f} us"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("DAL_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/"),
    )
    parser.add_argument("--endpoint", default=os.environ.get("DAL_TEST_DYNAMODB_URL"))
    parser.add_argument("--quick", action="store_true", help="a few small batches")
    options = parser.parse_args()
    batches, size = (3, 10) if options.quick else (9, 40)
    prefix = f"bench_otel_{uuid.uuid4().hex[:6]}_"
    contract = load_contract(CONTRACT)
    with ExitStack() as stack:
        engine = stack.enter_context(database(options.url))
        endpoint = stack.enter_context(dynamodb(options.endpoint))
        client = dynamodb_client(endpoint, "us-east-1")
        create_tables(client, contract, prefix)
        stack.callback(drop_tables, client, contract, prefix)
        settings = Settings(
            mysql_url=engine.url.render_as_string(hide_password=False),
            dynamodb_endpoint=endpoint,
            table_prefix=prefix,
            contract=CONTRACT,
            declarations="examples.tracker.declarations",
        )
        with open_tools(settings, workers=2) as tools:  # project 1 into DynamoDB
            tools.backfill().run(BackfillOptions(workers=2))
        container = build_container(settings)
        stack.callback(container.shutdown_resources)
        sides = container.routed_old_store(), container.routed_new_store()
        run(sides, engine, client, prefix, stack, batches, size)


def run(
    sides: tuple[Any, Any],
    engine: Engine,
    client: Any,
    prefix: str,
    stack: ExitStack,
    batches: int,
    size: int,
) -> None:
    stores: dict[tuple[Stage, bool], Any] = {}
    for stage in (Stage.OFF, Stage.SHADOW, Stage.COMPLETE):
        for sdk in (False, True):
            instruments, shutdown = telemetry(sdk)
            router = Router(
                StaticFlags({"tickets": stage}),
                None,
                shadow=ShadowSettings(budget=5.0, write_budget=5.0),
                metrics_interval=None,
                telemetry=instruments,
            )
            stack.callback(shutdown)
            stack.callback(router.close)
            stores[stage, sdk] = router.route_store(*sides)
    shadow = stores[Stage.SHADOW, False]
    known = next(_numbers)
    with shadow.unit_of_work():  # both sides have it
        shadow.repository("tickets").create(ticket(known))
    key = {"project_id": 1, "number": known}

    def get(stage: Stage, sdk: bool) -> Callable[[], object]:
        store = stores[stage, sdk]

        def call() -> object:
            with store.unit_of_work():
                return store.repository("tickets").get(key)

        return call

    def create(stage: Stage, sdk: bool) -> Callable[[], object]:
        store = stores[stage, sdk]

        def call() -> object:
            with store.unit_of_work():
                return store.repository("tickets").create(ticket(next(_numbers)))

        return call

    query = select(schema.tickets).where(
        schema.tickets.c.project_id == 1, schema.tickets.c.number == known
    )

    def raw_mysql() -> object:
        with engine.connect() as connection:
            return connection.execute(query).one()

    item_key = {"PK": {"S": "PROJECT#1"}, "SK": {"S": f"TICKET#{known}"}}

    def raw_dynamodb() -> object:
        return client.get_item(TableName=f"{prefix}Tickets", Key=item_key, ConsistentRead=True)

    print(f"median of {batches} batches of {size} calls; x = / no SDK, +us = - no SDK")
    for stage, raw_label, raw in (
        (Stage.OFF, "raw MySQL", raw_mysql),
        (Stage.SHADOW, "", None),
        (Stage.COMPLETE, "raw DynamoDB", raw_dynamodb),
    ):
        calls = {"no SDK": get(stage, False), "SDK": get(stage, True)}
        if raw is not None:
            calls[raw_label] = raw
        compare(f"get at {stage.value}", calls, batches, size)
    alone = {label: hot_path(sdk) for label, sdk in (("no SDK", False), ("SDK", True))}
    compare("instrumentation alone", alone, batches, 2000)
    for stage in (Stage.OFF, Stage.SHADOW):
        compare(
            f"create at {stage.value}",
            {"no SDK": create(stage, False), "SDK": create(stage, True)},
            batches,
            max(4, size // 4),
        )


if __name__ == "__main__":
    main()
