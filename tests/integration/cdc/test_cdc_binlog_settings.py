"""A server whose binary log cannot serve change data capture is refused, naming the setting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from adapters.mysql import create_engine
from dal.cdc.binlog import BinlogUnavailable, check_server
from dal.cli import app
from dal.commands.exits import EXIT_BACKEND


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
