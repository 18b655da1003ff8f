"""Creating, describing and dropping the contract's tables on DynamoDB Local."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from support.tables import table_names

from dal.aws import dynamodb_client
from dal.contract import Contract, load_contract
from dal.schema import SchemaError, SchemaMismatch, create_tables, describe, drop_tables
from examples.store import CONTRACT as STORE_CONTRACT_PATH
from interfaces.errors import AccessDenied, BackendUnavailable, Throttled

CONTRACT = STORE_CONTRACT_PATH
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract(CONTRACT)


@pytest.fixture
def client(dynamodb_endpoint: str) -> Any:
    return dynamodb_client(dynamodb_endpoint, "us-east-1")


@pytest.fixture
def prefix(table_prefix: str, client: Any, contract: Contract) -> Iterator[str]:
    """A prefix of this test's own (under the run's prefix); its tables are dropped after."""
    mine = f"{table_prefix}schema{next(_numbers)}_"
    yield mine
    drop_tables(client, contract, mine)


def _names(contract: Contract, prefix: str) -> list[str]:
    return [prefix + name for name in contract.table_names]


def _tables(client: Any, prefix: str) -> set[str]:
    return table_names(client, prefix)


def test_create_is_idempotent(client: Any, contract: Contract, prefix: str) -> None:
    first = create_tables(client, contract, prefix)
    second = create_tables(client, contract, prefix)

    assert first == _names(contract, prefix)
    assert second == []
    reports = describe(client, contract, prefix)
    assert [report.in_sync for report in reports] == [True, True, True]


def test_created_tables_have_the_contract_layout(
    client: Any, contract: Contract, prefix: str
) -> None:
    create_tables(client, contract, prefix)

    users = client.describe_table(TableName=f"{prefix}Users")["Table"]

    assert users["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert {k["AttributeName"]: k["KeyType"] for k in users["KeySchema"]} == {
        "PK": "HASH",
        "SK": "RANGE",
    }
    indexes = {
        index["IndexName"]: (
            [k["AttributeName"] for k in index["KeySchema"]],
            index["Projection"]["ProjectionType"],
            index["IndexStatus"],
        )
        for index in users["GlobalSecondaryIndexes"]
    }
    assert indexes == {f"GSI{n}": ([f"GSI{n}PK", f"GSI{n}SK"], "ALL", "ACTIVE") for n in (1, 2, 3)}
    assert {a["AttributeType"] for a in users["AttributeDefinitions"]} == {"S"}


def test_create_adds_a_missing_index_and_keeps_the_items(
    client: Any, contract: Contract, prefix: str
) -> None:
    create_tables(client, contract, prefix)
    table = f"{prefix}Categories"
    client.put_item(TableName=table, Item={"PK": {"S": "ROOT"}, "SK": {"S": "Books"}})
    client.update_table(
        TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "GSI1"}}]
    )
    (before,) = [r for r in describe(client, contract, prefix) if r.name == table]

    changed = create_tables(client, contract, prefix)

    assert before.missing_indexes == ("GSI1",)
    assert changed == [table]
    assert client.scan(TableName=table)["Count"] == 1
    (after,) = [r for r in describe(client, contract, prefix) if r.name == table]
    assert after.in_sync


def test_a_table_that_contradicts_the_contract_is_reported_not_replaced(
    client: Any, contract: Contract, prefix: str
) -> None:
    wrong = f"{prefix}Products"
    client.create_table(
        TableName=wrong,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.put_item(TableName=wrong, Item={"id": {"N": "1"}})

    with pytest.raises(SchemaMismatch) as raised:
        create_tables(client, contract, prefix)

    assert raised.value.differences == (
        f"{wrong}: partition key is 'id', the contract says 'PK'",
        f"{wrong}: sort key is absent, the contract says 'SK'",
    )
    assert raised.value.changed == (f"{prefix}Users", f"{prefix}Categories")
    assert client.scan(TableName=wrong)["Count"] == 1
    (report,) = [r for r in describe(client, contract, prefix) if r.name == wrong]
    assert not report.in_sync
    assert report.missing_indexes == ("GSI1", "GSI2")


def test_describe_reports_missing_tables_and_extra_indexes(
    client: Any, contract: Contract, prefix: str
) -> None:
    assert [r.exists for r in describe(client, contract, prefix)] == [False, False, False]
    create_tables(client, contract, prefix)
    table = f"{prefix}Categories"
    client.update_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "category_name", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "ByName",
                    "KeySchema": [{"AttributeName": "category_name", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )

    (report,) = [r for r in describe(client, contract, prefix) if r.name == table]

    assert report.extra_indexes == ("ByName",)
    assert report.differences == ()
    assert create_tables(client, contract, prefix) == []


def test_drop_only_touches_the_contract_tables_with_the_prefix(
    client: Any, contract: Contract, prefix: str
) -> None:
    create_tables(client, contract, prefix)
    other = f"{prefix}NotInTheContract"
    client.create_table(
        TableName=other,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )

    dropped = drop_tables(client, contract, prefix)
    again = drop_tables(client, contract, prefix)

    assert dropped == _names(contract, prefix)
    assert again == []
    assert _tables(client, prefix) == {other}
    client.delete_table(TableName=other)


def test_drop_refuses_a_protected_table(client: Any, contract: Contract, prefix: str) -> None:
    create_tables(client, contract, prefix)
    protected = f"{prefix}Users"
    client.update_table(TableName=protected, DeletionProtectionEnabled=True)

    with pytest.raises(SchemaError, match=f"{protected} cannot be dropped"):
        drop_tables(client, contract, prefix)

    client.update_table(TableName=protected, DeletionProtectionEnabled=False)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_endpoint(contract: Contract) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    client = dynamodb_client(endpoint, "us-east-1")

    with pytest.raises(BackendUnavailable, match=f"DynamoDB at {endpoint} cannot be reached"):
        create_tables(client, contract, "x_")


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        ("UnrecognizedClientException", 400, AccessDenied),
        ("ExpiredTokenException", 400, AccessDenied),
        ("ThrottlingException", 400, Throttled),
        ("InternalServerError", 500, BackendUnavailable),
    ],
)
def test_refused_credentials_and_server_errors(
    client: Any, contract: Contract, code: str, status: int, error: type[Exception]
) -> None:
    # DynamoDB Local accepts any credentials and never throttles: inject the answer
    with Stubber(client) as stub:
        stub.add_client_error("describe_table", code, "refused", http_status_code=status)
        with pytest.raises(error, match=code) as raised:
            describe(client, contract, "x_")

    assert raised.value.__cause__ is not None
