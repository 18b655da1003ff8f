"""The repair log survives a process killed with SIGKILL in the middle of appending."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from dal import RepairEntry, RepairLog

WRITER = textwrap.dedent(
    """
    import sys
    from dal import RepairEntry, RepairLog

    log = RepairLog(sys.argv[1])
    number = 0
    while True:
        entry = log.append(
            RepairEntry(
                entity="users",
                operation="create",
                stage="shadow",
                side="new",
                reason="secondary_write_failed",
                args={"number": number, "padding": "x" * 2000},
                error_type="BackendUnavailable",
                error="down",
            )
        )
        print(entry.id, flush=True)  # only after append returned
        number += 1
    """
)


def test_every_acknowledged_entry_survives_a_kill(tmp_path):
    path = tmp_path / "repair.jsonl"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    acknowledged: list[str] = []
    try:
        assert writer.stdout is not None
        while len(acknowledged) < 25:
            line = writer.stdout.readline()
            assert line, "the writer stopped before acknowledging enough entries"
            acknowledged.append(line.strip())
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL

    log = RepairLog(path)
    survivors = [entry.id for entry in log.read()]
    assert survivors[: len(acknowledged)] == acknowledged
    numbers = [entry.args["number"] for entry in log.read()]
    assert numbers == list(range(len(numbers)))

    after = log.append(
        RepairEntry(
            entity="users", operation="delete", stage="live", side="old", reason="x", args={}
        )
    )
    assert [entry.id for entry in log.read()][-1] == after.id  # appends go on after a crash
