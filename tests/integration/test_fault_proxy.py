"""The fault proxy itself, in front of the real MariaDB: each fault does what it says."""

from __future__ import annotations

import time

import pymysql
import pytest
from support.proxy import FaultProxy


def _connect(
    mysql_proxy: FaultProxy, read_timeout: float = 5.0
) -> pymysql.Connection[pymysql.cursors.Cursor]:
    return pymysql.connect(
        host="127.0.0.1",
        port=mysql_proxy.port,
        user="root",
        password="",
        connect_timeout=2,
        read_timeout=read_timeout,
    )


def _select_one(connection: pymysql.Connection[pymysql.cursors.Cursor]) -> object:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()


def test_passes_traffic_through(mysql_proxy: FaultProxy) -> None:
    connection = _connect(mysql_proxy)
    assert _select_one(connection) == (1,)
    connection.close()


def test_latency_delays_each_answer(mysql_proxy: FaultProxy) -> None:
    connection = _connect(mysql_proxy)
    mysql_proxy.latency(0.3)
    started = time.monotonic()
    _select_one(connection)
    assert time.monotonic() - started >= 0.3
    mysql_proxy.heal()
    connection.close()


def test_freeze_hangs_until_the_read_timeout(mysql_proxy: FaultProxy) -> None:
    connection = _connect(mysql_proxy, read_timeout=0.5)
    mysql_proxy.freeze()
    started = time.monotonic()
    with pytest.raises(pymysql.err.OperationalError):
        _select_one(connection)
    assert 0.4 <= time.monotonic() - started < 3
    mysql_proxy.heal()


def test_reset_breaks_open_connections_only(mysql_proxy: FaultProxy) -> None:
    connection = _connect(mysql_proxy)
    mysql_proxy.reset()
    time.sleep(0.1)
    with pytest.raises(pymysql.err.OperationalError):
        _select_one(connection)
    assert _select_one(_connect(mysql_proxy)) == (1,)


def test_cut_refuses_new_connections_until_healed(mysql_proxy: FaultProxy) -> None:
    mysql_proxy.cut()
    with pytest.raises(pymysql.err.OperationalError):
        _connect(mysql_proxy)
    mysql_proxy.heal()
    assert _select_one(_connect(mysql_proxy)) == (1,)
