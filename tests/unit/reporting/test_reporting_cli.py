"""`dal report` and `dal gate`: files written, exit codes 0 / 1 / 2, thresholds from the flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reporting_lines import comparison, difference, write
from typer.testing import CliRunner, Result

from dal.cli import app


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DAL_FLAGS", "DAL_SETTINGS_FILE"):
        monkeypatch.delenv(name, raising=False)


def _run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin, env=env)


@pytest.fixture
def records(tmp_path: Path) -> Path:
    drifted = comparison(
        "products", "get", "drift", differences=[difference("price", "9.99", "12.00")]
    )
    return write(
        tmp_path / "records.jsonl",
        [*(comparison("users", "get") for _ in range(20)), drifted, comparison("products", "get")],
    )


@pytest.fixture
def lenient(tmp_path: Path) -> Path:
    path = tmp_path / "flags.toml"
    path.write_text("[thresholds]\nmin_comparisons = 10\n", encoding="utf-8")
    return path


def test_report_writes_the_three_files(records: Path, tmp_path: Path) -> None:
    result = _run("report", "--from", str(records), "--out", str(tmp_path / "out"))

    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "report.json",
        "report.md",
        "report.html",
    }
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert [entity["entity"] for entity in data["entities"]] == ["products", "users"]
    assert "Report written" in result.output


def test_report_takes_several_files_and_warns_about_malformed_lines(
    records: Path, tmp_path: Path
) -> None:
    other = write(tmp_path / "other.jsonl", [comparison("orders", "get"), "oops"])

    result = _run("report", "--from", str(records), str(other), "--out", str(tmp_path / "out"))

    assert result.exit_code == 0, result.output
    assert f"1 malformed line(s) skipped; first at {other}:2" in " ".join(result.output.split())
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert {entity["entity"] for entity in data["entities"]} == {"orders", "products", "users"}


def test_report_refuses_an_unreadable_file(tmp_path: Path) -> None:
    result = _run("report", "--from", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path))

    assert result.exit_code == 2
    assert "missing.jsonl: cannot be read" in result.output


def test_gate_passes_an_entity_within_the_thresholds(records: Path, lenient: Path) -> None:
    result = _run("gate", "--entity", "users", "--from", str(records), "--thresholds", str(lenient))

    assert result.exit_code == 0, result.output
    assert "users: ready to move from shadow to live" in " ".join(result.output.split())


def test_gate_fails_an_entity_over_the_thresholds_and_says_why(
    records: Path, lenient: Path
) -> None:
    result = _run("gate", "-e", "products", "--from", str(records), "--thresholds", str(lenient))

    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert "products: not ready" in output
    assert "mismatch rate 50.00% (1 of 2 comparisons drifted), above 0.10%" in output


def test_gate_reads_the_thresholds_of_the_flags_file_in_dal_flags(
    records: Path, lenient: Path
) -> None:
    assert _run("gate", "-e", "users", "--from", str(records)).exit_code == 1  # 100 needed
    result = _run("gate", "-e", "users", "--from", str(records), env={"DAL_FLAGS": str(lenient)})

    assert result.exit_code == 0, result.output


def test_gate_reads_standard_input(records: Path, lenient: Path) -> None:
    text = records.read_text(encoding="utf-8")

    result = _run("gate", "-e", "users", "--thresholds", str(lenient), stdin=text)

    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-e", "carts"], "no records of entity 'carts'"),
        (["-e", "users", "--from", "/nonexistent/records.jsonl"], "cannot be read"),
        (["-e", "users", "--thresholds", "/nonexistent/flags.toml"], "cannot read the thresholds"),
    ],
)
def test_gate_exits_2_on_bad_input(records: Path, args: list[str], message: str) -> None:
    if "--from" not in args:
        args = [*args, "--from", str(records)]

    result = _run("gate", *args)

    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_gate_exits_2_on_an_unknown_threshold(records: Path, tmp_path: Path) -> None:
    flags = tmp_path / "flags.toml"
    flags.write_text("[thresholds]\nmax_drift = 0\n", encoding="utf-8")

    result = _run("gate", "-e", "users", "--from", str(records), "--thresholds", str(flags))

    assert result.exit_code == 2
    assert "unknown threshold 'max_drift'" in result.output
