"""The fault proxy itself, in front of the real MariaDB: each fault does what it says."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pymysql
import pytest
from sqlalchemy.engine import make_url
from support.proxy import FaultProxy


@pytest.fixture
def proxy(mysql_server_url: str) -> Iterator[FaultProxy]:
    url = make_url(mysql_server_url)
    with FaultProxy(url.host or "127.0.0.1", url.port or 3306) as running:
        yield running


def _connect(
    proxy: FaultProxy, read_timeout: float = 5.0
) -> pymysql.Connection[pymysql.cursors.Cursor]:
    return pymysql.connect(
        host="127.0.0.1",
        port=proxy.port,
        user="root",
        password="",
        connect_timeout=2,
        read_timeout=read_timeout,
    )


def _select_one(connection: pymysql.Connection[pymysql.cursors.Cursor]) -> object:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()


def test_passes_traffic_through(proxy: FaultProxy) -> None:
    connection = _connect(proxy)
    assert _select_one(connection) == (1,)
    connection.close()


def test_latency_delays_each_answer(proxy: FaultProxy) -> None:
    connection = _connect(proxy)
    proxy.latency(0.3)
    started = time.monotonic()
    _select_one(connection)
    assert time.monotonic() - started >= 0.3
    proxy.heal()
    connection.close()


def test_freeze_hangs_until_the_read_timeout(proxy: FaultProxy) -> None:
    connection = _connect(proxy, read_timeout=0.5)
    proxy.freeze()
    started = time.monotonic()
    with pytest.raises(pymysql.err.OperationalError):
        _select_one(connection)
    assert 0.4 <= time.monotonic() - started < 3
    proxy.heal()


def test_reset_breaks_open_connections_only(proxy: FaultProxy) -> None:
    connection = _connect(proxy)
    proxy.reset()
    time.sleep(0.1)
    with pytest.raises(pymysql.err.OperationalError):
        _select_one(connection)
    assert _select_one(_connect(proxy)) == (1,)


def test_cut_refuses_new_connections_until_healed(proxy: FaultProxy) -> None:
    proxy.cut()
    with pytest.raises(pymysql.err.OperationalError):
        _connect(proxy)
    proxy.heal()
    assert _select_one(_connect(proxy)) == (1,)
