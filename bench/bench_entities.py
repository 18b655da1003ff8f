"""Benchmark: the generic repositories against the raw clients doing the same work.

The tracker's ``tickets`` (a composite key) and ``projects`` (a one-column key),
declared in :mod:`examples.tracker.declarations`:

* SQL (SQLite and MariaDB), inside one unit of work, on its connection:

  - get by key: ``repository(...).get(key)`` (a model) against a prebuilt Core
    ``SELECT ... WHERE key = :k`` on the same connection turned into the same
    model (``Ticket.model_validate(dict(row._mapping))``, its naive UTC datetimes
    made aware first, as any raw caller must); the raw row without a model is
    reported too, on its own line;
  - a named query's first page of 20: ``query("by_project", project_id=1,
    page_size=20)`` against a Core ``SELECT ... ORDER BY number LIMIT 21``
    turned into 20 models (and, on its own line, the raw rows alone);

* DynamoDB (DynamoDB Local):

  - get by key: ``repository(...).get(key)`` against ``get_item`` on the same
    botocore client (the PynamoDB connection's, ``ConsistentRead=True``) and a
    plain decode of the item into the model;
  - create: the repository's transaction (a conditional Put of the item, a
    conditional Put of the unique value's guard item and, for a ticket, a
    ConditionCheck of its project, after reading the project whose name the
    ticket's item denormalizes) against ``transact_write_items`` (and that same
    ``get_item``) with the same items and conditions.

Method (as in ``bench_mysql.py``): after a warm-up, adapter and raw calls take
turns in batches (200 calls on SQL, 20 on DynamoDB, whose calls take a hundred
times longer) so both see the same load; each batch counts its fastest of
``--rounds`` rounds and the median over batches is reported. SQLite runs in
this process and is timed in CPU time; servers on the wall clock. It prints the
mean latency per call and the ratio adapter/raw. Run::

    PYTHONPATH=$PWD .venv/bin/python bench/bench_entities.py            # all three
    PYTHONPATH=$PWD .venv/bin/python bench/bench_entities.py --quick    # a smoke run
    ... --url mysql+pymysql://root@127.0.0.1:3306/     # a server: a database is made
    ... --url mysql+pymysql://root@127.0.0.1/bench_db  # this database (emptied, filled)
    ... --endpoint http://127.0.0.1:8000 --only dynamodb

Without ``--endpoint`` (or ``DAL_TEST_DYNAMODB_URL``) DynamoDB Local is started
from the npm package's jar and stopped afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, Table, bindparam, delete, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from adapters.dynamodb import DynamoClient, connect
from adapters.dynamodb.entities import DynamoRepositories
from adapters.mysql import create_engine
from adapters.mysql.session import active_work
from adapters.sql import SqlRepositories
from dal.aws import dynamodb_client
from dal.contract import load_contract
from dal.local.dynamodb_local import DynamoDBLocal, DynamoDBLocalError
from dal.schema import create_tables, drop_tables
from examples.tracker import CONTRACT
from examples.tracker.declarations import SPECS, Project, Ticket
from examples.tracker.schema import metadata, projects, tickets
from interfaces import MemoryIdAllocator, SteppingClock

DEFAULT_MYSQL = "mysql+pymysql://root@127.0.0.1:3306/"
PAGE_SIZE = 20
SQL_BATCH = 200
"""Calls per batch on SQL (a few milliseconds, as in ``bench_mysql.py``)."""
DYNAMODB_BATCH = 20
"""Calls per batch on DynamoDB (tens of milliseconds), so both sides' batches stay close."""
DYNAMODB_WARMUP = 200
"""Untimed calls of each side first: DynamoDB Local's JIT warms up slowly."""
STAMPED = ("created_at", "updated_at", "due_at")
"""The DATETIME columns: naive UTC in the database, aware in the models."""
START = datetime(2026, 1, 1)

Call = Callable[[Any], object]


