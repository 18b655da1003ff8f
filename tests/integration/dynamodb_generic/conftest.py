"""Fixtures of the generic DynamoDB repositories' tests: the tracker on DynamoDB Local.

Each test module gets its own tables (``{table_prefix}g{n}_``, created from the
tracker's contract); ``repos`` empties them before each test and builds the
repositories with a stepping clock and ids from 1.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from adapters.dynamodb import DynamoClient, RetryPolicy, WriteRequest, batch_write, connect
from adapters.dynamodb.entities import DynamoRepositories
from dal.aws import dynamodb_client
from dal.contract import Contract, load_contract
from dal.schema import create_tables
from examples.tracker import CONTRACT
from examples.tracker.declarations import SPECS
from interfaces import MemoryIdAllocator, SteppingClock

_MODULES = itertools.count(1)


@pytest.fixture(scope="session")
def contract() -> Contract:
    """The tracker's migration contract."""
    return load_contract(CONTRACT)


@pytest.fixture(scope="session")
def raw(dynamodb_endpoint: str) -> Any:
    """A plain boto3 DynamoDB client, for reading items as they are stored."""
    return dynamodb_client(dynamodb_endpoint, "us-east-1")


@pytest.fixture(scope="session")
def client(dynamodb_endpoint: str) -> DynamoClient:
    """The adapter's client on DynamoDB Local."""
    return DynamoClient(connect(dynamodb_endpoint, "us-east-1"), RetryPolicy(budget=2.0))


@pytest.fixture(scope="module")
def prefix(table_prefix: str, raw: Any, contract: Contract) -> str:
    """This module's table prefix; the tracker's tables are created under it."""
    chosen = f"{table_prefix}g{next(_MODULES)}_"
    create_tables(raw, contract, chosen)
    return chosen


@pytest.fixture
def empty(prefix: str, contract: Contract, client: DynamoClient) -> None:
    """Deletes every item of this module's tables."""
    for table in contract.tables:
        name = prefix + table.name
        keys = [{"PK": i["PK"], "SK": i["SK"]} for i in client.items("Scan", {"TableName": name})]
        batch_write(client, name, [WriteRequest(key=k) for k in keys])


@pytest.fixture
def make_repos(
    empty: None, prefix: str, contract: Contract, client: DynamoClient
) -> Callable[..., DynamoRepositories]:
    """Builds repositories over the emptied tables (keywords override the defaults)."""

    def make(**options: Any) -> DynamoRepositories:
        defaults: dict[str, Any] = {
            "table_prefix": prefix,
            "clock": SteppingClock(),
            "ids": MemoryIdAllocator(),
        }
        return DynamoRepositories(
            options.pop("client", client),
            contract,
            options.pop("specs", SPECS),
            **{**defaults, **options},
        )

    return make


@pytest.fixture
def repos(make_repos: Callable[..., DynamoRepositories]) -> DynamoRepositories:
    """The tracker's repositories over empty tables."""
    return make_repos()


@pytest.fixture
def item(raw: Any, prefix: str) -> Callable[[str, str, str], dict[str, Any] | None]:
    """The raw item (boto3's wire form) of a table's PK and SK, or None."""

    def read(table: str, pk: str, sk: str) -> dict[str, Any] | None:
        response = raw.get_item(
            TableName=prefix + table, Key={"PK": {"S": pk}, "SK": {"S": sk}}, ConsistentRead=True
        )
        found: dict[str, Any] | None = response.get("Item")
        return found

    return read
