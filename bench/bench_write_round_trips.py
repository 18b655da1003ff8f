"""Requests per write of the generic DynamoDB repositories, counted on the wire, and their latency.

On DynamoDB Local, the generic repositories (``adapters/dynamodb/generic``)
serve the store's users (keyed by id but stored under their email: a GSI finds
the id) and the tracker's tickets (stored under their own key, with a unique
code and references). Every botocore request is counted through the
client's ``before-call`` event, per operation:

* ``update`` of a plain field, as a caller of DynamoDB alone makes it;
* ``update (dual write)``: the same, mirrored from MySQL's answer (the router's
  second write at ``dual_write``/``shadow``, :func:`interfaces.known.known_result`);
* ``update`` of a unique value (its guard items change with it);
* ``create`` and ``delete``.

The median latency of a mirrored ticket update is compared with a raw boto3
``update_item`` of the same attributes in the same run (ratio). Run it on two
checkouts to compare them (the code before this change has no
``interfaces.known``: its mirrored update is a plain update):
``.venv/bin/python bench/bench_write_round_trips.py [--endpoint URL] [--calls N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

from adapters.dynamodb import DynamoClient, connect
from adapters.dynamodb.entities import DynamoRepositories
from dal.aws import dynamodb_client
from dal.contract import load_contract
from dal.local.dynamodb_local import DynamoDBLocal
from dal.schema import create_tables, drop_tables
from examples.store import CONTRACT as STORE_CONTRACT
from examples.store.declarations import USERS
from examples.tracker import CONTRACT as TRACKER_CONTRACT
from examples.tracker.declarations import SPECS as TRACKER_SPECS
from interfaces import MemoryIdAllocator, SystemClock

try:
    from interfaces.known import known_result
except ImportError:  # the code before one-request writes

    def known_result(answer: object) -> AbstractContextManager[None]:
        """Nothing: older code ignores the other side's answer."""
        return contextlib.nullcontext()


Row = tuple[str, Counter[str]]


@contextlib.contextmanager
def endpoint(given: str | None) -> Iterator[str]:
    """The given endpoint, or a DynamoDB Local started for the run."""
    if given:
        yield given
        return
    with DynamoDBLocal() as server:
        yield server.endpoint


def counted(client: DynamoClient, write: Callable[[], Any]) -> Counter[str]:
    """The requests ``write`` sends, by operation."""
    counts: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        counts[model.name] += 1

    events = client.connection.client.meta.events
    events.register("before-call.dynamodb", count)
    try:
        write()
    finally:
        events.unregister("before-call.dynamodb", count)
    return counts


def _user(n: int) -> dict[str, Any]:
    return {
        "username": f"user{n}",
        "email": f"user{n}@example.com",
        "password_hash": "x",
        "first_name": "Ada",
        "last_name": "L",
        "is_seller": True,
        "super_admin": False,
    }


def store_round_trips(repos: DynamoRepositories, client: DynamoClient) -> list[Row]:
    """Users of the store: keyed by id, stored under their email (a GSI finds the id)."""
    users = repos.repository("users")
    rows: list[Row] = []
    box: dict[str, Any] = {}

    def note(name: str, write: Callable[[], Any]) -> None:
        rows.append((name, counted(client, write)))

    note("users.create", lambda: box.setdefault("u", users.create(_user(1))))
    user = box["u"]
    note("users.update first_name", lambda: users.update(user.id, {"first_name": "B"}))
    mirrored = users.get(user.id).model_copy(update={"first_name": "C", "version": 3})
    with known_result(mirrored):
        note("users.update (dual write)", lambda: users.update(user.id, {"first_name": "C"}))
    note("users.update email (unique)", lambda: users.update(user.id, {"email": "n@example.com"}))
    note("users.delete", lambda: users.delete(user.id))
    return rows


