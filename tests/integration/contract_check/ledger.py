"""A ``ledger`` table with a value of each kind the backfill refuses, and contracts for it."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

SAFE = 40
UNSAFE = {1001: "amount", 1002: "blob_data", 1003: "born", 1004: "dur"}
"""Key -> the column holding its unsafe value."""
WIDE = "1234567890.123456789012345678901234567891"


def _attribute(name: str, kind: str, column: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "source_table": "ledger", "source_column": column, **extra}


def write_contract(path: Path, *, amount_as_text: bool, dated: bool = False) -> Path:
    """A contract of ``ledger`` keyed on ``id`` (with ``amount`` as ``S`` if asked, and ``at``
    in a date format without fractions if ``dated``)."""
    attributes = [
        _attribute("PK", "S", "id"),
        _attribute("SK", "S", "id", transformation={"type": "string-format", "format": "#META"}),
        _attribute("note", "S", "note"),
    ]
    if amount_as_text:
        attributes.append(_attribute("amount", "S", "amount"))
    if dated:
        pattern = {"type": "date-format", "format": "YYYY-MM-DD[T]HH:mm:ss[Z]"}
        attributes.append(_attribute("at", "S", "at", transformation=pattern))
    table = {
        "table": "Ledger",
        "type": "single-entity",
        "source_table": "ledger",
        "pk": "PK",
        "sk": "SK",
        "gsis": [],
        "attributes": attributes,
        "satisfies": ["entry by id"],
        "estimated_item_size_bytes": 400,
    }
    path.write_text(json.dumps({"tables": [table]}))
    return path


def fill(engine: Engine, *, planted: bool = True) -> None:
    """Create ``ledger`` with :data:`SAFE` awkward but safe rows, and the unsafe ones."""
    with engine.begin() as connection:
        connection.execute(text("SET SESSION sql_mode = ''"))
        connection.execute(
            text(
                "CREATE TABLE ledger (id BIGINT PRIMARY KEY, amount DECIMAL(65,30),"
                " note VARCHAR(100), blob_data MEDIUMBLOB, born DATE, dur TIME, at DATETIME(6))"
            )
        )
        connection.execute(
            text("INSERT INTO ledger (id, amount, note, born) VALUES (:i, :a, :n, :b)"),
            [
                {"i": i, "a": Decimal(i) / 7, "n": "naïve ☕" if i % 2 else "", "b": "2000-02-29"}
                for i in range(1, SAFE + 1)
            ],
        )
        if planted:
            connection.execute(
                text(
                    "INSERT INTO ledger (id, amount, blob_data, born, dur) VALUES"
                    f" (1001, {WIDE}, NULL, NULL, NULL),"
                    " (1002, 1, :blob, NULL, NULL), (1003, 1, NULL, '0000-00-00', NULL),"
                    " (1004, 1, NULL, NULL, '-01:00:00')"
                ),
                {"blob": b"\x01" * (390 * 1024)},
            )
