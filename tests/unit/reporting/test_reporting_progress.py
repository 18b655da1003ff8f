"""Progress of reading large inputs: nothing for small ones, plain lines off a terminal."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from dal.reporting.progress import ReadingProgress, reading_progress


def test_small_inputs_show_no_progress(tmp_path: Path) -> None:
    records = tmp_path / "r.jsonl"
    records.write_text("{}\n")
    with reading_progress([str(records)], Console(file=io.StringIO())) as sink:
        assert sink is None


def test_off_a_terminal_progress_is_a_plain_line_now_and_then() -> None:
    out = io.StringIO()
    with ReadingProgress(Console(file=out, force_terminal=False), 64 * 2**20, interval=0) as bar:
        bar.advance(16 * 2**20)
        bar.advance(48 * 2**20)
    lines = out.getvalue().splitlines()
    assert lines == [
        "reading records: 16 of 64 MiB (25%)",
        "reading records: 64 of 64 MiB (100%)",
    ]
