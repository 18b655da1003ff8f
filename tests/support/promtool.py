"""Prometheus's promtool, to check and unit-test the alert rules in ``config/``.

:func:`find_promtool` finds it: ``DAL_TEST_PROMTOOL``, else ``promtool`` on the PATH,
else the binary ``make promtool`` unpacked from Debian's prometheus package into
``~/.cache/dual-dal/promtool``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["PROMTOOL_VARIABLE", "find_promtool"]

PROMTOOL_VARIABLE = "DAL_TEST_PROMTOOL"
CACHED = Path.home() / ".cache" / "dual-dal" / "promtool" / "usr" / "bin" / "promtool"


def find_promtool() -> str | None:
    """The path of a promtool binary, or None."""
    named = os.environ.get(PROMTOOL_VARIABLE)
    if named:
        return named
    found = shutil.which("promtool")
    if found:
        return found
    return str(CACHED) if os.access(CACHED, os.X_OK) else None
