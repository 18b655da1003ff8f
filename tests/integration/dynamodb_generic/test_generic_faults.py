"""Faults only a patched client call can produce: unprocessed keys and throttling.

The requests still go to DynamoDB Local; the patch only alters some answers.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from adapters.dynamodb import DynamoClient, RetryPolicy, connect
from adapters.dynamodb.entities import DynamoRepositories
from interfaces import ConcurrencyConflict, Throttled

Dispatch = Callable[[str, dict[str, Any]], dict[str, Any]]


@pytest.fixture
def patched(
    dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[DynamoClient, list[Any]]:
    """A client whose answers the test may alter: ``hooks`` get (operation, request, send)."""
    connection = connect(dynamodb_endpoint, "us-east-1")
    policy = RetryPolicy(max_attempts=4, budget=2.0, sleep=lambda _seconds: None)
    client = DynamoClient(connection, policy)
    hooks: list[Any] = []
    real: Dispatch = connection.dispatch

    def dispatch(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        for hook in hooks:
            answer = hook(operation, request, real)
            if answer is not None:
                return answer  # type: ignore[no-any-return]
        return real(operation, request)

    monkeypatch.setattr(connection, "dispatch", dispatch)
    return client, hooks


def _filled(make_repos: Callable[..., DynamoRepositories], client: DynamoClient) -> Any:
    repos = make_repos(client=client)
    repos.repository("projects").create({"name": "Tracker", "owner_email": "o@x"})
    tickets = repos.repository("tickets")
    for number in (1, 2, 3):
        tickets.create(
            {
                "project_id": 1,
                "number": number,
                "code": f"T-{number}",
                "title": "t",
                "status": "open",
                "estimate": Decimal("1"),
            }
        )
    return tickets


KEYS = [{"project_id": 1, "number": n} for n in (3, 1, 2)]


def test_unprocessed_keys_are_read_again(
    make_repos: Callable[..., DynamoRepositories], patched: tuple[DynamoClient, list[Any]]
) -> None:
    client, hooks = patched
    tickets = _filled(make_repos, client)
    calls: list[int] = []

    def leave_one(operation: str, request: dict[str, Any], send: Dispatch) -> Any:
        if operation != "BatchGetItem":
            return None
        calls.append(1)
        if len(calls) > 1:
            return None
        ((table, body),) = request["RequestItems"].items()
        first, *rest = body["Keys"]
        answer = send(operation, {"RequestItems": {table: {**body, "Keys": rest}}})
        answer["UnprocessedKeys"] = {table: {**body, "Keys": [first]}}
        return answer

    hooks.append(leave_one)
    assert [t.number for t in tickets.batch_get(KEYS)] == [3, 1, 2]
    assert len(calls) == 2


def test_keys_left_unprocessed_past_the_budget_are_throttled(
    make_repos: Callable[..., DynamoRepositories], patched: tuple[DynamoClient, list[Any]]
) -> None:
    client, hooks = patched
    tickets = _filled(make_repos, client)

    def leave_all(operation: str, request: dict[str, Any], send: Dispatch) -> Any:
        if operation != "BatchGetItem":
            return None
        return {"Responses": {}, "UnprocessedKeys": request["RequestItems"]}

    hooks.append(leave_all)
    with pytest.raises(Throttled):
        tickets.batch_get(KEYS)


def _throttle(times: int) -> Any:
    left = [times]

    def hook(operation: str, request: dict[str, Any], send: Dispatch) -> Any:
        if operation != "GetItem" or left[0] == 0:
            return None
        left[0] -= 1
        error: Any = {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}
        raise ClientError({"Error": error}, operation)

    return hook


def test_a_throttled_read_is_retried(
    make_repos: Callable[..., DynamoRepositories], patched: tuple[DynamoClient, list[Any]]
) -> None:
    client, hooks = patched
    tickets = _filled(make_repos, client)
    hooks.append(_throttle(2))
    assert tickets.get({"project_id": 1, "number": 2}).number == 2


def test_throttling_past_the_budget_reaches_the_caller(
    make_repos: Callable[..., DynamoRepositories], patched: tuple[DynamoClient, list[Any]]
) -> None:
    client, hooks = patched
    tickets = _filled(make_repos, client)
    hooks.append(_throttle(100))
    with pytest.raises(Throttled):
        tickets.get({"project_id": 1, "number": 2})


def test_an_update_starts_again_after_a_concurrent_change(
    make_repos: Callable[..., DynamoRepositories], patched: tuple[DynamoClient, list[Any]]
) -> None:
    """Another writer changes the ticket between this update's read and its write."""
    client, hooks = patched
    tickets = _filled(make_repos, client)
    other = make_repos().repository("tickets")
    key = {"project_id": 1, "number": 2}
    writes: list[int] = []

    def interleave(operation: str, request: dict[str, Any], send: Dispatch) -> Any:
        if operation in ("TransactWriteItems", "PutItem"):
            writes.append(1)
            if len(writes) == 1:
                other.update(key, {"status": "closed"})
        return None

    hooks.append(interleave)
    updated = tickets.update(key, {"title": "mine"})
    assert (updated.title, updated.status, updated.version) == ("mine", "closed", 3)
    assert len(writes) == 2
    writes.clear()  # the other writer strikes again: the version expected is gone
    with pytest.raises(ConcurrencyConflict):
        tickets.update(key, {"title": "stale"}, expected_version=3)
