"""Faults a real server does not produce on demand, injected in front of DynamoDB Local.

``FaultyServer`` patches botocore's client so that chosen operations fail the
first ``times`` calls (or change the answer); every other call reaches
DynamoDB Local. The tests assert outcomes: what the caller gets, what is
stored, which keys are reported as failed.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from adapters.dynamodb import (
    BatchIncomplete,
    DynamoClient,
    MissingTable,
    RetryPolicy,
    WriteRequest,
    batch_get,
    batch_write,
    connect,
)
from dal.contract import Contract
from examples.store import NewCategory, NewProduct, NewUser, Store
from examples.store.dynamodb import build_store
from interfaces import AccessDenied, BackendUnavailable, NotFound, Throttled, ValidationFailed

Handler = Callable[[Callable[[str, dict[str, Any]], Any], str, dict[str, Any]], Any]


def _error(operation: str, code: str, status: int = 400, **extra: Any) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": f"injected {code}"},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **extra,
    }
    return ClientError(response, operation)  # type: ignore[arg-type]


class FaultyServer:
    """Routes chosen operations through a handler; counts the requests that reached it."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}
        self.requests: dict[str, list[dict[str, Any]]] = {}

    def fail(self, operation: str, code: str, times: int, status: int = 400, **extra: Any) -> None:
        """Fail ``operation`` with ``code`` for its next ``times`` calls."""
        left = [times]

        def handler(real: Callable[[str, dict[str, Any]], Any], op: str, kw: dict[str, Any]) -> Any:
            if left[0] > 0:
                left[0] -= 1
                raise _error(op, code, status, **extra)
            return real(op, kw)

        self.handlers[operation] = handler


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> FaultyServer:
    server = FaultyServer()
    original = BaseClient._make_api_call  # type: ignore[attr-defined]

    def patched(client: BaseClient, operation: str, kwargs: dict[str, Any]) -> Any:
        server.requests.setdefault(operation, []).append(kwargs)

        def real(op: str, kw: dict[str, Any]) -> Any:
            return original(client, op, kw)

        handler = server.handlers.get(operation)
        return real(operation, kwargs) if handler is None else handler(real, operation, kwargs)

    monkeypatch.setattr(BaseClient, "_make_api_call", patched)
    return server


@pytest.fixture
def shop(store: Store) -> dict[str, Any]:
    seller = store.users.create(
        NewUser(username="s", email="s@example.com", password_hash="h", is_seller=True)
    )
    category = store.categories.create(NewCategory(name="Books"))
    product = store.products.create(
        NewProduct(
            seller_id=seller.id,
            category_id=category.id,
            name="Atlas",
            price=Decimal("5.00"),
            inventory_quantity=10,
        )
    )
    return {"seller": seller, "product": product}


def test_throttled_requests_are_retried_until_they_succeed(
    store: Store, shop: dict[str, Any], faults: FaultyServer
) -> None:
    faults.fail("GetItem", "ProvisionedThroughputExceededException", times=2)
    assert store.products.get(shop["product"].id) == shop["product"]
    assert len(faults.requests["GetItem"]) == 3


def test_throttling_beyond_the_budget_raises_throttled(
    make_store: Callable[..., Store], faults: FaultyServer
) -> None:
    store = make_store(retry=RetryPolicy(base_delay=0.01, max_delay=0.05, budget=0.3))
    with contextlib.suppress(NotFound):  # the repository and its connection made, not timed
        store.products.get(1)
    faults.fail("GetItem", "ThrottlingException", times=1000)
    started = time.monotonic()
    with pytest.raises(Throttled) as raised:
        store.products.get(1)
    assert time.monotonic() - started < 1.0
    assert isinstance(raised.value.__cause__, ClientError)


def test_server_errors_become_backend_unavailable(
    make_store: Callable[..., Store], faults: FaultyServer
) -> None:
    store = make_store(retry=RetryPolicy(max_attempts=3, base_delay=0.0))
    faults.fail("GetItem", "InternalServerError", times=1000, status=500)
    with pytest.raises(BackendUnavailable):
        store.products.get(1)
    assert len(faults.requests["GetItem"]) == 3


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("AccessDeniedException", AccessDenied),
        ("UnrecognizedClientException", AccessDenied),
        ("ExpiredTokenException", AccessDenied),
        ("ValidationException", ValidationFailed),
    ],
)
def test_access_and_validation_errors_are_not_retried(
    store: Store, faults: FaultyServer, code: str, error: type[Exception]
) -> None:
    faults.fail("GetItem", code, times=1000)
    with pytest.raises(error):
        store.products.get(1)
    assert len(faults.requests["GetItem"]) == 1


