"""Fixtures of the DynamoDB adapter's integration tests (DynamoDB Local via the shared fixtures).

The contract's tables are created once per run under ``{table_prefix}it_`` and
emptied before each test that asks for ``store``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.dynamodb import (
    DynamoClient,
    RetryPolicy,
    WriteRequest,
    batch_write,
    connect,
)
from dal.aws import dynamodb_client
from dal.contract import Contract, load_contract
from dal.schema import create_tables
from examples.store import CONTRACT as STORE_CONTRACT
from examples.store import Store
from examples.store.dynamodb import build_store
from interfaces import MemoryIdAllocator, SteppingClock

ROOT = Path(__file__).parents[3]


@pytest.fixture(scope="session")
def contract() -> Contract:
    """The project's migration contract."""
    return load_contract(STORE_CONTRACT)


@pytest.fixture(scope="session")
def raw(dynamodb_endpoint: str) -> Any:
    """A plain boto3 DynamoDB client, for reading items as they are stored."""
    return dynamodb_client(dynamodb_endpoint, "us-east-1")


@pytest.fixture(scope="session")
def prefix(table_prefix: str, raw: Any, contract: Contract) -> str:
    """The prefix of this module's tables, created once from the contract."""
    chosen = table_prefix + "it_"
    create_tables(raw, contract, chosen)
    return chosen


@pytest.fixture(scope="session")
def empty_tables(prefix: str, contract: Contract, dynamodb_endpoint: str) -> Callable[[], None]:
    """Deletes every item of the contract's tables."""
    client = DynamoClient(connect(dynamodb_endpoint, "us-east-1"))

    def empty() -> None:
        for name in contract.table_names:
            table = prefix + name
            keys = [
                {"PK": i["PK"], "SK": i["SK"]} for i in client.items("Scan", {"TableName": table})
            ]
            batch_write(client, table, [WriteRequest(key=k) for k in keys])

    return empty


@pytest.fixture
def make_store(
    prefix: str, contract: Contract, dynamodb_endpoint: str, empty_tables: Callable[[], None]
) -> Callable[..., Store]:
    """Builds a store over the emptied tables (keyword arguments go to ``build_store``)."""

    def make(**options: Any) -> Store:
        empty_tables()
        defaults: dict[str, Any] = {
            "contract": contract,
            "table_prefix": prefix,
            "endpoint": dynamodb_endpoint,
            "clock": SteppingClock(),
            "ids": MemoryIdAllocator(),
            "retry": RetryPolicy(budget=2.0),
        }
        return build_store(**{**defaults, **options})

    return make


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    """An empty DynamoDB store with a stepping clock and ids from 1."""
    return make_store()
