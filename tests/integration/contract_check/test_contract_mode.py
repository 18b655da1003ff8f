"""`dal contract check` with a contract: its tables, its key templates, what it says to store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ledger import fill, write_contract
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from dal.cli import app

runner = CliRunner()


def _check(monkeypatch: pytest.MonkeyPatch, url: str, contract: Path) -> Any:
    monkeypatch.setenv("DAL_MYSQL_URL", url)
    monkeypatch.setenv("DAL_CONTRACT", str(contract))
    monkeypatch.delenv("DAL_DECLARATIONS", raising=False)
    result = runner.invoke(app, ["contract", "check", "--json"])
    return result, json.loads(result.stdout) if result.stdout.strip() else None


def test_a_column_the_contract_stores_as_text_is_handled(
    db: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(db)
    with db.begin() as connection:
        connection.execute(text("CREATE TABLE unrelated (id INT PRIMARY KEY, t TIME)"))
        connection.execute(text("INSERT INTO unrelated VALUES (1, '10:00:00')"))
        connection.execute(text("UPDATE ledger SET at = '2024-05-01 10:00:00.250000' WHERE id = 3"))
    contract = write_contract(tmp_path / "c.json", amount_as_text=True, dated=True)

    result, report = _check(monkeypatch, db_url, contract)

    assert result.exit_code == 1, result.output
    found = {
        (f["column"], f["kind"]): (f["handled_by_contract"], f["examples"])
        for f in report["findings"]
    }
    assert found == {
        ("amount", "decimal_digits"): (True, [{"id": 1001}]),
        ("blob_data", "item_too_large"): (False, [{"id": 1002}]),
        ("born", "zero_date"): (False, [{"id": 1003}]),
        ("dur", "negative_time"): (False, [{"id": 1004}]),
        ("at", "fraction_dropped"): (False, [{"id": 3}]),
    }
    assert [t["table"] for t in report["tables"]] == ["ledger"]  # the contract's tables only
    assert report["source"].startswith("contract ")


def test_only_handled_findings_pass(
    db: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(db, planted=False)
    with db.begin() as connection:
        connection.execute(text(f"UPDATE ledger SET amount = {10**34}.1234 WHERE id = 1"))
    contract = write_contract(tmp_path / "c.json", amount_as_text=True)

    result, report = _check(monkeypatch, db_url, contract)

    assert result.exit_code == 0, result.output
    assert report["ok"] is True
    assert [(f["column"], f["handled_by_contract"]) for f in report["findings"]] == [
        ("amount", True)
    ]


def test_an_empty_string_in_a_key_template_column(
    db: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(db, planted=False)
    contract = json.loads(write_contract(tmp_path / "c.json", amount_as_text=True).read_text())
    contract["tables"][0]["attributes"][0]["source_column"] = "note"  # PK = {note}
    (tmp_path / "c.json").write_text(json.dumps(contract))

    result, report = _check(monkeypatch, db_url, tmp_path / "c.json")

    assert result.exit_code == 1, result.output
    empty = [f for f in report["findings"] if f["kind"] == "empty_key"]
    assert [(f["column"], f["count"]) for f in empty] == [("note", 20)]
    collisions = [f for f in report["findings"] if f["kind"] == "key_collision"]
    assert [(f["column"], f["count"]) for f in collisions] == [("note", 40)]
