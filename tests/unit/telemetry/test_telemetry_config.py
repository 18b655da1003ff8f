"""The Grafana dashboard and the Prometheus alert rules in config/: well-formed, and every
metric and label they name is one the layer's Prometheus endpoint exports."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from servers import servers_required
from support.promtool import find_promtool

from dal.telemetry import METRICS, prometheus_names

CONFIG = Path(__file__).parents[3] / "config"
DASHBOARD = CONFIG / "grafana-dashboard.json"
ALERTS = CONFIG / "prometheus-alerts.yml"
ALERT_TESTS = CONFIG / "prometheus-alerts.test.yml"

EXPORTED = set().union(*prometheus_names().values())
LABELS = {name.replace(".", "_") for spec in METRICS for name in spec.attributes} | {"le"}
_MATCHERS = re.compile(r"\{([^}]*)\}")
_GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
_METRIC = re.compile(r"\b(?:dal|db_client)_[a-z0-9_]+\b")


def dashboard_exprs() -> list[str]:
    board = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in board["panels"] for t in p.get("targets", [])]
    variables = board["templating"]["list"]
    exprs += [v["definition"] for v in variables if v["type"] == "query"]
    return exprs


def alert_rules() -> list[dict[str, Any]]:
    rules = yaml.safe_load(ALERTS.read_text())
    return [rule for group in rules["groups"] for rule in group["rules"]]


def metrics_of(expr: str) -> set[str]:
    bare = _GROUPING.sub("", _MATCHERS.sub("", expr))
    bare = re.sub(r"label_values\(([^,]+),[^)]*\)", r"\1", bare)
    return set(_METRIC.findall(bare))


def labels_of(expr: str) -> set[str]:
    labels = set()
    for matchers in _MATCHERS.findall(expr):
        labels |= {m.split("=")[0].strip(" !~") for m in matchers.split(",") if m.strip()}
    for grouping in _GROUPING.findall(expr):
        labels |= {name.strip() for name in grouping.split(",") if name.strip()}
    labels |= set(re.findall(r"label_values\([^,]+,\s*(\w+)\)", expr))
    return labels


def test_the_dashboard_is_json_with_unique_panel_ids_and_a_query_in_each_panel():
    board = json.loads(DASHBOARD.read_text())
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    graphs = [panel for panel in board["panels"] if panel["type"] != "row"]
    assert all(panel["targets"] and panel["title"] for panel in graphs)


def test_the_dashboard_names_only_exported_metrics_and_labels_and_shows_every_metric():
    named: set[str] = set()
    for expr in dashboard_exprs():
        assert metrics_of(expr) <= EXPORTED, expr
        assert labels_of(expr) <= LABELS, expr
        named |= metrics_of(expr)
    for spec in METRICS:
        assert named & prometheus_names()[spec.name], f"no panel shows {spec.name}"


def test_the_alert_rules_are_yaml_and_name_only_exported_metrics_and_labels():
    rules = alert_rules()
    assert {rule["alert"] for rule in rules} >= {
        "DalDriftRateAboveThreshold",
        "DalCircuitBreakerOpen",
        "DalRepairBacklogGrowing",
    }
    for rule in rules:
        assert metrics_of(rule["expr"]), rule["alert"]
        assert metrics_of(rule["expr"]) <= EXPORTED, rule["alert"]
        assert labels_of(rule["expr"]) <= LABELS, rule["alert"]
        assert {"summary", "description"} <= set(rule["annotations"])


def test_the_metric_name_check_would_catch_a_misspelt_name():
    assert metrics_of('sum by (dal_stage) (rate(dal_comparison_total{dal_category="x"}[5m]))') == {
        "dal_comparison_total"
    }
    assert "dal_comparison_total" not in EXPORTED
    assert labels_of('x{db_collection_nme="a"}') - LABELS == {"db_collection_nme"}


@pytest.fixture(scope="module")
def promtool() -> str:
    found = find_promtool()
    if found is None:
        reason = "no promtool: run make promtool, install prometheus, or set DAL_TEST_PROMTOOL"
        if servers_required():
            pytest.fail(f"{reason} (DAL_TEST_REQUIRE_SERVERS=1)", pytrace=False)
        pytest.skip(reason)
    return found


def test_promtool_accepts_the_alert_rules(promtool: str) -> None:
    checked = subprocess.run(
        [promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_alert_fires_in_the_rules_unit_tests(promtool: str) -> None:
    """promtool's unit tests of the rules pass, and they expect every alert at least once."""
    rules = yaml.safe_load(ALERTS.read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    cases = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    fired = {
        check["alertname"]
        for case in cases
        for check in case["alert_rule_test"]
        if check["exp_alerts"]
    }
    tested = subprocess.run(
        [promtool, "test", "rules", ALERT_TESTS.name],
        cwd=CONFIG,
        capture_output=True,
        text=True,
        check=False,
    )

    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert fired == alerts


def test_the_telemetry_page_documents_every_metric():
    page = (CONFIG.parent / "docs" / "telemetry.md").read_text()
    for spec in METRICS:
        assert f"`{spec.name}`" in page, spec.name
        for attribute in spec.attributes:
            assert f"`{attribute}`" in page, (spec.name, attribute)