# --- measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of the table: an operation's mean seconds per call, adapter and raw."""

    operation: str
    baseline: str
    adapter: float
    raw: float
    target: float | None = None

    @property
    def ratio(self) -> float:
        return self.adapter / self.raw


def best_mean(call: Call, keys: Sequence[Any], rounds: int, clock: Callable[[], float]) -> float:
    """The lowest mean seconds per call of ``call`` over ``keys`` in ``rounds`` rounds.

    The lowest mean is the one least disturbed by other work on the machine.
    """
    means = []
    for _ in range(rounds):
        start = clock()
        for key in keys:
            call(key)
        means.append((clock() - start) / len(keys))
    return min(means)


def compare(
    calls: Mapping[str, Call],
    keys: Sequence[Any],
    rounds: int,
    clock: Callable[[], float],
    batch: int = SQL_BATCH,
    warmup: int = 50,
) -> dict[str, float]:
    """The median over batches of each call's best mean, the calls taking turns per batch.

    The order of the calls is reversed every batch, so that neither always runs
    first after the other has warmed (or disturbed) the caches.
    """
    for key in itertools.islice(itertools.cycle(keys), warmup):
        for call in calls.values():  # compiled statements, connections, the emulator's JIT
            call(key)
    means: dict[str, list[float]] = {name: [] for name in calls}
    order = list(calls)
    for start in range(0, len(keys), batch):
        chunk = keys[start : start + batch]
        for name in order:
            means[name].append(best_mean(calls[name], chunk, rounds, clock))
        order.reverse()
    return {name: statistics.median(found) for name, found in means.items()}


def same(adapter: BaseModel, raw: BaseModel, what: str) -> None:
    """Refuse to time two sides that do not give the same answer."""
    if adapter != raw:
        raise SystemExit(f"{what}: the adapter and the raw client disagree:\n{adapter}\n{raw}")


# --- SQL -----------------------------------------------------------------------------------


