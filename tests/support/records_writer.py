"""A process that records comparisons through ``JsonlRecorder`` into a folder, rotating often."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

__all__ = ["start_writer"]

WRITER = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime, timedelta
    from dal.routing.recording import Category, Comparison, JsonlRecorder, MetricsRecord
    from dal.routing.stages import Stage

    folder, count = sys.argv[1], int(sys.argv[2])
    recorder = JsonlRecorder(folder, rotate_bytes=6000)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for number in range(1, count + 1):
        at = start + timedelta(seconds=number)
        recorder.record(Comparison(
            entity="accounts", operation="get", stage=Stage.SHADOW, matched=True,
            category=Category.MATCH, old_latency_ms=1.0, new_latency_ms=float(number), at=at,
        ))
        if number % 50 == 0:  # cumulative counts, as the router's snapshots are
            operation = {"entity": "accounts", "operation": "get",
                         "latency_ms": {"old": {"count": number}, "new": {"count": number}}}
            recorder.record(MetricsRecord({"operations": {"accounts.get": operation}}, at=at))
    recorder.close()
    print(recorder.file, flush=True)
    """
)


def start_writer(folder: Path, count: int) -> subprocess.Popen[str]:
    """Start a process writing ``count`` comparisons (``new_latency_ms`` 1..count) to
    ``folder``, rotating every 6000 bytes; it prints its current file when done."""
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder), str(count)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)},
    )
