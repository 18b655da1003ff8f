"""The SQL statements of a query log: a MySQL/MariaDB general log, a slow log, or plain SQL.

:func:`read_statements` recognizes the format from the text itself: general
log lines (``261207  5:10:02	   12 Query	SELECT ...`` or MySQL's
``2026-12-07T05:10:02.123456Z	   12 Query	...``, a statement continuing on
the following lines), slow log entries (``# Query_time: ...`` comments, then
the statement up to its ``;``), else statements separated by ``;``.
"""

from __future__ import annotations

import re

__all__ = ["read_statements"]

_GENERAL = re.compile(
    r"^(?:\d{6}\s+\d{1,2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T[\d:.]+Z?)?\s+\d+\s+"
    r"(?P<command>[A-Z][A-Za-z ]*?)\t(?P<argument>.*)$"
)
_STATEMENT_COMMANDS = frozenset({"Query", "Execute"})
_SLOW_MARKERS = ("# Query_time:", "# Time:", "# User@Host:")
_SLOW_SKIPPED = re.compile(r"^(SET timestamp=\d+;|use \S+;)$", re.IGNORECASE)


def read_statements(text: str) -> tuple[str, list[str]]:
    """The log's format (``general log``, ``slow log``, ``SQL``) and its statements, in order."""
    lines = text.splitlines()
    if any((m := _GENERAL.match(line)) and m["command"] in _STATEMENT_COMMANDS for line in lines):
        return "general log", _general(lines)
    if any(line.startswith(_SLOW_MARKERS) for line in lines):
        return "slow log", _slow(lines)
    return "SQL", split_sql(text)


def _general(lines: list[str]) -> list[str]:
    statements: list[str] = []
    current: list[str] | None = None
    for line in lines:
        match = _GENERAL.match(line)
        if match is not None:
            if current is not None:
                statements.append("\n".join(current).strip())
            command = match["command"].strip()
            current = [match["argument"]] if command in _STATEMENT_COMMANDS else None
        elif current is not None:
            current.append(line)
    if current is not None:
        statements.append("\n".join(current).strip())
    return [s for s in statements if s]


def _slow(lines: list[str]) -> list[str]:
    body = "\n".join(
        line for line in lines if not line.startswith("#") and not _SLOW_SKIPPED.match(line.strip())
    )
    return split_sql(body)


def split_sql(text: str) -> list[str]:
    """Statements separated by ``;`` outside quotes and comments (comments dropped)."""
    statements: list[str] = []
    part: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        char = text[i]
        if quote:
            part.append(char)
            if char == "\\" and quote != "`" and i + 1 < len(text):
                part.append(text[i + 1])
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
            part.append(char)
        elif text.startswith("--", i) or char == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif char == ";":
            statements.append("".join(part).strip())
            part = []
        else:
            part.append(char)
        i += 1
    statements.append("".join(part).strip())
    return [s for s in statements if s]
