"""From a database of our own to a verified copy in DynamoDB, with no hand edits.

The awkward schema (``schemas.py``) is drafted with ``dal contract draft``; then
``dal db upgrade``, ``dal schema create``, ``dal backfill`` and ``dal verify`` run on
the drafted contract and module; drift planted straight in SQL is named by table
and key, ``dal repair`` heals it, and every row reads the same through
``store.repository(table)`` from MySQL (stage off) and from DynamoDB (complete).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import servers
from sqlalchemy import Engine, inspect, text
from typer.testing import CliRunner

from dal.cli import app
from dal.container import build_container
from dal.migrate import VerifyOptions, VerifyReport, open_tools
from dal.settings import Settings

from .schemas import build

runner = CliRunner()
CONFIG = Path(__file__).resolve().parents[3] / "pyproject.toml"
SCHEMA = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "contracts"
    / "migration_contract_schema.json"
)
ENTITIES = ("activity", "measurements", "people", "documents", "memberships", "teams")


@pytest.fixture(scope="module")
def drafted(
    fresh_database: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, Path, str]]:
    """The awkward database and the folder its draft was written to (module name unique)."""
    build(fresh_database)
    out = tmp_path_factory.mktemp("draft")
    module = servers.unique_name("drafted_")
    url = fresh_database.url.render_as_string(hide_password=False)
    result = runner.invoke(
        app,
        ["contract", "draft", "--out", str(out), "--module", module],
        env={"DAL_MYSQL_URL": url},
    )
    assert result.exit_code == 0, result.output
    sys.path.insert(0, str(out))
    yield fresh_database, out, module
    sys.path.remove(str(out))


def env_of(
    engine: Engine, out: Path, module: str, endpoint: str, prefix: str, stage: str
) -> dict[str, str]:
    flags = out / f"flags-{stage}.toml"
    flags.write_text("[stages]\n" + "".join(f'{e} = "{stage}"\n' for e in ENTITIES))
    return {
        "DAL_MYSQL_URL": engine.url.render_as_string(hide_password=False),
        "DAL_DYNAMODB_ENDPOINT": endpoint,
        "DAL_TABLE_PREFIX": prefix,
        "DAL_CONTRACT": str(out / "migration_contract.json"),
        "DAL_DECLARATIONS": module,
        "DAL_FLAGS": str(flags),
        "DAL_REPAIR_LOG": "off",
        "DAL_RECORDS": "off",
    }


def settings_of(env: dict[str, str]) -> Settings:
    return Settings(
        mysql_url=env["DAL_MYSQL_URL"],
        dynamodb_endpoint=env["DAL_DYNAMODB_ENDPOINT"],
        dynamodb_region="us-east-1",
        table_prefix=env["DAL_TABLE_PREFIX"],
        contract=Path(env["DAL_CONTRACT"]),
        flags=Path(env["DAL_FLAGS"]),
        declarations=env["DAL_DECLARATIONS"],
        repair_log="off",
        records="off",
    )


def verify(env: dict[str, str]) -> VerifyReport:
    with open_tools(settings_of(env), workers=2) as tools:
        return tools.verifier().run(VerifyOptions(workers=2), list(tools.plans.values()))


def dal(env: dict[str, str], *args: str) -> Any:
    return runner.invoke(app, list(args), env=env)


def test_the_draft_is_a_valid_contract_and_a_clean_module(
    drafted: tuple[Engine, Path, str],
) -> None:
    _, out, module = drafted
    contract = json.loads((out / "migration_contract.json").read_text())
    jsonschema.validate(contract, json.loads(SCHEMA.read_text()))
    lint = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--config",
            str(CONFIG),
            f"{module}.py",
        ],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    typed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            str(CONFIG),
            "--cache-dir",
            str(out / ".mypy_cache"),
            f"{module}.py",
        ],
        cwd=out,
        env={**os.environ, "MYPYPATH": str(CONFIG.parent)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr
    design = (out / "design.md").read_text()
    assert "view `people_view`: skipped" in design
    assert "table `raw_events`: skipped: it has no primary key" in design
    assert "trigger `documents_written` (AFTER INSERT on `documents`)" in design
    assert "column `measurements.shape`" in design
    assert "procedure `count_people`: not carried" in design
    assert "- people: `email`, `full_name`, `phone`" in design
    assert "### memberships (adjacency)" in design
    assert "### documents (child)" in design


def test_the_check_of_the_drafted_contract_finds_nothing_lost(
    drafted: tuple[Engine, Path, str],
) -> None:
    engine, out, module = drafted
    env = {
        "DAL_MYSQL_URL": engine.url.render_as_string(hide_password=False),
        "DAL_CONTRACT": str(out / "migration_contract.json"),
        "DAL_DECLARATIONS": module,
    }
    checked = dal(env, "contract", "check", "--json")
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    unhandled = [f for f in report["findings"] if not f["handled_by_contract"]]
    assert unhandled == []
    handled = {(f["table"], f["column"], f["kind"]) for f in report["findings"]}
    assert {
        ("people", "shift", "negative_time"),
        ("people", "shift", "time"),
        ("measurements", "t", "negative_time"),
        ("measurements", "t", "time"),
        ("measurements", "fine", "decimal_digits"),
        ("measurements", "tags", "set"),
        ("teams", "days", "set"),
        ("people", "score", "float"),
    } <= handled


def test_backfill_verify_drift_repair_and_both_backends_answer_alike(
    drafted: tuple[Engine, Path, str], dynamodb_endpoint: str, table_prefix: str
) -> None:
    engine, out, module = drafted
    prefix = f"{table_prefix}draft_"
    env = env_of(engine, out, module, dynamodb_endpoint, prefix, "off")
    upgraded = dal(env, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert dal(env, "schema", "create").exit_code == 0
    copied = dal(env, "backfill", "--workers", "2")
    assert copied.exit_code == 0, copied.output
    assert verify(env).failing == []

    with engine.begin() as connection:
        connection.execute(text("UPDATE measurements SET label = 'changed ✓' WHERE id = 2"))
        connection.execute(text("DELETE FROM documents WHERE owner_id = 1 AND seq = 65535"))
        connection.execute(
            text(
                "INSERT INTO people (id, email, full_name, active, created_at, version) "
                "VALUES (4, 'new@example.com', 'New Person', 1, '2026-01-01 00:00:00', 1)"
            )
        )
    found = {(f.entity, f.kind.value, f.source, _key(f.key)) for f in verify(env).failing}
    guard = "PK=UNIQUE#people#email#new@example.com, SK=#UNIQUE"  # the new email's guard item
    assert found == {
        ("measurements", "different", "measurements 2", "PK=MEASUREMENTS#2, SK=#META"),
        ("documents", "missing_in_mysql", "documents 1, 65535", "PK=PEOPLE#1, SK=DOCUMENTS#65535"),
        ("people", "missing_in_dynamodb", "people 4", "PK=PEOPLE#4, SK=#META"),
        ("people", "missing_in_dynamodb", "people 4", guard),
    }
    shown = dal(env, "verify", "--workers", "2")
    assert shown.exit_code == 1
    assert "new@example.com" not in shown.output

    repaired = dal(env, "repair", "--workers", "2")
    assert repaired.exit_code == 0, repaired.output
    assert verify(env).failing == []
    assert_same_models(engine, out, module, dynamodb_endpoint, prefix)


def _key(key: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in sorted(key.items()))


def assert_same_models(engine: Engine, out: Path, module: str, endpoint: str, prefix: str) -> None:
    answers: dict[str, dict[str, Any]] = {}
    for stage in ("off", "complete"):
        env = env_of(engine, out, module, endpoint, prefix, stage)
        container = build_container(settings_of(env))
        try:
            store = container.routed_store()
            assert store.entities is not None
            for name, spec in store.entities.specs.items():
                keys = _keys(engine, name, spec.key)
                with store.unit_of_work():
                    repository = store.repository(name)
                    answers.setdefault(name, {})[stage] = [repository.get(k) for k in keys]
        finally:
            container.shutdown_resources()
    assert set(answers) == set(ENTITIES)
    for name, by_stage in answers.items():
        assert by_stage["off"], name
        assert by_stage["off"] == by_stage["complete"], name


def _keys(engine: Engine, table: str, key: tuple[str, ...]) -> list[Any]:
    columns = ", ".join(key)
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT {columns} FROM {table} ORDER BY {columns}"))
        return [dict(zip(key, row, strict=True)) if len(key) > 1 else row[0] for row in rows]


def test_the_database_keeps_its_own_tables(drafted: tuple[Engine, Path, str]) -> None:
    engine, _, _ = drafted
    assert "raw_events" in inspect(engine).get_table_names()


def test_the_single_table_layout_backfills_and_verifies(
    drafted: tuple[Engine, Path, str], dynamodb_endpoint: str, table_prefix: str
) -> None:
    engine, out, _ = drafted
    single = out / "single"
    module = servers.unique_name("drafted_single_")
    url = engine.url.render_as_string(hide_password=False)
    arguments = [
        "contract",
        "draft",
        "--out",
        str(single),
        "--module",
        module,
        "--layout",
        "single",
    ]
    assert runner.invoke(app, arguments, env={"DAL_MYSQL_URL": url}).exit_code == 0
    contract = json.loads((single / "migration_contract.json").read_text())
    assert [t["table"] for t in contract["tables"]] == [servers_database_table(engine)]
    sys.path.insert(0, str(single))
    try:
        env = env_of(engine, single, module, dynamodb_endpoint, f"{table_prefix}single_", "off")
        assert dal(env, "db", "upgrade").exit_code == 0
        assert dal(env, "schema", "create").exit_code == 0
        copied = dal(env, "backfill", "--workers", "2")
        assert copied.exit_code == 0, copied.output
        assert verify(env).failing == []
    finally:
        sys.path.remove(str(single))


def servers_database_table(engine: Engine) -> str:
    """The single table's name: the database's in CamelCase (``dal_draft_1a`` -> ``DalDraft1a``)."""
    words = (engine.url.database or "").split("_")
    return "".join(word[:1].upper() + word[1:] for word in words)
