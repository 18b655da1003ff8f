"""A hung MariaDB (connection open, no answer) behind a fault proxy: waits end at the timeouts.

The engines come from the container, so the timeouts are those of the settings. A
connection that timed out is invalidated, never handed out again by the pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from support.proxy import FaultProxy
from support.proxy import finished as wait_for

from dal.container import build_container
from dal.settings import Settings

T = TypeVar("T")
READ_TIMEOUT = 0.5
GIVE_UP = 20.0
"""How long a test waits for a call before it calls it hung."""


@pytest.fixture
def engine(mysql_proxy: FaultProxy, mysql_url: str, tmp_path: Path) -> Iterator[Engine]:
    """The container's engine over the proxy, with a short read timeout."""
    url = make_url(mysql_url).set(host="127.0.0.1", port=mysql_proxy.port)
    settings = Settings(
        mysql_url=url.render_as_string(hide_password=False),
        mysql_connect_timeout=1.0,
        mysql_read_timeout=READ_TIMEOUT,
        mysql_write_timeout=READ_TIMEOUT,
    )
    container = build_container(settings)
    yield container.mysql_engine()
    container.shutdown_resources()


def finished(call: Callable[[], T], proxy: FaultProxy) -> tuple[T | BaseException, float]:
    """``call()``'s result or exception and its duration; a hang fails the test."""
    return wait_for(call, proxy, GIVE_UP)


def select_one(engine: Engine) -> Any:
    with engine.connect() as connection:
        return connection.execute(text("SELECT 1")).scalar()


def test_a_hung_server_fails_a_statement_within_the_read_timeout(
    engine: Engine, mysql_proxy: FaultProxy
) -> None:
    invalidated: list[BaseException | None] = []
    event.listen(engine, "invalidate", lambda conn, record, exc: invalidated.append(exc))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
        mysql_proxy.freeze()
        error, elapsed = finished(
            lambda: connection.execute(text("SELECT 2")).scalar(), mysql_proxy
        )
    assert isinstance(error, OperationalError), error
    assert "Lost connection" in str(error)
    assert READ_TIMEOUT * 0.8 <= elapsed < READ_TIMEOUT + 2, f"failed after {elapsed:.2f} s"
    assert len(invalidated) == 1, "the timed-out connection was not invalidated"
    mysql_proxy.heal()
    result, elapsed = finished(lambda: select_one(engine), mysql_proxy)
    assert result == 1, result
    assert elapsed < 2, f"the pool handed out a broken connection ({elapsed:.2f} s)"


def test_a_hung_server_fails_a_checkout_within_the_timeouts(
    engine: Engine, mysql_proxy: FaultProxy
) -> None:
    assert select_one(engine) == 1  # a pooled connection, pinged on its next checkout
    mysql_proxy.freeze()
    error, elapsed = finished(lambda: select_one(engine), mysql_proxy)
    assert isinstance(error, OperationalError), error
    # the ping, then a new connection's handshake, each end at the read timeout
    assert elapsed < 2 * READ_TIMEOUT + 2, f"failed after {elapsed:.2f} s"
    mysql_proxy.heal()
    assert finished(lambda: select_one(engine), mysql_proxy)[0] == 1


def test_a_deadline_ends_the_wait_before_the_read_timeout(
    mysql_url: str, mysql_proxy: FaultProxy
) -> None:
    from adapters.mysql import create_engine
    from adapters.mysql.timeouts import SqlTimeouts
    from interfaces import deadline

    url = make_url(mysql_url).set(host="127.0.0.1", port=mysql_proxy.port)
    engine = create_engine(url, timeouts=SqlTimeouts(connect=1.0, read=30.0, write=30.0))
    try:
        assert select_one(engine) == 1
        mysql_proxy.freeze()

        def within_deadline() -> Any:
            with deadline(0.4):
                return select_one(engine)

        error, elapsed = finished(within_deadline, mysql_proxy)
        assert isinstance(error, OperationalError), error
        assert 0.3 <= elapsed < 1.5, f"failed after {elapsed:.2f} s"
        mysql_proxy.heal()
        result, elapsed = finished(lambda: select_one(engine), mysql_proxy)
        assert result == 1
        assert elapsed < 2, f"took {elapsed:.2f} s after healing"
    finally:
        engine.dispose()
