"""`dal report` and `dal gate` agree: the same records give every entity the same readiness.

Both resolve their thresholds the same way (``--flags FILE``, else the flags file
in ``DAL_FLAGS``, else the built-in defaults) and both say where they came from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from reporting_lines import comparison, difference, write
from typer.testing import CliRunner, Result

from dal.cli import app

ENTITIES = ("carts", "orders", "products", "users")


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DAL_FLAGS", "DAL_SETTINGS_FILE"):
        monkeypatch.delenv(name, raising=False)


def _run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def _flat(result: Result) -> str:
    return " ".join(result.output.split())


@pytest.fixture
def records(tmp_path: Path) -> Path:
    """Entities whose verdicts turn on the thresholds: each is ready under one set only."""
    drifted = comparison("products", "get", "drift", differences=[difference("price", 1, 2)])
    return write(
        tmp_path / "records.jsonl",
        [
            *(comparison("users", "get") for _ in range(30)),  # too few for the defaults
            *(comparison("orders", "get") for _ in range(120)),  # enough for either
            *(comparison("products", "get") for _ in range(119)),
            drifted,  # 1 of 120 drifted: too many for the defaults
            *(comparison("carts", "get", new_ms=5.0) for _ in range(150)),  # p95 ratio 5
        ],
    )


@pytest.fixture
def flags(tmp_path: Path) -> Path:
    """A flags file whose thresholds differ from the defaults."""
    path = tmp_path / "flags.toml"
    path.write_text(
        '[stages]\nusers = "shadow"\n\n'
        "[thresholds]\n"
        "min_comparisons = 20\n"
        "max_p95_latency_ratio = 6.0\n"
        "max_p99_latency_ratio = 6.0\n"
        '"products.max_mismatch_rate" = 0.01\n',
        encoding="utf-8",
    )
    return path


def _report(records: Path, out: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    result = _run("report", "--from", str(records), "--out", str(out), *args, env=env)
    assert result.exit_code == 0, result.output
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert f"Thresholds: {data['thresholds_source']}" in _flat(result)
    return data


def _gate(records: Path, entity: str, *args: str, env: dict[str, str] | None = None) -> Any:
    result = _run("gate", "-e", entity, "--from", str(records), "--json", *args, env=env)
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.output)
    assert data["ready"] is (result.exit_code == 0)
    return data


def _verdicts(
    records: Path, out: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[dict[str, bool], dict[str, bool], set[str]]:
    report = _report(records, out, *args, env=env)
    reported = {e["entity"]: e["readiness"]["ready"] for e in report["entities"]}
    gated, sources = {}, {report["thresholds_source"]}
    for entity in ENTITIES:
        answer = _gate(records, entity, *args, env=env)
        gated[entity] = answer["ready"]
        sources.add(answer["thresholds_source"])
    return reported, gated, sources


def test_with_the_built_in_defaults(records: Path, tmp_path: Path) -> None:
    reported, gated, sources = _verdicts(records, tmp_path / "out")

    assert reported == gated
    assert reported == {"carts": False, "orders": True, "products": False, "users": False}
    assert sources == {"built-in defaults"}


def test_with_the_flags_file_named_by_the_option(
    records: Path, flags: Path, tmp_path: Path
) -> None:
    reported, gated, sources = _verdicts(records, tmp_path / "out", "--flags", str(flags))

    assert reported == gated
    assert reported == {"carts": True, "orders": True, "products": True, "users": True}
    assert sources == {f"flags file {flags}"}


def test_with_the_flags_file_in_dal_flags(records: Path, flags: Path, tmp_path: Path) -> None:
    env = {"DAL_FLAGS": str(flags)}
    reported, gated, sources = _verdicts(records, tmp_path / "out", env=env)

    assert reported == gated
    assert reported == {"carts": True, "orders": True, "products": True, "users": True}
    assert sources == {f"flags file {flags} (DAL_FLAGS)"}


def test_the_option_wins_over_dal_flags(records: Path, flags: Path, tmp_path: Path) -> None:
    strict = tmp_path / "strict.toml"
    strict.write_text("[thresholds]\nmin_comparisons = 1000\n", encoding="utf-8")
    env = {"DAL_FLAGS": str(flags)}

    reported, gated, sources = _verdicts(records, tmp_path / "out", "--flags", str(strict), env=env)

    assert reported == gated
    assert not any(reported.values())
    assert sources == {f"flags file {strict}"}


def test_the_gate_prints_where_its_thresholds_came_from(records: Path, flags: Path) -> None:
    given = _run("gate", "-e", "users", "--from", str(records), "--flags", str(flags))
    default = _run("gate", "-e", "users", "--from", str(records))

    assert given.exit_code == 0, given.output
    assert f"Thresholds: flags file {flags}" in _flat(given)
    assert default.exit_code == 1, default.output
    assert "Thresholds: built-in defaults" in _flat(default)


def test_the_gate_json_holds_the_limits_and_checks(records: Path, flags: Path) -> None:
    answer = _gate(records, "products", "--flags", str(flags))

    assert answer["entity"] == "products"
    assert answer["thresholds"]["max_mismatch_rate"] == 0.01
    assert answer["thresholds"]["min_comparisons"] == 20
    assert [check["name"] for check in answer["checks"]][:2] == [
        "min_comparisons",
        "max_mismatch_rate",
    ]
    assert answer["headline"] == "ready to move from shadow to live"