def tracker_round_trips(repos: DynamoRepositories, client: DynamoClient) -> list[Row]:
    """Tickets of the tracker: stored under their own key (project, number), with a project."""
    projects, tickets = repos.repository("projects"), repos.repository("tickets")
    rows: list[Row] = []

    def note(name: str, write: Callable[[], Any]) -> None:
        rows.append((name, counted(client, write)))

    project = projects.create({"name": "Bench", "owner_email": "o@example.com"})
    key = {"project_id": project.id, "number": 1}
    note("tickets.create", lambda: tickets.create({**key, **_TICKET}))
    note("tickets.update title", lambda: tickets.update(key, {"title": "B"}))
    mirrored = tickets.get(key).model_copy(update={"title": "C", "version": 3})
    with known_result(mirrored):
        note("tickets.update (dual write)", lambda: tickets.update(key, {"title": "C"}))
    note("tickets.delete", lambda: tickets.delete(key))
    return rows


_TICKET = {"code": "B-1", "title": "A", "status": "open", "estimate": Decimal("1")}


def latency(repos: DynamoRepositories, raw: Any, table: str, calls: int) -> tuple[float, float]:
    """Median ms of a mirrored ticket update and of a raw update_item of the same attributes."""
    tickets = repos.repository("tickets")
    key = {"project_id": 1, "number": 2}
    current = tickets.create({**key, **_TICKET, "code": "B-2"})
    wire = {"PK": {"S": "PROJECT#1"}, "SK": {"S": "TICKET#2"}}
    mine: list[float] = []
    theirs: list[float] = []
    for n in range(calls):
        answer = current.model_copy(update={"title": f"t{n}", "version": current.version + 1})
        started = time.perf_counter()
        with known_result(answer):
            current = tickets.update(key, {"title": f"t{n}"})
        mine.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        raw.update_item(
            TableName=table,
            Key=wire,
            UpdateExpression="SET title = :t, #v = :v, updated_at = :u",
            ConditionExpression="#v = :v",
            ExpressionAttributeNames={"#v": "version"},
            ExpressionAttributeValues={
                ":t": {"S": f"t{n}"},
                ":v": {"N": str(current.version)},
                ":u": {"S": "2026-01-01T00:00:00Z"},
            },
        )
        theirs.append((time.perf_counter() - started) * 1000)
    return statistics.median(mine), statistics.median(theirs)


def _repositories(
    client: DynamoClient, contract_path: Any, specs: Any, prefix: str
) -> DynamoRepositories:
    contract = load_contract(contract_path)
    return DynamoRepositories(
        client, contract, specs, table_prefix=prefix, clock=SystemClock(), ids=MemoryIdAllocator()
    )


def run(url: str, calls: int) -> None:
    """Print the table of requests per write and the latency ratio."""
    raw = dynamodb_client(url, "us-east-1")
    prefix = f"bench_rt_{uuid.uuid4().hex[:8]}_"
    contracts = [load_contract(STORE_CONTRACT), load_contract(TRACKER_CONTRACT)]
    for contract in contracts:
        create_tables(raw, contract, prefix)
    try:
        client = DynamoClient(connect(url, "us-east-1"))
        store = _repositories(client, STORE_CONTRACT, (USERS,), prefix)
        tracker = _repositories(client, TRACKER_CONTRACT, TRACKER_SPECS, prefix)
        rows = store_round_trips(store, client)
        rows += tracker_round_trips(tracker, client)
        mine, theirs = latency(tracker, raw, prefix + "Tickets", calls)
    finally:
        for contract in contracts:
            drop_tables(raw, contract, prefix)
    print(f"{'write':32} {'requests':>8}  operations")
    for name, counts in rows:
        shown = ", ".join(f"{op} {n}" for op, n in sorted(counts.items()))
        print(f"{name:32} {sum(counts.values()):8}  {shown}")
    print(
        f"mirrored tickets.update: median {mine:.2f} ms; raw boto3 update_item {theirs:.2f} ms; "
        f"ratio {mine / theirs:.2f}x ({calls} calls each, interleaved)"
    )


def main() -> None:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default=os.environ.get("DAL_TEST_DYNAMODB_URL"))
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    with endpoint(args.endpoint) as url:
        run(url, args.calls)


if __name__ == "__main__":
    main()