def aware(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of the database with its naive UTC datetimes made aware (what the models hold)."""
    values = dict(row)
    for name in STAMPED:
        value = values.get(name)
        if value is not None:
            values[name] = value.replace(tzinfo=UTC)
    return values


def seed_sql(engine: Engine, project_count: int, per_project: int) -> None:
    """Empty the tracker's tables and fill them: projects with their tickets."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(delete(table))
        connection.execute(insert(projects), [_project(n) for n in range(1, project_count + 1)])
        rows = [
            _ticket(project, number)
            for project in range(1, project_count + 1)
            for number in range(1, per_project + 1)
        ]
        for start in range(0, len(rows), 1000):
            connection.execute(insert(tickets), rows[start : start + 1000])


def _project(number: int) -> dict[str, Any]:
    return {
        "id": number,
        "name": f"Project {number}",
        "owner_email": f"owner{number}@example.com",
        "version": 1,
        "created_at": START,
        "updated_at": START,
    }


def _ticket(project: int, number: int) -> dict[str, Any]:
    return {
        "project_id": project,
        "number": number,
        "code": f"P{project}-{number}",
        "title": f"Ticket {number} of project {project}",
        "status": ("open", "in_progress", "closed")[number % 3],
        "estimate": Decimal(random.randrange(1, 10**6)) / 100,
        "due_at": START + timedelta(days=number, microseconds=number) if number % 2 else None,
        "label_id": None,
        "version": 1,
        "created_at": START,
        "updated_at": START + timedelta(seconds=number),
    }


@contextmanager
def mysql_database(url: str) -> Iterator[str]:
    """The database of ``url``, or one created for the run (and dropped) if it names none."""
    parsed = make_url(url)
    if parsed.database:
        yield url
        return
    name = f"bench_entities_{uuid.uuid4().hex[:8]}"
    server = create_engine(parsed)
    try:
        with server.begin() as connection:
            connection.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
        try:
            yield parsed.set(database=name).render_as_string(hide_password=False)
        finally:
            with server.begin() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
    finally:
        server.dispose()


def bench_sql(url: str, iterations: int, rounds: int, quick: bool) -> list[Line]:
    """Seed the tracker at ``url`` and measure gets and a named query's page."""
    engine = create_engine(url)
    clock = time.process_time if engine.dialect.name == "sqlite" else time.perf_counter
    project_count, per_project = (10, 50) if quick else (40, 100)
    try:
        metadata.create_all(engine)
        seed_sql(engine, project_count, per_project)
        tables: dict[str, Table] = {table.name: table for table in metadata.sorted_tables}
        repos = SqlRepositories(
            engine, SPECS, clock=SteppingClock(), ids=MemoryIdAllocator(), tables=tables
        )
        ticket_keys = [
            (random.randrange(1, project_count + 1), random.randrange(1, per_project + 1))
            for _ in range(iterations)
        ]
        project_keys = [random.randrange(1, project_count + 1) for _ in range(iterations)]
        page_keys = [1] * max(SQL_BATCH, iterations // 10)
        with repos.unit_of_work():
            work = active_work(engine)
            assert work is not None
            return _measure_sql(
                repos, work.connection, ticket_keys, project_keys, page_keys, rounds, clock
            )
    finally:
        engine.dispose()


def _measure_sql(
    repos: SqlRepositories,
    connection: Any,
    ticket_keys: list[tuple[int, int]],
    project_keys: list[int],
    page_keys: list[int],
    rounds: int,
    clock: Callable[[], float],
) -> list[Line]:
    ticket_repo, project_repo = repos.repository("tickets"), repos.repository("projects")
    ticket_by_key = select(tickets).where(
        tickets.c.project_id == bindparam("project_id"), tickets.c.number == bindparam("number")
    )
    project_by_key = select(projects).where(projects.c.id == bindparam("id"))
    first_page = (
        select(tickets)
        .where(tickets.c.project_id == bindparam("project_id"))
        .order_by(tickets.c.number)
        .limit(PAGE_SIZE + 1)
    )

    def raw_ticket_row(key: tuple[int, int]) -> Any:
        return connection.execute(ticket_by_key, {"project_id": key[0], "number": key[1]}).first()

    def raw_ticket(key: tuple[int, int]) -> Ticket:
        return Ticket.model_validate(aware(raw_ticket_row(key)._mapping))

    def adapter_ticket(key: tuple[int, int]) -> Any:
        return ticket_repo.get({"project_id": key[0], "number": key[1]})

    def raw_project_row(key: int) -> Any:
        return connection.execute(project_by_key, {"id": key}).first()

    def raw_project(key: int) -> Project:
        return Project.model_validate(aware(raw_project_row(key)._mapping))

    def raw_page_rows(project: int) -> Any:
        return connection.execute(first_page, {"project_id": project}).all()

    def raw_page(project: int) -> list[Ticket]:
        rows = raw_page_rows(project)
        return [Ticket.model_validate(aware(row._mapping)) for row in rows[:PAGE_SIZE]]

    def adapter_page(project: int) -> Any:
        return ticket_repo.query("by_project", project_id=project, page_size=PAGE_SIZE)

    same(adapter_ticket(ticket_keys[0]), raw_ticket(ticket_keys[0]), "tickets get")
    same(project_repo.get(project_keys[0]), raw_project(project_keys[0]), "projects get")
    page = adapter_page(1)
    assert page.next_token is not None
    assert list(page.items) == raw_page(1)

    lines = []
    for operation, adapter, raw, raw_row, keys, target in (
        ("tickets get", adapter_ticket, raw_ticket, raw_ticket_row, ticket_keys, 1.2),
        ("projects get", project_repo.get, raw_project, raw_project_row, project_keys, 1.2),
        ("tickets page 20", adapter_page, raw_page, raw_page_rows, page_keys, None),
    ):
        means = compare({"adapter": adapter, "raw": raw, "row": raw_row}, keys, rounds, clock)
        lines.append(Line(operation, "raw + model", means["adapter"], means["raw"], target))
        lines.append(Line(operation, "raw rows, no model", means["adapter"], means["row"]))
    return lines


# --- DynamoDB ------------------------------------------------------------------------------


@contextmanager
def dynamodb_endpoint(given: str | None) -> Iterator[str]:
    """The given endpoint, or a DynamoDB Local started for the run."""
    if given:
        yield given
        return
    with DynamoDBLocal() as server:
        yield server.endpoint


def plain(value: Mapping[str, Any]) -> Any:
    """A wire value (``{"N": "7"}``) as a Python value, for the scalar types the tracker stores."""
    ((kind, content),) = value.items()
    if kind == "S" or kind == "BOOL":
        return content
    if kind == "N":
        return Decimal(content)
    if kind == "NULL":
        return None
    raise ValueError(f"unexpected attribute type {kind}")


TICKET_FIELDS = tuple(Ticket.model_fields)
PROJECT_FIELDS = tuple(Project.model_fields)


def ticket_model(item: Mapping[str, Any]) -> Ticket:
    """A Ticket from its item, decoded by hand."""
    return Ticket.model_validate({n: plain(item[n]) for n in TICKET_FIELDS if n in item})


def project_model(item: Mapping[str, Any]) -> Project:
    """A Project from its item (its id is stored as ``project_id``), decoded by hand."""
    values = {n: plain(item[n]) for n in PROJECT_FIELDS if n in item}
    values["id"] = plain(item["project_id"])
    return Project.model_validate(values)


def stamp(now: datetime) -> str:
    """A timestamp as the contract's date format renders it."""
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def bench_dynamodb(endpoint: str, calls: int, rounds: int, quick: bool) -> list[Line]:
    """Create the tracker's tables on ``endpoint``, seed them and measure gets and creates."""
    contract = load_contract(CONTRACT)
    prefix = f"bench_{uuid.uuid4().hex[:8]}_"
    boto = dynamodb_client(endpoint, "us-east-1")
    create_tables(boto, contract, prefix)
    try:
        client = DynamoClient(connect(endpoint, "us-east-1"))
        repos = DynamoRepositories(
            client, contract, SPECS, table_prefix=prefix, ids=MemoryIdAllocator()
        )
        project_count, per_project = (3, 20) if quick else (10, 30)
        for number in range(1, project_count + 1):
            repos.repository("projects").create(
                {"name": f"Project {number}", "owner_email": f"owner{number}@example.com"}
            )
            for ticket in range(1, per_project + 1):
                repos.repository("tickets").create(_ticket_values(number, ticket))
        ticket_keys = [
            (random.randrange(1, project_count + 1), random.randrange(1, per_project + 1))
            for _ in range(calls)
        ]
        project_keys = [random.randrange(1, project_count + 1) for _ in range(calls)]
        warmup = 50 if quick else DYNAMODB_WARMUP
        return _measure_dynamodb(repos, client, prefix, ticket_keys, project_keys, rounds, warmup)
    finally:
        drop_tables(boto, contract, prefix)


def _ticket_values(project: int, number: int, code: str | None = None) -> dict[str, Any]:
    return {
        "project_id": project,
        "number": number,
        "code": code or f"P{project}-{number}",
        "title": f"Ticket {number} of project {project}",
        "status": ("open", "in_progress", "closed")[number % 3],
        "estimate": Decimal(random.randrange(1, 10**6)) / 100,
    }


def _measure_dynamodb(
    repos: DynamoRepositories,
    client: DynamoClient,
    prefix: str,
    ticket_keys: list[tuple[int, int]],
    project_keys: list[int],
    rounds: int,
    warmup: int,
) -> list[Line]:
    botocore: Any = client.connection.client  # the very client the repositories send through
    ticket_table, project_table = prefix + "Tickets", prefix + "Projects"
    ticket_repo, project_repo = repos.repository("tickets"), repos.repository("projects")

    def project_key(project: int) -> dict[str, Any]:
        return {"PK": {"S": str(project)}, "SK": {"S": "#META"}}

    def raw_ticket(key: tuple[int, int]) -> Ticket:
        wire = {"PK": {"S": f"PROJECT#{key[0]}"}, "SK": {"S": f"TICKET#{key[1]}"}}
        found = botocore.get_item(TableName=ticket_table, Key=wire, ConsistentRead=True)
        return ticket_model(found["Item"])

    def adapter_ticket(key: tuple[int, int]) -> Any:
        return ticket_repo.get({"project_id": key[0], "number": key[1]})

    def raw_project(key: int) -> Project:
        found = botocore.get_item(
            TableName=project_table, Key=project_key(key), ConsistentRead=True
        )
        return project_model(found["Item"])

    same(adapter_ticket(ticket_keys[0]), raw_ticket(ticket_keys[0]), "tickets get")
    same(project_repo.get(project_keys[0]), raw_project(project_keys[0]), "projects get")

    numbers = itertools.count(1_000_000)  # ticket numbers and project ids no seed uses

    def adapter_create_ticket(project: int) -> Any:
        number = next(numbers)
        return ticket_repo.create(_ticket_values(project, number, f"A-{number}"))

    def raw_create_ticket(project: int) -> None:
        number = next(numbers)
        values = _ticket_values(project, number, f"R-{number}")
        name = botocore.get_item(
            TableName=project_table, Key=project_key(project), ConsistentRead=True
        )["Item"]["name"]
        now = stamp(datetime.now(UTC))
        item = {
            "project_id": {"N": str(project)},
            "number": {"N": str(number)},
            "code": {"S": values["code"]},
            "title": {"S": values["title"]},
            "status": {"S": values["status"]},
            "estimate": {"N": str(values["estimate"].quantize(Decimal("0.0001")))},
            "project_name": name,
            "version": {"N": "1"},
            "created_at": {"S": now},
            "updated_at": {"S": now},
            "PK": {"S": f"PROJECT#{project}"},
            "SK": {"S": f"TICKET#{number}"},
        }
        guard = {
            "PK": {"S": f"UNIQUE#tickets#code#{values['code'].casefold()}"},
            "SK": {"S": "#UNIQUE"},
            "owner": {"M": {"project_id": item["project_id"], "number": item["number"]}},
        }
        botocore.transact_write_items(
            TransactItems=[
                _conditional("Put", ticket_table, "Item", item, "attribute_not_exists(#n0)"),
                _conditional("Put", ticket_table, "Item", guard, "attribute_not_exists(#n0)"),
                _conditional(
                    "ConditionCheck",
                    project_table,
                    "Key",
                    project_key(project),
                    "attribute_exists(#n0)",
                ),
            ],
            ClientRequestToken=uuid.uuid4().hex,
        )

    def adapter_create_project(_: int) -> Any:
        number = next(numbers)
        return project_repo.create({"name": f"A {number}", "owner_email": "a@example.com"})

    def raw_create_project(_: int) -> None:
        number = next(numbers)
        name = f"R {number}"
        now = stamp(datetime.now(UTC))
        item = {
            "project_id": {"N": str(number)},
            "name": {"S": name},
            "owner_email": {"S": "r@example.com"},
            "version": {"N": "1"},
            "created_at": {"S": now},
            "updated_at": {"S": now},
            "PK": {"S": str(number)},
            "SK": {"S": "#META"},
        }
        guard = {
            "PK": {"S": f"UNIQUE#projects#name#{name.casefold()}"},
            "SK": {"S": "#UNIQUE"},
            "owner": {"M": {"id": item["project_id"]}},
        }
        botocore.transact_write_items(
            TransactItems=[
                _conditional("Put", project_table, "Item", item, "attribute_not_exists(#n0)"),
                _conditional("Put", project_table, "Item", guard, "attribute_not_exists(#n0)"),
            ],
            ClientRequestToken=uuid.uuid4().hex,
        )

    clock = time.perf_counter
    create_keys = [key[0] for key in ticket_keys]
    lines = []
    for operation, adapter, raw, keys, target in (
        ("tickets get", adapter_ticket, raw_ticket, ticket_keys, 1.15),
        ("projects get", project_repo.get, raw_project, project_keys, 1.15),
        ("tickets create", adapter_create_ticket, raw_create_ticket, create_keys, None),
        ("projects create", adapter_create_project, raw_create_project, project_keys, None),
    ):
        calls = {"adapter": adapter, "raw": raw}
        means = compare(calls, keys, rounds, clock, DYNAMODB_BATCH, warmup)
        baseline = "raw + model" if target is not None else "raw, same items"
        lines.append(Line(operation, baseline, means["adapter"], means["raw"], target))
    return lines


def _conditional(kind: str, table: str, member: str, body: Any, condition: str) -> dict[str, Any]:
    """One TransactWriteItems action with its condition on the partition key."""
    return {
        kind: {
            "TableName": table,
            member: body,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#n0": "PK"},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


# --- report --------------------------------------------------------------------------------


def report(title: str, lines: list[Line]) -> None:
    """Print one backend's table: mean per call, ratio and target."""
    print(title)
    print(f"  {'operation':<16} {'baseline':<19} {'raw µs':>9} {'adapter µs':>11} {'ratio':>7}")
    for line in lines:
        verdict = ""
        if line.target is not None:
            met = "met" if line.ratio <= line.target else "MISSED"
            verdict = f"  target <= {line.target:.2f}x: {met}"
        print(
            f"  {line.operation:<16} {line.baseline:<19} {line.raw * 1e6:>9.1f}"
            f" {line.adapter * 1e6:>11.1f} {line.ratio:>6.2f}x{verdict}"
        )
    print()


def main() -> None:
    """Parse the options, run the chosen backends, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", default=DEFAULT_MYSQL, help=f"MySQL/MariaDB URL (default {DEFAULT_MYSQL})"
    )
    parser.add_argument("--endpoint", default=os.environ.get("DAL_TEST_DYNAMODB_URL"))
    parser.add_argument(
        "--only", default="sqlite,mysql,dynamodb", help="comma-separated backends to run"
    )
    parser.add_argument("--iterations", type=int, default=5000, help="SQL calls per operation")
    parser.add_argument("--calls", type=int, default=500, help="DynamoDB calls per operation")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per batch (fastest counts)")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run")
    options = parser.parse_args()
    if options.quick:
        options.iterations, options.calls, options.rounds = 400, 200, 2
    chosen = {name.strip() for name in options.only.split(",")}
    if "sqlite" in chosen:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            lines = bench_sql(url, options.iterations, options.rounds, options.quick)
        report("sqlite, CPU time (SQLite runs in this process), mean per call:", lines)
    if "mysql" in chosen:
        try:
            with mysql_database(options.url) as url:
                lines = bench_sql(url, options.iterations, options.rounds, options.quick)
            backend = make_url(url).get_backend_name()
            report(f"{backend} (MariaDB/MySQL server), wall clock, mean per call:", lines)
        except OperationalError as exc:
            print(f"mysql: skipped, no server at {options.url}: {exc.orig}\n", file=sys.stderr)
    if "dynamodb" in chosen:
        try:
            with dynamodb_endpoint(options.endpoint) as endpoint:
                lines = bench_dynamodb(endpoint, options.calls, options.rounds, options.quick)
            report("DynamoDB Local, wall clock, mean per call:", lines)
        except DynamoDBLocalError as exc:
            print(f"dynamodb: skipped, no DynamoDB Local: {exc}\n", file=sys.stderr)


if __name__ == "__main__":
    main()
