"""DynamoDB Local behind a proxy that drops an answer after DynamoDB has done the work.

A write sent again after its answer was lost must not be applied twice: an ``ADD``
would count twice, a conditional put would fail its own condition. Such writes are
not resent (the caller hears that the write may have been applied); writes that
are safe to send again (a transaction with its ``ClientRequestToken``, a plain put)
are resent and succeed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from support.proxy import FaultProxy

from adapters.dynamodb import DynamoClient
from dal.container import build_container
from dal.settings import Settings
from interfaces import BackendUnavailable

PK = {"S": "counter"}


@pytest.fixture
def client(dynamodb_proxy: FaultProxy) -> Iterator[DynamoClient]:
    settings = Settings(dynamodb_endpoint=f"http://127.0.0.1:{dynamodb_proxy.port}")
    container = build_container(settings)
    yield container.dynamodb_client()
    container.shutdown_resources()


@pytest.fixture
def table(client: DynamoClient, table_prefix: str) -> Iterator[str]:
    name = f"{table_prefix}lost_{uuid.uuid4().hex[:8]}"
    client.call(
        "CreateTable",
        {
            "TableName": name,
            "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "PK", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    )
    client.put(name, {"PK": PK, "n": {"N": "0"}})
    yield name
    client.call("DeleteTable", {"TableName": name})


def _count(client: DynamoClient, table: str) -> int:
    item = client.get(table, {"PK": PK})
    assert item is not None
    return int(item["n"]["N"])


def _add_one() -> dict[str, Any]:
    return {
        "Update": {
            "Key": {"PK": PK},
            "UpdateExpression": "ADD n :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def test_an_update_whose_answer_is_lost_is_not_applied_twice(
    client: DynamoClient, table: str, dynamodb_proxy: FaultProxy
) -> None:
    dynamodb_proxy.swallow(1)
    with pytest.raises(BackendUnavailable, match="may or may not have been applied"):
        client.update(
            table, {"PK": PK}, "ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}}
        )
    assert _count(client, table) == 1


def test_a_conditional_put_whose_answer_is_lost_does_not_fail_its_own_condition(
    client: DynamoClient, table: str, dynamodb_proxy: FaultProxy
) -> None:
    item = {"PK": {"S": "new"}, "n": {"N": "7"}}
    dynamodb_proxy.swallow(1)
    with pytest.raises(BackendUnavailable, match="may or may not have been applied"):
        client.put(table, item, ConditionExpression="attribute_not_exists(PK)")
    assert client.get(table, {"PK": {"S": "new"}}) == item


def test_a_transaction_whose_answer_is_lost_is_resent_and_applied_once(
    client: DynamoClient, table: str, dynamodb_proxy: FaultProxy
) -> None:
    action = _add_one()
    action["Update"]["TableName"] = table
    dynamodb_proxy.swallow(1)
    client.transact([action])
    assert _count(client, table) == 1


def test_a_plain_put_whose_answer_is_lost_is_resent(
    client: DynamoClient, table: str, dynamodb_proxy: FaultProxy
) -> None:
    dynamodb_proxy.swallow(1)
    client.put(table, {"PK": PK, "n": {"N": "5"}})
    assert _count(client, table) == 5
    assert dynamodb_proxy.mode == "pass"
