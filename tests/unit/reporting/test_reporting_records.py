"""Reading JSON lines: every kind parsed, malformed lines reported with file:line, never fatal."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from reporting_lines import comparison, drop, error, metrics, write

from dal.reporting import ReportInputError, read_sources
from dal.reporting.records import (
    ComparisonLine,
    DropLine,
    ErrorLine,
    Located,
    Malformed,
    MetricsLine,
    UnknownKind,
    read_lines,
)


def test_every_kind_is_parsed_with_its_place(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.jsonl", [comparison(), error(), drop(), metrics({"users.get": (1, 1)})]
    )

    parsed = list(read_sources([str(path)]))

    assert all(isinstance(item, Located) for item in parsed)
    located = [item for item in parsed if isinstance(item, Located)]
    kinds = [type(item.record) for item in located]
    assert kinds == [ComparisonLine, ErrorLine, DropLine, MetricsLine]
    assert [item.line for item in located] == [1, 2, 3, 4]
    assert {item.source for item in located} == {str(path)}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object but list"),
        (b'{"schema": 1}', "no 'kind' field"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"kind": "comparison", "schema": 1, "ts": "2026-01-01T00:00:00Z"}', "entity"),
        (
            b'{"kind": "drop", "schema": 2, "ts": "2026-01-01T00:00:00Z", "entity": "u",'
            b' "operation": "g", "reason": "timeout"}',
            "schema",
        ),
        (
            b'{"kind": "error", "schema": 1, "ts": "yesterday", "origin": "new", "entity": "u",'
            b' "operation": "g", "error_type": "X"}',
            "ts",
        ),
        (
            b'{"kind": "comparison", "schema": 1, "ts": "2026-01-01T00:00:00Z", "entity": "u",'
            b' "operation": "g", "matched": true, "category": "fine"}',
            "category",
        ),
    ],
)
def test_a_malformed_line_names_its_place_and_problem(line: bytes, reason: str) -> None:
    stream = io.BytesIO(b"\n".join([line, b""]))

    (parsed,) = list(read_lines(stream, "records.jsonl"))

    assert isinstance(parsed, Malformed)
    assert parsed.where == "records.jsonl:1"
    assert reason in parsed.reason


def test_reading_goes_on_after_malformed_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "r.jsonl", [comparison(), "garbage", "", "   ", comparison()])
    path.write_bytes(path.read_bytes() + b'{"kind": "comparison", "sch')  # torn last line

    parsed = list(read_sources([str(path)]))

    assert [type(item).__name__ for item in parsed] == [
        "Located",
        "Malformed",
        "Located",
        "Malformed",
    ]
    assert [item.line for item in parsed] == [1, 2, 5, 6]


def test_a_record_of_an_unknown_kind_is_skipped_not_malformed() -> None:
    stream = io.BytesIO(b'{"kind": "histogram", "schema": 1}\n')

    (parsed,) = list(read_lines(stream, "r"))

    assert parsed == UnknownKind("r", 1, "histogram")


def test_every_source_is_checked_before_reading(tmp_path: Path) -> None:
    good = write(tmp_path / "good.jsonl", [comparison()])

    with pytest.raises(ReportInputError, match=r"missing\.jsonl: cannot be read"):
        list(read_sources([str(good), str(tmp_path / "missing.jsonl")]))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReportInputError, match="a folder without records files"):
        list(read_sources([str(tmp_path / "empty")]))
    with pytest.raises(ReportInputError, match="matches no file"):
        list(read_sources([str(tmp_path / "*.gz")]))
