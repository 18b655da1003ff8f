"""A server whose binary log cannot serve change data capture is refused, naming the setting."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from adapters.mysql import create_engine
from dal.cdc.binlog import BinlogUnavailable, check_server
from dal.cdc.checkpoints import PositionStore
from dal.cdc.failures import FailureLog
from dal.cdc.mysql_service import MYSQL_READER, MysqlCdc, MysqlCdcOptions
from dal.cli import app
from dal.commands.exits import EXIT_BACKEND
from dal.migrate.tools import open_tools


def test_cdc_mysql_on_a_server_without_a_binary_log_exits_3_naming_log_bin(
    mysql_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    engine = create_engine(mysql_url)
    with engine.connect() as connection:
        log_bin = connection.execute(text("SELECT @@log_bin")).scalar_one()
    engine.dispose()
    if str(log_bin) not in ("0", "OFF"):
        pytest.skip("the shared server writes a binary log")
    monkeypatch.setenv("DAL_MYSQL_URL", mysql_url)
    monkeypatch.setenv("DAL_DYNAMODB_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("DAL_CONTRACT", "examples/tracker/contract.json")
    monkeypatch.setenv("DAL_RECORDS", "off")
    monkeypatch.setenv("DAL_REPAIR_LOG", "off")
    result = CliRunner().invoke(app, ["cdc", "mysql"])
    assert result.exit_code == EXIT_BACKEND, result.output
    assert "log_bin is OFF" in result.output
    assert "set log_bin=ON" in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def statement_format(binlog_server_url: str) -> Iterator[str]:
    """The binlog server switched to ``binlog_format=MIXED`` for new sessions, then back."""
    engine = create_engine(binlog_server_url)
    with engine.begin() as connection:
        connection.execute(text("SET GLOBAL binlog_format = 'MIXED'"))
    try:
        yield binlog_server_url
    finally:
        with engine.begin() as connection:
            connection.execute(text("SET GLOBAL binlog_format = 'ROW'"))
        engine.dispose()


def test_a_log_that_is_not_row_based_is_refused_naming_binlog_format(statement_format) -> None:
    engine = create_engine(statement_format)
    try:
        with pytest.raises(
            BinlogUnavailable, match=r"binlog_format is MIXED\): set binlog_format=ROW"
        ):
            check_server(engine)
    finally:
        engine.dispose()


def test_a_saved_position_the_server_no_longer_has_is_refused_naming_it(settings, engine) -> None:
    PositionStore(engine).save(MYSQL_READER, "binlog.999999:4")
    with open_tools(settings, workers=1) as tools:
        service = MysqlCdc.over(tools, FailureLog(None, "new"))
        with pytest.raises(BinlogUnavailable, match=r"cannot be read from binlog\.999999:4"):
            service.run(MysqlCdcOptions(), threading.Event())
