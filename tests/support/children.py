"""The child processes of a process, from ``/proc``, and waiting for processes to end."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Collection
from pathlib import Path


def children(pid: int) -> set[int]:
    """The live processes whose parent is ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (command)"
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry.name))
    return found


def running(pid: int) -> bool:
    """Whether ``pid`` is a live process (not ended, not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def niceness(pid: int) -> int | None:
    """The nice value of process ``pid`` (None once it has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[16])  # field 19 of proc(5)


def wait_gone(pids: Collection[int], timeout: float) -> set[int]:
    """Wait until none of ``pids`` runs; return those still running after ``timeout``."""
    limit = time.monotonic() + timeout
    while (left := {pid for pid in pids if running(pid)}) and time.monotonic() < limit:
        time.sleep(0.1)
    return left


def kill_all(pids: Collection[int]) -> None:
    """SIGKILL each of ``pids`` that still runs (a test's clean-up)."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)
