"""The demo end to end on the test servers: every stage runs, the planted drift is reported."""

from __future__ import annotations

import io
import json
import shlex
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from dal.cli import app as dal_app
from dal.routing import Stage
from dal.settings import Settings
from examples.store.demo import SMALL_SCALE, DemoConfig, DemoResult, run_demo
from examples.store.demo.cli import app
from examples.store.demo.flags import DEMO_THRESHOLDS
from examples.store.demo.summary import open_command, print_summary


@pytest.fixture(scope="module")
def demo(
    mysql_url: str,
    dynamodb_endpoint: str,
    table_prefix: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[DemoResult, str]:
    out = tmp_path_factory.mktemp("demo")
    settings = Settings(
        mysql_url=mysql_url, dynamodb_endpoint=dynamodb_endpoint, table_prefix=table_prefix
    )
    console = Console(file=io.StringIO(), width=120)
    result = run_demo(DemoConfig(out, SMALL_SCALE, settings), console)
    assert isinstance(console.file, io.StringIO)
    return result, console.file.getvalue()


def _paths(report: dict[str, Any], entity: str) -> set[tuple[str, str, str]]:
    entities = {e["entity"]: e for e in report["entities"]}
    return {
        (operation["operation"], path["path"], path["category"])
        for operation in entities[entity]["operations"]
        for path in operation["paths"]
    }


@pytest.mark.slow
def test_every_stage_runs_in_order(demo: tuple[DemoResult, str]) -> None:
    result, output = demo

    assert [stage.stage for stage in result.stages] == [stage.value for stage in Stage]
    assert all(stage.total == SMALL_SCALE.calls_per_stage for stage in result.stages)
    assert all(not stage.failures for stage in result.stages)
    for stage in Stage:
        assert f"{stage.value}: done in" in output
    saved = json.loads((result.out / "demo.json").read_text(encoding="utf-8"))
    assert [stage["stage"] for stage in saved["stages"]] == [stage.value for stage in Stage]


@pytest.mark.slow
def test_existing_rows_are_backfilled_before_the_dual_writes(demo: tuple[DemoResult, str]) -> None:
    result, _ = demo

    assert result.backfilled["users"] >= SMALL_SCALE.users
    assert result.backfilled["products"] >= SMALL_SCALE.products
    assert result.backfilled["categories"] >= SMALL_SCALE.categories


@pytest.mark.slow
def test_the_report_names_the_planted_drift_with_its_paths(demo: tuple[DemoResult, str]) -> None:
    result, output = demo
    report = json.loads(result.files.json.read_text(encoding="utf-8"))

    assert result.all_caught
    assert ("get", "price", "drift") in _paths(report, "products")
    assert ("get_item", "$", "drift") in _paths(report, "carts")
    assert ("list_items", "[*]", "drift") in _paths(report, "carts")
    verdicts = {e["entity"]: e["readiness"]["ready"] for e in report["entities"]}
    assert verdicts["products"] is False
    assert verdicts["carts"] is False
    markdown = result.files.markdown.read_text(encoding="utf-8")
    assert "| `get` | drift | `price` |" in markdown
    assert "`get_item` | drift | `$`" in markdown
    assert "not caught" not in output


@pytest.mark.slow
def test_no_password_hash_leaves_the_layer(demo: tuple[DemoResult, str]) -> None:
    result, _ = demo

    for path in result.out.iterdir():
        if path.suffix in {".jsonl", ".json", ".md", ".html"}:
            assert "$2b$12$" not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.slow
def test_the_gate_the_demo_prints_agrees_with_its_report(
    demo: tuple[DemoResult, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result, _ = demo
    monkeypatch.delenv("DAL_FLAGS", raising=False)
    report = json.loads(result.files.json.read_text(encoding="utf-8"))
    source = f"flags file {result.flags}"
    summary = io.StringIO()
    print_summary(result, Console(file=summary, width=120))
    printed = " ".join(summary.getvalue().split())

    assert report["thresholds_source"] == source
    assert f"Thresholds: {source}" in printed
    assert result.gate_command("users") in printed
    assert f"Open the report and its charts: {open_command(result.files.html)}" in printed
    verdicts = {e["entity"]: e["readiness"]["ready"] for e in report["entities"]}
    assert verdicts
    for entity, ready in verdicts.items():
        args = [*shlex.split(result.gate_command(entity))[1:], "--json"]  # without "dal"
        gated = CliRunner().invoke(dal_app, args)
        assert gated.exit_code == (0 if ready else 1), (entity, gated.output)
        answer = json.loads(gated.output)
        assert (answer["ready"], answer["thresholds_source"]) == (ready, source)
        assert answer["thresholds"] == dict(DEMO_THRESHOLDS)  # the demo's, not the defaults


def test_the_demo_command_refuses_bad_settings(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["--out", str(tmp_path), "--small"],
        env={"DAL_MYSQL_URL": "postgresql://db/store"},
    )

    assert result.exit_code == 2
    assert "DAL_MYSQL_URL: unsupported database 'postgresql'" in result.output


def test_the_demo_command_says_what_is_missing_to_start_dynamodb_local(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["--out", str(tmp_path), "--small"],
        env={"PATH": str(tmp_path), "DAL_DYNAMODB_ENDPOINT": None, "DAL_MYSQL_URL": None},
    )

    assert result.exit_code == 2
    assert "Java 17+ is needed to run DynamoDB Local" in " ".join(result.output.split())


@pytest.mark.slow
def test_the_html_report_charts_every_entity(demo: tuple[DemoResult, str]) -> None:
    result, _ = demo
    html = result.files.html.read_text(encoding="utf-8")
    report = json.loads(result.files.json.read_text(encoding="utf-8"))

    assert html.count('data-chart="stages"') == 1
    compared = [e for e in report["entities"] if e["comparisons"]]
    assert html.count('data-chart="comparisons"') == len(compared)
    assert html.count('data-chart="latency"') == len(compared)
    changes = sum(len(e["timeline"]["changes"]) for e in compared)
    assert changes >= 1, "the entities moved through the stages"
    assert html.count('class="stage-change"') == 2 * changes, "marked on both charts"
