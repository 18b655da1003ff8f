"""A process that appends repair-log entries until it is killed, for the crash tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

__all__ = ["killed_writer"]

WRITER = textwrap.dedent(
    """
    import sys
    from dal import RepairEntry, RepairLog

    log = RepairLog(sys.argv[1], rotate_bytes=int(sys.argv[2]))
    number = 0
    while True:
        entry = log.append(
            RepairEntry(
                entity="accounts",
                operation="update",
                stage="shadow",
                side="new",
                reason="secondary_write_failed",
                args={"id": number % 3, "number": number, "padding": "x" * 900},
                error_type="BackendUnavailable",
                error="down",
            )
        )
        print(entry.id, flush=True)  # only after append returned
        number += 1
    """
)


def killed_writer(path: Path, acknowledged: int, rotate_bytes: int = 64 * 2**20) -> list[str]:
    """Start a writer on the log ``path``, let it acknowledge ``acknowledged`` entries, then
    kill it with SIGKILL; the ids it acknowledged, in order."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(rotate_bytes)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    ids: list[str] = []
    try:
        assert writer.stdout is not None
        while len(ids) < acknowledged:
            line = writer.stdout.readline()
            assert line, "the writer stopped before acknowledging enough entries"
            ids.append(line.strip())
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    return ids
