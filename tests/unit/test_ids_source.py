"""DAL_ID_SOURCE: validated with an error naming the key; the container wires what it names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from adapters.dynamodb import DynamoIdAllocator
from adapters.mysql import SqlIdAllocator
from dal.cli import app
from dal.container import build_container
from dal.idsource import PreparedIdAllocator
from dal.settings import Settings, SettingsError, load_settings

UNREACHABLE = "http://127.0.0.1:1"  # nothing listens: building must not connect


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``DAL_*`` setting from the caller's shell (the test servers' variables stay)."""
    for name in list(os.environ):
        if name.startswith("DAL_") and not name.startswith("DAL_TEST_"):
            monkeypatch.delenv(name)


def _settings(tmp_path: Path, source: str) -> Settings:
    return Settings(
        mysql_url=f"sqlite:///{tmp_path / 'store.db'}",
        dynamodb_endpoint=UNREACHABLE,
        table_prefix="unit_",
        id_source=source,
    )


def test_ids_come_from_mysql_by_default() -> None:
    assert load_settings().id_source == "mysql"


@pytest.mark.parametrize("value", ["dynamodb", " DynamoDB ", "DYNAMODB"])
def test_the_source_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DAL_ID_SOURCE", value)

    assert load_settings().id_source == "dynamodb"


def test_an_empty_source_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAL_ID_SOURCE", " ")

    assert load_settings().id_source == "mysql"


@pytest.mark.parametrize("value", ["postgres", "my sql", "mysql,dynamodb"])
def test_a_bad_source_is_an_error_naming_the_key_and_the_choices(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DAL_ID_SOURCE", value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    message = str(raised.value)
    assert message.startswith("DAL_ID_SOURCE: must be 'mysql' or 'dynamodb'")
    assert repr(value) in message


def test_a_bad_source_given_in_code_names_the_key() -> None:
    with pytest.raises(ValidationError, match="DAL_ID_SOURCE"):
        Settings(id_source="oracle")


def test_the_mysql_source_is_the_sql_allocator(tmp_path: Path) -> None:
    container = build_container(_settings(tmp_path, "mysql"))

    ids = container.id_allocator()

    assert isinstance(ids, SqlIdAllocator)
    assert ids is container.mysql_id_allocator()
    container.shutdown_resources()


def test_the_dynamodb_source_is_the_counter_allocator_built_without_a_request(
    tmp_path: Path,
) -> None:
    container = build_container(_settings(tmp_path, "dynamodb"))

    ids = container.id_allocator()

    assert isinstance(ids, PreparedIdAllocator)
    assert isinstance(ids.inner, DynamoIdAllocator)
    assert ids is container.id_allocator()


@pytest.mark.parametrize("source", ["mysql", "dynamodb"])
def test_both_routed_stores_share_one_replaying_allocator_over_the_source(
    tmp_path: Path, source: str
) -> None:
    container = build_container(_settings(tmp_path, source))

    replaying = container.replaying_ids()

    assert replaying.inner is container.id_allocator()
    assert container.replaying_ids() is replaying
    container.shutdown_resources()


@pytest.mark.parametrize(
    "command", [["ids", "show"], ["ids", "sync"], ["ids", "sync", "--dry-run"]]
)
def test_the_commands_refuse_a_bad_source_before_touching_a_backend(
    monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("DAL_ID_SOURCE", "sqlserver")

    result = CliRunner().invoke(app, command)

    assert result.exit_code == 2
    assert "DAL_ID_SOURCE: must be 'mysql' or 'dynamodb', got 'sqlserver'" in result.output
