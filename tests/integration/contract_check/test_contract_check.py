"""`dal contract check` on MariaDB: each planted value named by table, column and key, no other."""

from __future__ import annotations

import json
from typing import Any

import pytest
from check_data import PLANTED, SECRET_EMAIL, build
from sqlalchemy import Engine
from typer.testing import CliRunner

from dal.cli import app
from dal.routing.redaction import token

runner = CliRunner()


def _check(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> Any:
    monkeypatch.setenv("DAL_MYSQL_URL", url)
    monkeypatch.delenv("DAL_CONTRACT", raising=False)
    monkeypatch.delenv("DAL_DECLARATIONS", raising=False)
    return runner.invoke(app, ["contract", "check", "--every-table", *args])


def _expected() -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    redacted = {}
    for where, keys in PLANTED.items():
        redacted[where] = [
            {k: token(v) if k == "email" else v for k, v in key.items()} for key in keys
        ]
    return redacted


def test_every_planted_value_is_named_and_nothing_else(
    db: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(db)

    result = _check(monkeypatch, db_url, "--json")

    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    found = {(f["table"], f["column"], f["kind"]): f["examples"] for f in report["findings"]}
    assert found == _expected()
    assert all(not f["handled_by_contract"] for f in report["findings"])
    assert {t["table"]: t["rows"] for t in report["tables"]}["ledger"] == 304
    assert SECRET_EMAIL not in result.output


def test_the_json_is_stable_and_the_table_names_the_findings(
    db: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(db)

    first = _check(monkeypatch, db_url, "--json")
    second = _check(monkeypatch, db_url, "--json")
    monkeypatch.setenv("COLUMNS", "240")
    shown = _check(monkeypatch, db_url)

    assert first.stdout == second.stdout
    assert shown.exit_code == 1
    assert "zero_date" in shown.stdout
    assert "negative_time" in shown.stdout
    assert SECRET_EMAIL not in shown.output
    assert "would not arrive as they are" in shown.stdout


def test_a_clean_copy_passes(db: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    build(db, planted=False)

    result = _check(monkeypatch, db_url, "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["findings"] == []
    assert json.loads(result.stdout)["ok"] is True


def test_a_missing_database_url_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAL_MYSQL_URL", raising=False)
    result = runner.invoke(app, ["contract", "check"])
    assert result.exit_code == 2
    assert "DAL_MYSQL_URL" in result.output


def test_an_unreachable_database_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    result = _check(monkeypatch, "mysql+pymysql://root@127.0.0.1:1/nowhere")
    assert result.exit_code == 3
    assert "cannot be used" in result.output
