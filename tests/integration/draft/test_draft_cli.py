"""`dal contract draft` on bad input: a clear message naming the problem, exit 2 or 3."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from dal.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def url(fresh_database: Engine) -> str:
    with fresh_database.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE things (id INT PRIMARY KEY, name VARCHAR(20))")
    return fresh_database.url.render_as_string(hide_password=False)


def draft(url: str, tmp_path: Path, *options: str) -> tuple[int, str]:
    arguments = ["contract", "draft", "--out", str(tmp_path / "out"), *options]
    result = runner.invoke(app, arguments, env={"DAL_MYSQL_URL": url})
    return result.exit_code, " ".join(result.output.split())


def test_an_unknown_layout_is_bad_usage(url: str, tmp_path: Path) -> None:
    code, output = draft(url, tmp_path, "--layout", "star")
    assert code == 2
    assert "--layout: unknown layout 'star'; allowed: aggregate, single, per-table" in output
    assert not (tmp_path / "out").exists()


def test_a_missing_or_bad_overrides_file_is_bad_usage(url: str, tmp_path: Path) -> None:
    code, output = draft(url, tmp_path, "--overrides", str(tmp_path / "none.toml"))
    assert (code, "none.toml: no such file" in output) == (2, True)
    bad = tmp_path / "bad.toml"
    bad.write_text('[tables.things]\nsensitive = ["nope"]\n[tables.ghost]\nplacement = "root"\n')
    code, output = draft(url, tmp_path, "--overrides", str(bad))
    assert code == 2
    assert "tables.ghost: no such table with a primary key (known: things)" in output
    assert "tables.things.sensitive: no column nope" in output
    assert not (tmp_path / "out").exists()


def test_a_bad_module_name_is_bad_usage(url: str, tmp_path: Path) -> None:
    code, output = draft(url, tmp_path, "--module", "my-module")
    assert (code, "module name 'my-module' is not a Python module name" in output) == (2, True)


def test_an_unreachable_database_is_a_backend_problem(tmp_path: Path) -> None:
    code, output = draft("mysql+pymysql://root@127.0.0.1:1/none", tmp_path)
    assert code == 3, output
    assert "error:" in output


def test_a_draft_of_a_small_database_says_what_it_wrote(url: str, tmp_path: Path) -> None:
    code, output = draft(url, tmp_path, "--layout", "single", "--module", "things_declarations")
    assert code == 0, output
    assert "Drafted 1 entity in 1 DynamoDB table (single); skipped 0 views and 0 tables" in output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "design.md",
        "migration_contract.json",
        "things_declarations.py",
    ]


def test_a_query_log_is_summed_up_and_its_scans_listed_in_design_md(
    url: str, tmp_path: Path
) -> None:
    log = tmp_path / "queries.sql"
    log.write_text(
        "SELECT * FROM things WHERE id = 1; SELECT * FROM things WHERE id = 2;\n"
        "SELECT * FROM things WHERE name = 'a'; SELECT * FROM things WHERE name = 'b';\n"
    )
    code, output = draft(url, tmp_path, "--queries", str(log))
    assert code == 0, output
    assert "Query log: 4 statements, 2 shapes, 1 needing a scan (2 statements)" in output
    design = (tmp_path / "out" / "design.md").read_text()
    assert "- 2 x `SELECT * FROM things WHERE name = ?`: no access pattern on name" in design