def test_a_transaction_conflict_is_retried_with_the_same_token(
    store: Store, shop: dict[str, Any], faults: FaultyServer
) -> None:
    seller, product = shop["seller"], shop["product"]
    store.carts.add_item(seller.id, product.id, 3)
    reasons = [{"Code": "TransactionConflict", "Message": "conflict"}]
    faults.fail(
        "TransactWriteItems", "TransactionCanceledException", times=1, CancellationReasons=reasons
    )
    order = store.orders.checkout(seller.id)
    tokens = {r["ClientRequestToken"] for r in faults.requests["TransactWriteItems"][-2:]}
    assert len(tokens) == 1
    assert store.orders.count_by_user(seller.id) == 1
    assert store.orders.get(order.id) == order
    assert store.products.get(product.id).inventory_quantity == 7
    assert store.carts.list_items(seller.id) == []


@pytest.fixture
def client(dynamodb_endpoint: str) -> DynamoClient:
    return DynamoClient(
        connect(dynamodb_endpoint, "us-east-1"), RetryPolicy(base_delay=0.001, budget=5.0)
    )


def _items(count: int) -> list[dict[str, Any]]:
    return [
        {"PK": {"S": f"BATCH#{n}"}, "SK": {"S": "#META"}, "n": {"N": str(n)}} for n in range(count)
    ]


def _keys(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"PK": i["PK"], "SK": i["SK"]} for i in items]


def test_unprocessed_items_are_resent_until_written(
    client: DynamoClient, prefix: str, faults: FaultyServer, raw: Any
) -> None:
    table = prefix + "Products"

    def half_unprocessed(real: Callable[..., Any], op: str, kw: dict[str, Any]) -> Any:
        requests = kw["RequestItems"][table]
        if len(requests) < 2:
            return real(op, kw)
        keep, left = requests[: len(requests) // 2], requests[len(requests) // 2 :]
        answer = real(op, {"RequestItems": {table: keep}})
        return {**answer, "UnprocessedItems": {table: left}}

    faults.handlers["BatchWriteItem"] = half_unprocessed
    items = _items(60)
    batch_write(client, table, [WriteRequest(item=i) for i in items])
    found = batch_get(client, table, _keys(items), consistent=True)
    assert sorted(int(i["n"]["N"]) for i in found) == list(range(60))


def test_items_still_unprocessed_are_reported_by_key(
    client: DynamoClient, prefix: str, faults: FaultyServer
) -> None:
    table = prefix + "Products"
    faults.handlers["BatchWriteItem"] = lambda real, op, kw: {
        "UnprocessedItems": kw["RequestItems"]
    }
    items = _items(30)
    with pytest.raises(BatchIncomplete) as raised:
        batch_write(client, table, [WriteRequest(item=i) for i in items])
    assert raised.value.failed_keys == _keys(items)
    assert isinstance(raised.value, Throttled)


def test_unprocessed_keys_of_a_read_are_reported_with_what_was_read(
    client: DynamoClient, prefix: str, faults: FaultyServer
) -> None:
    table = prefix + "Products"
    items = _items(4)
    batch_write(client, table, [WriteRequest(item=i) for i in items])

    def first_key_never(real: Callable[..., Any], op: str, kw: dict[str, Any]) -> Any:
        keys = kw["RequestItems"][table]["Keys"]
        if len(keys) == 1:
            return {"Responses": {table: []}, "UnprocessedKeys": kw["RequestItems"]}
        answer = real(
            op, {"RequestItems": {table: {**kw["RequestItems"][table], "Keys": keys[1:]}}}
        )
        return {**answer, "UnprocessedKeys": {table: {"Keys": keys[:1]}}}

    faults.handlers["BatchGetItem"] = first_key_never
    with pytest.raises(BatchIncomplete) as raised:
        batch_get(client, table, _keys(items), consistent=True)
    assert raised.value.failed_keys == _keys(items)[:1]
    assert len(raised.value.results) == 3


def test_a_missing_table_is_named(contract: Contract, dynamodb_endpoint: str) -> None:
    store = build_store(contract=contract, table_prefix="absent_", endpoint=dynamodb_endpoint)
    with pytest.raises(MissingTable, match="absent_Products"):
        store.products.get(1)


def test_an_unreachable_endpoint_is_backend_unavailable(contract: Contract) -> None:
    store = build_store(
        contract=contract,
        endpoint="http://127.0.0.1:9",
        retry=RetryPolicy(max_attempts=2, base_delay=0.0),
    )
    with pytest.raises(BackendUnavailable):
        store.products.get(1)
