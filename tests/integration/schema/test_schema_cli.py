"""`dal schema create | drop | show` through the command line."""

from __future__ import annotations

import itertools
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from support.tables import table_names
from typer.testing import CliRunner, Result

from dal.aws import dynamodb_client
from dal.commands.schema import register
from dal.contract import load_contract
from dal.schema import drop_tables
from examples.store import CONTRACT as STORE_CONTRACT_PATH

CONTRACT = STORE_CONTRACT_PATH
_numbers = itertools.count(1)


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """No DAL_* variable of the caller; the project's contract; a wide terminal."""
    for name in list(os.environ):
        if name.startswith("DAL_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return {"DAL_CONTRACT": str(CONTRACT), "COLUMNS": "200"}


@pytest.fixture
def local(
    environment: dict[str, str], dynamodb_endpoint: str, table_prefix: str
) -> Iterator[dict[str, str]]:
    """Settings pointing at DynamoDB Local with a prefix of this test's own."""
    prefix = f"{table_prefix}cli{next(_numbers)}_"
    yield {**environment, "DAL_DYNAMODB_ENDPOINT": dynamodb_endpoint, "DAL_TABLE_PREFIX": prefix}
    drop_tables(dynamodb_client(dynamodb_endpoint, "us-east-1"), load_contract(CONTRACT), prefix)


def run(app: typer.Typer, env: dict[str, str], *args: str, answer: str | None = None) -> Result:
    return CliRunner().invoke(app, ["schema", *args], env=env, input=answer)


def _tables(env: dict[str, str]) -> set[str]:
    client = dynamodb_client(env["DAL_DYNAMODB_ENDPOINT"], "us-east-1")
    prefix = env["DAL_TABLE_PREFIX"]
    return table_names(client, prefix)


def test_show_the_contract(app: typer.Typer, environment: dict[str, str]) -> None:
    result = run(app, {**environment, "DAL_TABLE_PREFIX": "dev_"}, "show")

    assert result.exit_code == 0, result.output
    for text in ("dev_Users", "dev_Products", "dev_Categories", "GSI3PK (S) / GSI3SK (S)"):
        assert text in result.output
    assert "USER, CART, ORDER, USERNAME_GUARD" in result.output


def test_create_show_live_and_drop(app: typer.Typer, local: dict[str, str]) -> None:
    prefix = local["DAL_TABLE_PREFIX"]
    names = {prefix + name for name in ("Users", "Products", "Categories")}

    created = run(app, local, "create")
    again = run(app, local, "create")
    shown = run(app, local, "show", "--live")
    kept = run(app, local, "drop", answer="n\n")
    still_there = _tables(local)
    dropped = run(app, local, "drop", answer="y\n")

    assert created.exit_code == 0, created.output
    assert f"{prefix}Users, {prefix}Products, {prefix}Categories" in created.output
    assert again.exit_code == 0, again.output
    assert "Nothing to create" in again.output
    assert shown.exit_code == 0, shown.output
    assert shown.output.count("ACTIVE") >= 3 + 6
    assert kept.exit_code == 1
    assert still_there == names
    assert dropped.exit_code == 0, dropped.output
    assert _tables(local) == set()


def test_drop_with_yes_does_not_ask(app: typer.Typer, local: dict[str, str]) -> None:
    run(app, local, "create")

    result = run(app, local, "drop", "--yes")
    nothing = run(app, local, "drop", "--yes")

    assert result.exit_code == 0, result.output
    assert "Drop " not in result.output
    assert _tables(local) == set()
    assert "No table of the contract exists" in nothing.output


def test_options_override_the_settings(
    app: typer.Typer, local: dict[str, str], tmp_path: Path
) -> None:
    contract = json.loads(CONTRACT.read_text("utf-8"))
    contract["tables"] = contract["tables"][1:2]  # Products only
    path = tmp_path / "products.json"
    path.write_text(json.dumps(contract), encoding="utf-8")
    prefix = local["DAL_TABLE_PREFIX"]

    result = run(app, local, "create", "--contract", str(path), "--prefix", f"{prefix}o_")

    assert result.exit_code == 0, result.output
    assert _tables(local) == {f"{prefix}o_Products"}
    run(app, local, "drop", "--yes", "--contract", str(path), "--prefix", f"{prefix}o_")


def test_a_table_that_differs_exits_1_and_says_what_differs(
    app: typer.Typer, local: dict[str, str]
) -> None:
    client = dynamodb_client(local["DAL_DYNAMODB_ENDPOINT"], "us-east-1")
    wrong = local["DAL_TABLE_PREFIX"] + "Categories"
    client.create_table(
        TableName=wrong,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )

    result = run(app, local, "create")

    assert result.exit_code == 1
    assert f"{wrong}: sort key is absent, the contract says 'SK'" in result.output
    assert f"{wrong}: attribute 'PK' has type N, the contract says S" in result.output


def test_a_malformed_contract_exits_3_naming_the_problem(
    app: typer.Typer, environment: dict[str, str], tmp_path: Path
) -> None:
    contract: dict[str, Any] = json.loads(CONTRACT.read_text("utf-8"))
    del contract["tables"][0]["pk"]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(contract), encoding="utf-8")

    for command in ("show", "create", "drop"):
        result = run(app, {**environment, "DAL_CONTRACT": str(path)}, command)

        assert result.exit_code == 3, result.output
        assert f"invalid migration contract {path}: Users: table requires 'pk'" in result.output


def test_bad_settings_exit_2(app: typer.Typer, environment: dict[str, str]) -> None:
    result = run(app, {**environment, "DAL_DYNAMODB_ENDPOINT": "ftp://x"}, "create")

    assert result.exit_code == 2
    assert "DAL_DYNAMODB_ENDPOINT: not an http(s) URL" in result.output


def test_a_prefix_dynamodb_refuses_exits_2(app: typer.Typer, environment: dict[str, str]) -> None:
    result = run(app, environment, "show", "--prefix", "no spaces ")

    assert result.exit_code == 2
    assert "is not valid in DynamoDB" in result.output


def test_an_unreachable_endpoint_exits_3(app: typer.Typer, environment: dict[str, str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{probe.getsockname()[1]}"

    result = run(app, environment, "create", "--endpoint", endpoint)

    assert result.exit_code == 3
    assert "Traceback" not in result.output
    assert f"DynamoDB at {endpoint} cannot be reached" in result.output
