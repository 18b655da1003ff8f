"""DynamoDB Local behind a fault proxy: the container's client keeps to the settings' timeouts,
and a call made within a deadline ends at the deadline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
from support.proxy import FaultProxy
from support.proxy import finished as wait_for

from adapters.dynamodb import DynamoClient
from dal.container import build_container
from dal.settings import Settings
from interfaces import BackendUnavailable, DeadlineExceeded, deadline

T = TypeVar("T")
GIVE_UP = 30.0


@pytest.fixture
def client(dynamodb_proxy: FaultProxy) -> Iterator[DynamoClient]:
    settings = Settings(
        dynamodb_endpoint=f"http://127.0.0.1:{dynamodb_proxy.port}",
        dynamodb_connect_timeout=0.5,
        dynamodb_read_timeout=0.5,
    )
    container = build_container(settings)
    yield container.dynamodb_client()
    container.shutdown_resources()


def finished(call: Callable[[], T], proxy: FaultProxy) -> tuple[T | BaseException, float]:
    """``call()``'s result or exception and its duration; a hang fails the test."""
    return wait_for(call, proxy, GIVE_UP)


def list_tables(client: DynamoClient) -> object:
    return client.call("ListTables", {"Limit": 1})


def test_the_read_timeout_of_the_settings_ends_each_attempt(
    client: DynamoClient, dynamodb_proxy: FaultProxy
) -> None:
    assert client.connection.client.meta.config.read_timeout == 0.5
    assert client.connection.client.meta.config.connect_timeout == 0.5
    list_tables(client)
    dynamodb_proxy.freeze()
    error, elapsed = finished(lambda: list_tables(client), dynamodb_proxy)
    assert isinstance(error, BackendUnavailable), error
    # one attempt of 0.5 s: a read timeout is not retried
    assert elapsed < 1.5, f"failed after {elapsed:.2f} s"


def test_a_deadline_ends_the_wait_and_is_never_retried(
    client: DynamoClient, dynamodb_proxy: FaultProxy
) -> None:
    list_tables(client)
    dynamodb_proxy.freeze()

    def within_deadline() -> object:
        with deadline(0.2):
            return list_tables(client)

    error, elapsed = finished(within_deadline, dynamodb_proxy)
    assert isinstance(error, DeadlineExceeded), error
    assert "ListTables" in str(error)
    assert 0.15 <= elapsed < 0.45, f"failed after {elapsed:.2f} s"
    dynamodb_proxy.heal()
    result, elapsed = finished(lambda: list_tables(client), dynamodb_proxy)
    assert isinstance(result, dict), result
    assert elapsed < 2, f"took {elapsed:.2f} s after healing"


def test_a_passed_deadline_sends_nothing(client: DynamoClient, dynamodb_proxy: FaultProxy) -> None:
    list_tables(client)
    connections = dynamodb_proxy.connections
    with deadline(0), pytest.raises(DeadlineExceeded):
        list_tables(client)
    assert dynamodb_proxy.connections == connections
