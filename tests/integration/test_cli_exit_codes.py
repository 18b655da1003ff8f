"""Every `dal` command: a missing setting, an unusable backend or a bad file gives its exit code.

Exit codes a pipeline can rely on: 2 for bad usage (options, settings, the flags
file), 3 when a backend cannot be used (unreachable, refused, a table missing) or
the contract does not fit it; always a short message, never a traceback. A
command that reads MySQL refuses to start without ``DAL_MYSQL_URL`` and creates
no database file anywhere.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import servers
from typer.testing import CliRunner, Result

from dal.aws import dynamodb_client
from dal.cli import app
from dal.contract import load_contract
from dal.local import mariadb
from dal.schema import create_tables
from examples.store import CONTRACT as STORE_CONTRACT
from examples.store.migrations import upgrade
from examples.store.wiring import DECLARATIONS

runner = CliRunner()

CLOSED_MYSQL = "mysql+pymysql://root@127.0.0.1:1/shop"
"""A MySQL URL on a port nothing listens on: connection refused."""

CLOSED_DYNAMODB = "http://127.0.0.1:1"
"""A DynamoDB endpoint on a port nothing listens on."""

MYSQL_COMMANDS = [
    ["verify"],
    ["backfill"],
    ["repair", "--authoritative", "mysql"],
    ["db", "current"],
    ["db", "upgrade"],
    ["ids", "show"],
    ["ids", "sync", "--dry-run"],
]
_IDS = [" ".join(command) for command in MYSQL_COMMANDS]


@pytest.fixture
def workdir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty working directory, no ``DAL_*`` variable but the store's contract."""
    for name in list(os.environ):
        if name.startswith("DAL_") and not name.startswith("DAL_TEST_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DAL_CONTRACT", str(STORE_CONTRACT))
    monkeypatch.setenv("DAL_DECLARATIONS", DECLARATIONS)
    directory = tmp_path / "work"
    directory.mkdir()
    monkeypatch.chdir(directory)
    return directory


def _assert_short_error(result: Result, code: int, *words: str) -> list[str]:
    """The exit code, no traceback, a message of one paragraph naming ``words``."""
    output = result.output
    assert result.exit_code == code, output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    paragraphs = [part for part in output.strip().split("\n\n") if part.strip()]
    assert len(paragraphs) == 1, output
    for word in words:
        assert word in output, output
    return output.strip().splitlines()


@pytest.mark.parametrize("command", MYSQL_COMMANDS, ids=_IDS)
def test_a_command_that_reads_mysql_refuses_to_start_without_dal_mysql_url(
    workdir: Path, command: list[str]
) -> None:
    result = runner.invoke(app, command)

    lines = _assert_short_error(result, 2, "DAL_MYSQL_URL")
    assert len(lines) == 1, result.output
    assert list(workdir.rglob("*")) == [], "no file may be created"


@pytest.fixture(scope="module")
def store_database(mysql_server_url: str) -> Iterator[str]:
    """A MariaDB database with the store's schema, shared by this module's tests."""
    name = servers.unique_name("dal_exit_")
    url = mariadb.create_database(mysql_server_url, name)
    upgrade(url)
    yield url
    mariadb.drop_database(mysql_server_url, name)


@pytest.fixture(scope="module")
def store_tables(dynamodb_endpoint: str, table_prefix: str) -> str:
    """A table prefix with the store contract's DynamoDB tables created."""
    prefix = f"{table_prefix}exit_"
    create_tables(
        dynamodb_client(dynamodb_endpoint, "us-east-1"), load_contract(STORE_CONTRACT), prefix
    )
    return prefix


@pytest.fixture
def reachable(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    store_database: str,
    dynamodb_endpoint: str,
    store_tables: str,
) -> Path:
    """Settings of a working MariaDB store database and DynamoDB tables."""
    monkeypatch.setenv("DAL_MYSQL_URL", store_database)
    monkeypatch.setenv("DAL_DYNAMODB_ENDPOINT", dynamodb_endpoint)
    monkeypatch.setenv("DAL_TABLE_PREFIX", store_tables)
    return workdir


DATA_COMMANDS = [["verify"], ["backfill"], ["repair", "--authoritative", "mysql"]]
_DATA_IDS = [command[0] for command in DATA_COMMANDS]


def test_the_working_setup_really_works(reachable: Path) -> None:
    result = runner.invoke(app, ["verify", "--json"])

    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", [*DATA_COMMANDS, ["db", "current"], ["ids", "show"]])
