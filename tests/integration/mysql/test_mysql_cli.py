"""`dal db upgrade` and `dal db current` against real databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dal.cli import app
from dal.migrations import head

runner = CliRunner()


def test_upgrade_then_current(fresh_url: str) -> None:
    first = runner.invoke(app, ["db", "upgrade", "--url", fresh_url])
    again = runner.invoke(app, ["db", "upgrade", "--url", fresh_url])
    current = runner.invoke(app, ["db", "current", "--url", fresh_url])
    assert (first.exit_code, again.exit_code, current.exit_code) == (0, 0, 0)
    assert f"from no revision to {head()}" in first.output
    assert "already at" in again.output
    assert f"is at {head()} (the latest)" in current.output


def test_upgrade_to_a_named_revision(fresh_url: str) -> None:
    upgraded = runner.invoke(app, ["db", "upgrade", "--url", fresh_url, "--revision", "0001"])
    current = runner.invoke(app, ["db", "current", "--url", fresh_url])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"is at 0001_layer_tables; the latest is {head()}" in current.output
    latest = runner.invoke(app, ["db", "upgrade", "--url", fresh_url])
    assert latest.exit_code == 0, latest.output
    assert (
        f"is at {head()} (the latest)"
        in runner.invoke(app, ["db", "current", "--url", fresh_url]).output
    )


def test_url_comes_from_the_settings(
    fresh_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAL_MYSQL_URL", fresh_url)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert head() in result.output


@pytest.mark.mysql
@pytest.mark.parametrize("backend", ["mariadb"])
def test_password_is_not_shown(fresh_url: str) -> None:
    url = fresh_url.replace("root@", "root:secret-word@")
    result = runner.invoke(app, ["db", "current", "--url", url])
    assert "secret-word" not in result.output


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["--url", "postgresql://nowhere/x"], 2, "error"),
        (["--url", "not a url"], 2, "error"),
        (["--url", "sqlite:////no/such/folder/x.db"], 3, "MySQL database cannot be used"),
        (["--url", "mysql+pymysql://root@127.0.0.1:1/x"], 3, "MySQL database cannot be used"),
    ],
    ids=["unsupported", "malformed", "unreachable-sqlite", "refused"],
)
def test_failures_exit_non_zero_with_a_message(
    arguments: list[str], code: int, message: str
) -> None:
    result = runner.invoke(app, ["db", "upgrade", *arguments])
    assert result.exit_code == code
    assert message in result.output
    assert "Traceback" not in result.output


def test_unknown_revision_exits_2(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = runner.invoke(app, ["db", "upgrade", "--url", url, "--revision", "nope"])
    assert result.exit_code == 2
    assert "nope" in result.output
