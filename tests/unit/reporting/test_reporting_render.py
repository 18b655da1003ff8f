"""The three renderings: what they hold, that HTML is self-contained, that no secret leaks."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from reporting_lines import comparison, difference, drop, error, write

from dal.reporting import Report, Thresholds, report_from_files, write_report

SECRET_OLD = "s3cr3t-old-password-hash"
SECRET_NEW = "s3cr3t-new-password-hash"
SECRET_NESTED = "s3cr3t-nested-password-hash"


def _records() -> list[dict[str, Any] | str]:
    nested_old = {"id": 1, "username": "ada", "password_hash": SECRET_NESTED}
    return [
        *(comparison("users", "get") for _ in range(5)),
        comparison(
            "users",
            "get",
            "drift",
            differences=[difference("password_hash", SECRET_OLD, SECRET_NEW)],
        ),
        comparison("users", "create", "drift", differences=[difference("", nested_old, None)]),
        comparison(
            "products",
            "list",
            "drift",
            differences=[difference("items[3].price", "19.99", "24.99")],
            old_ms=2.0,
            new_ms=30.0,
        ),
        comparison(
            "carts",
            "list_items",
            "drift",
            differences=[difference("[2]", {"product_id": 7, "quantity": 1}, "<missing>")],
        ),
        comparison(
            "carts",
            "list_items",
            "expected_staleness",
            differences=[difference("[0].price", "5.00", "4.50", "expected_staleness")],
        ),
        error("users", "create", message="duplicate " + "x" * 150 + " " + SECRET_NESTED),
        error("users", "get", message=f"could not hash {SECRET_OLD} <script>alert(1)</script>"),
        drop("products", "list", "timeout", 2),
        "this line is not JSON",
    ]


@pytest.fixture
def written(tmp_path: Path) -> tuple[Report, dict[str, str]]:
    source = write(tmp_path / "records.jsonl", _records())
    report = report_from_files([str(source)], Thresholds())
    files = write_report(report, tmp_path / "out")
    texts = {
        name: path.read_text(encoding="utf-8")
        for name, path in (("json", files.json), ("md", files.markdown), ("html", files.html))
    }
    return report, texts


def test_no_sensitive_value_appears_in_any_output(written: tuple[Report, dict[str, str]]) -> None:
    _, texts = written

    for name, text in texts.items():
        assert "s3cr3t" not in text, name
        assert "<redacted:" in text or "&lt;redacted:" in text, name


def test_the_json_report_holds_verdicts_paths_errors_latencies_and_drops(
    written: tuple[Report, dict[str, str]],
) -> None:
    data = json.loads(written[1]["json"])

    assert data["report_version"] == 1
    assert data["malformed_count"] == 1
    assert data["malformed"][0]["line"] == 14
    entities = {entity["entity"]: entity for entity in data["entities"]}
    assert set(entities) == {"carts", "products", "users"}
    products = entities["products"]
    assert products["readiness"]["ready"] is False
    assert any("mismatch rate" in reason for reason in products["readiness"]["reasons"])
    ((operation, path),) = products["paths"]
    assert (operation, path["path"], path["example_path"]) == (
        "list",
        "items[*].price",
        "items[3].price",
    )
    assert (path["old"], path["new"]) == ('"19.99"', '"24.99"')
    assert products["operations"][0]["drops"] == {"timeout": 2}
    assert products["latency"]["ratio_p95"] == 15.0
    carts = entities["carts"]
    assert carts["categories"] == {"expected_staleness": 1, "drift": 1}
    assert carts["mismatch_rate"] == 0.5
    users = entities["users"]
    assert users["errors"][1] == {
        "origin": "new",
        "errors": 2,
        "calls": 9,
        "rate": 0.222222,
        "types": [],
    }


def test_markdown_has_a_section_per_entity_with_its_tables(
    written: tuple[Report, dict[str, str]],
) -> None:
    markdown = written[1]["md"]

    for heading in (
        "## Readiness",
        "## carts: not ready",
        "### Differing field paths",
        "### Errors by origin",
        "### Latency of compared calls (ms)",
        "### Shadow drops",
        "## Malformed lines",
    ):
        assert heading in markdown
    assert "| `list_items` | drift | `[*]` | 1 | `[2]` |" in markdown
    assert "`<missing>`" in markdown
    assert "records.jsonl:14`: not JSON" in markdown


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in {"meta", "br", "link", "img", "input"}:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open[-1:] == [tag], f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()


def test_the_html_page_is_self_contained_and_well_formed(
    written: tuple[Report, dict[str, str]],
) -> None:
    page = written[1]["html"]
    parser = _Tags()
    parser.feed(page)

    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "link", "img", "iframe", "object"}
    assert "style" in names
    assert parser.open == []
    links = [attrs.get("href") or "" for tag, attrs in parser.tags if tag == "a"]
    assert links
    assert all(link.startswith("#") for link in links)
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;missing&gt;" in page
    assert "<details>" in page


def test_an_empty_input_still_gives_a_report(tmp_path: Path) -> None:
    source = write(tmp_path / "empty.jsonl", [])
    report = report_from_files([str(source)], Thresholds())

    files = write_report(report, tmp_path / "out")

    assert "No records of any entity." in files.markdown.read_text(encoding="utf-8")
    assert json.loads(files.json.read_text(encoding="utf-8"))["entities"] == []
