"""Write requests encoded by the standard library store what botocore's serializer stores."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from adapters.dynamodb import DynamoClient, MissingTable, WriteRequest, batch_write, connect
from adapters.dynamodb.errors import TransactionCancelled
from adapters.dynamodb.wire import encode_request
from dal.contract import Contract


def _item(pk: str) -> dict[str, Any]:
    """An item with every kind of attribute value."""
    return {
        "PK": {"S": pk},
        "SK": {"S": "#META"},
        "text": {"S": 'Zoë says "hi" \\ \u2603 \U0001f600'},
        "number": {"N": "-12.50"},
        "binary": {"B": b"\x00\x01\xff"},
        "flag": {"BOOL": True},
        "nothing": {"NULL": True},
        "map": {"M": {"a": {"S": "b"}, "n": {"L": [{"N": "1"}, {"S": "x"}]}}},
        "list": {"L": [{"BOOL": False}, {"M": {}}]},
        "strings": {"SS": ["x", "y"]},
        "numbers": {"NS": ["1", "2.5"]},
        "binaries": {"BS": [b"a", b"b"]},
        "version": {"N": "3"},
    }


@pytest.fixture
def table(prefix: str, contract: Contract) -> str:
    """A table of the contract with PK and SK keys."""
    return prefix + contract.tables[0].name


@pytest.fixture
def clients(dynamodb_endpoint: str) -> tuple[DynamoClient, DynamoClient]:
    """A client that lets botocore serialize, and one that encodes its writes itself."""
    plain = DynamoClient(connect(dynamodb_endpoint, "us-east-1"))
    encoded = DynamoClient(connect(dynamodb_endpoint, "us-east-1"), encode_writes=True)
    return plain, encoded


def _bodies(client: DynamoClient) -> list[dict[str, Any]]:
    """Every request body ``client`` sends from now on, decoded."""
    sent: list[dict[str, Any]] = []

    def keep(request: Any, **_: Any) -> None:
        sent.append(json.loads(request.body))

    client.connection.client.meta.events.register("before-send.dynamodb", keep)
    return sent


def _stored(raw: Any, table: str, pk: str) -> dict[str, Any]:
    item: dict[str, Any] = raw.get_item(
        TableName=table, Key={"PK": {"S": pk}, "SK": {"S": "#META"}}, ConsistentRead=True
    )["Item"]
    item.pop("PK")
    return item


def test_a_batch_write_sends_and_stores_what_botocore_would(
    clients: tuple[DynamoClient, DynamoClient], table: str, raw: Any
) -> None:
    plain, encoded = clients
    first, second = (f"wire-{uuid.uuid4().hex}" for _ in range(2))
    plain_bodies, encoded_bodies = _bodies(plain), _bodies(encoded)

    batch_write(plain, table, [WriteRequest(item=_item(first))])
    batch_write(encoded, table, [WriteRequest(item=_item(second))])

    assert _stored(raw, table, first) == _stored(raw, table, second)
    (ours,), (botocores,) = encoded_bodies, plain_bodies
    botocores.pop("ReturnConsumedCapacity", None)  # PynamoDB asks for it; the layer does not
    assert json.dumps(ours, sort_keys=True).replace(second, first) == json.dumps(
        botocores, sort_keys=True
    )


def test_a_transaction_keeps_its_conditions_and_cancellation_reasons(
    clients: tuple[DynamoClient, DynamoClient], table: str, raw: Any
) -> None:
    _, encoded = clients
    pk = f"wire-{uuid.uuid4().hex}"
    put = {
        "Put": {
            "TableName": table,
            "Item": _item(pk),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }
    encoded.transact([put])
    assert _stored(raw, table, pk)["version"] == {"N": "3"}

    with pytest.raises(TransactionCancelled) as cancelled:
        encoded.transact([put])
    assert [reason.code for reason in cancelled.value.reasons] == ["ConditionalCheckFailed"]


def test_errors_are_translated_as_for_any_request(
    clients: tuple[DynamoClient, DynamoClient], prefix: str
) -> None:
    _, encoded = clients
    with pytest.raises(MissingTable):
        batch_write(encoded, prefix + "NoSuchTable", [WriteRequest(item=_item("x"))])


def test_other_requests_of_the_client_are_serialized_by_botocore(
    clients: tuple[DynamoClient, DynamoClient], table: str
) -> None:
    _, encoded = clients
    pk = f"wire-{uuid.uuid4().hex}"
    encoded.put(table, _item(pk))
    stored = encoded.get(table, {"PK": {"S": pk}, "SK": {"S": "#META"}})
    assert stored is not None
    assert stored["binary"] == {"B": b"\x00\x01\xff"}


def test_a_value_json_cannot_hold_is_left_to_botocore() -> None:
    assert encode_request({"RequestItems": {"t": [object()]}}) is None
    assert encode_request({"a": {1, 2}}) in (b'{"a": [1, 2]}', b'{"a": [2, 1]}')
