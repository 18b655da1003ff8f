"""Options and progress of the migration tools, without servers."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from dal.migrate.backfill import BackfillOptions
from dal.migrate.checkpoints import Checkpoint, SegmentId
from dal.migrate.progress import RichProgress


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"batch_size": 0}, "--batch-size must be between 1 and 100"),
        ({"batch_size": 101}, "--batch-size must be between 1 and 100"),
        ({"workers": 0}, "--workers must be at least 1"),
        ({"segment": 2, "segments": 2}, "segment must be in 0..1"),
        ({"segments": 0}, "segments at least 1"),
    ],
)
def test_bad_backfill_options_are_refused_with_the_option_named(
    fields: dict[str, int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        BackfillOptions(**fields)  # type: ignore[arg-type]


def test_a_checkpoint_accumulates_counts_as_it_advances() -> None:
    start = Checkpoint(SegmentId("users", 1, 4))

    moved = start.advanced((10,), 8, 1, 1).advanced((20,), 10, 0, 0)

    assert (moved.last_key, moved.copied, moved.skipped, moved.failed) == ((20,), 18, 1, 1)
    assert str(moved.segment) == "users[1/4]"
    assert str(SegmentId("users")) == "users"


def test_progress_prints_plain_lines_when_not_on_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=120)

    with RichProgress(console, interval=0.0) as progress:
        progress.start("products", 10)
        progress.advance("products", 4)
        progress.finish("products")

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("products: 4/10 rows, ")
    assert "rows/s, ETA " in lines[0]
    assert lines[-1].endswith("(done)")