@pytest.mark.parametrize(
    "url",
    [
        CLOSED_MYSQL,
        "mysql+pymysql://root:wrong-password@127.0.0.1:3306/shop",
        "mysql+pymysql://root@no-such-host.invalid:3306/shop",
    ],
    ids=["refused", "access-denied", "unknown-host"],
)
def test_an_unusable_mysql_exits_3_with_a_short_message(
    reachable: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], url: str
) -> None:
    monkeypatch.setenv("DAL_MYSQL_URL", url)

    result = runner.invoke(app, command)

    _assert_short_error(result, 3, "MySQL", "DAL_MYSQL_URL")
    assert "wrong-password" not in result.output


@pytest.mark.parametrize(
    "command",
    [*DATA_COMMANDS, ["ids", "sync"], ["schema", "create"], ["schema", "show", "--live"]],
    ids=[*_DATA_IDS, "ids", "schema create", "schema show"],
)
def test_an_unreachable_dynamodb_exits_3_with_a_short_message(
    reachable: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("DAL_DYNAMODB_ENDPOINT", CLOSED_DYNAMODB)

    result = runner.invoke(app, command)

    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert CLOSED_DYNAMODB in result.output


@pytest.mark.parametrize("command", DATA_COMMANDS, ids=_DATA_IDS)
def test_missing_dynamodb_tables_exit_3(
    reachable: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("DAL_TABLE_PREFIX", "no_such_tables_")

    result = runner.invoke(app, command)

    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "does not exist" in result.output


def _contract_with(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    contract: dict[str, Any] = json.loads(STORE_CONTRACT.read_text("utf-8"))
    change(contract)
    path = tmp_path / "contract.json"
    path.write_text(json.dumps(contract), encoding="utf-8")
    return path


def _unknown_table(contract: dict[str, Any]) -> None:
    contract["tables"][0]["entities"][0]["attributes"][2]["source_table"] = "no_such_table"


def _malformed(contract: dict[str, Any]) -> None:
    del contract["tables"][0]["pk"]


@pytest.mark.parametrize("command", DATA_COMMANDS, ids=_DATA_IDS)
@pytest.mark.parametrize(
    ("change", "words"),
    [(_unknown_table, ("no_such_table",)), (_malformed, ("invalid migration contract",))],
    ids=["unknown-table", "malformed"],
)
def test_a_contract_that_does_not_fit_exits_3_with_a_short_message(
    reachable: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    command: list[str],
    change: Callable[[dict[str, Any]], None],
    words: tuple[str, ...],
) -> None:
    monkeypatch.setenv("DAL_CONTRACT", str(_contract_with(tmp_path, change)))

    result = runner.invoke(app, command)

    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output


@pytest.mark.parametrize(
    "arguments",
    [
        ["verify", "--entity", "nope"],
        ["backfill", "--segment", "3", "--segments", "2"],
        ["backfill", "--mode", "sometimes"],
        ["repair", "--from-log", "no-such-log.jsonl"],
    ],
    ids=["unknown-entity", "segment", "mode", "missing-log"],
)
def test_bad_usage_exits_2(reachable: Path, arguments: list[str]) -> None:
    result = runner.invoke(app, arguments)

    _assert_short_error(result, 2)


def test_report_into_an_existing_folder_replaces_the_report(tmp_path: Path) -> None:
    records = tmp_path / "records.jsonl"
    records.write_text("")
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.json").write_text("old")

    result = runner.invoke(app, ["report", "--from", str(records), "--out", str(out)])

    assert result.exit_code == 0, result.output
    assert (out / "report.json").read_text() != "old"


@pytest.mark.parametrize("kind", ["file", "below-a-file", "report-is-a-folder"])
def test_report_into_a_path_that_cannot_be_written_exits_2(tmp_path: Path, kind: str) -> None:
    records = tmp_path / "records.jsonl"
    records.write_text("")
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder")
    out = {"file": blocker, "below-a-file": blocker / "report"}.get(kind, tmp_path / "out")
    if kind == "report-is-a-folder":
        (out / "report.json").mkdir(parents=True)

    result = runner.invoke(app, ["report", "--from", str(records), "--out", str(out)])

    _assert_short_error(result, 2, str(out))
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("command", DATA_COMMANDS, ids=_DATA_IDS)
@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('userz = "shadow"', "userz: unknown entity 'userz' (did you mean 'users'?)"),
        ('"users.gett" = "live"', "users has no operation 'gett' (did you mean 'get'?)"),
    ],
    ids=["entity", "operation"],
)
def test_a_flags_file_naming_no_entity_or_operation_exits_2_before_connecting(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], line: str, fragment: str
) -> None:
    flags = workdir.parent / "flags.toml"
    flags.write_text(f"[stages]\n{line}\n")
    monkeypatch.setenv("DAL_FLAGS", str(flags))
    monkeypatch.setenv("DAL_MYSQL_URL", CLOSED_MYSQL)

    result = runner.invoke(app, command)

    _assert_short_error(result, 2, fragment, str(flags))
