"""The contract-check tests' schema: awkward but safe rows, every unsafe value at a known key.

:func:`build` creates the tables in an empty database and fills them; with
``planted=False`` only the safe rows go in (the clean copy). :data:`PLANTED` is
what the check must name, and nothing else: (table, column, kind) -> example keys.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, text

SAFE_ROWS = 300
SECRET_EMAIL = "ana.secret@example.com"

_DDL = (
    "CREATE TABLE ledger (id BIGINT PRIMARY KEY, amount DECIMAL(65,30), note VARCHAR(200),"
    " blob_data MEDIUMBLOB, born DATE, at DATETIME(6), big BIGINT UNSIGNED)",
    "CREATE TABLE shifts (id INT PRIMARY KEY, dur TIME)",
    "CREATE TABLE codes (code VARCHAR(20) COLLATE utf8mb4_general_ci PRIMARY KEY, label TEXT)",
    "CREATE TABLE handles (id INT PRIMARY KEY,"
    " handle VARCHAR(50) COLLATE utf8mb4_general_ci UNIQUE)",
    "CREATE TABLE typed (id INT PRIMARY KEY, e ENUM('red','green'), s SET('a','b'), y YEAR,"
    " b BIT(3), j JSON, g POINT)",
    "CREATE TABLE people (email VARCHAR(100) PRIMARY KEY, amount DECIMAL(65,0))",
    "CREATE TABLE readings (id INT PRIMARY KEY, v FLOAT)",
    "CREATE TABLE journal (msg TEXT, at DATETIME)",
)

FORTY_DIGITS = Decimal("1234567890123456789012345678901234567891")
WIDE_DECIMAL = Decimal("1234567890.123456789012345678901234567891")
BIG_BLOB = b"\x01" * (390 * 1024)

PLANTED: dict[tuple[str, str, str], list[dict[str, Any]]] = {
    ("ledger", "amount", "decimal_digits"): [{"id": 1001}],
    ("ledger", "blob_data", "item_too_large"): [{"id": 1002}],
    ("ledger", "born", "zero_date"): [{"id": 1003}],
    ("ledger", "big", "unsigned_bigint"): [{"id": 1004}],
    ("shifts", "dur", "time"): [{"id": 7}],
    ("shifts", "dur", "negative_time"): [{"id": 8}],
    ("codes", "code", "empty_key"): [{"code": ""}],
    ("codes", "code", "trailing_space"): [{"code": "pad "}],
    ("handles", "handle", "key_collision"): [{"id": 1}, {"id": 2}],
    ("typed", "e", "enum"): [{"id": 1}],
    ("typed", "s", "set"): [{"id": 1}],
    ("typed", "y", "year"): [{"id": 1}],
    ("typed", "b", "bit"): [{"id": 1}],
    ("typed", "j", "json"): [{"id": 1}],
    ("typed", "g", "spatial"): [{"id": 1}],
    ("people", "amount", "decimal_digits"): [{"email": SECRET_EMAIL}],
    ("readings", "v", "float"): [{"id": 1}],
}
"""Every planted value: (table, column, kind) -> the keys naming it (before redaction)."""


def build(engine: Engine, *, planted: bool = True) -> None:
    """Create the tables and fill them; the unsafe values only when ``planted``."""
    with engine.begin() as connection:
        connection.execute(text("SET SESSION sql_mode = ''"))  # zero dates are allowed in
        for ddl in _DDL:
            connection.execute(text(ddl))
        _safe(connection)
        if planted:
            _unsafe(connection)


def _safe(connection: Connection) -> None:
    notes = ["", "naïve café ☕", "日本語のテキスト", "emoji 🎉🎉", None, "line\nbreak", "x" * 200]
    ledger = [
        {
            "id": i,
            "amount": Decimal("12345678.123456789012345678901234567890")
            if i % 7 == 0
            else Decimal(i) / 3,
            "note": notes[i % len(notes)],
            "blob_data": b"\x00\xff" * (150 * 1024) if i == 5 else (b"" if i % 2 else None),
            "born": "1000-01-01" if i % 5 == 0 else ("9999-12-31" if i % 5 == 1 else None),
            "at": "2024-02-29 23:59:59.999999" if i % 3 else "1970-01-01 00:00:01",
            "big": 2**63 - 1 if i == 9 else i,
        }
        for i in range(1, SAFE_ROWS + 1)
    ]
    connection.execute(
        text("INSERT INTO ledger VALUES (:id, :amount, :note, :blob_data, :born, :at, :big)"),
        ledger,
    )
    connection.execute(
        text("INSERT INTO codes VALUES (:code, :label)"),
        [{"code": f"ÜNÏ-{i}", "label": "" if i % 2 else None} for i in range(50)],
    )
    connection.execute(
        text("INSERT INTO handles VALUES (:id, :handle)"),
        [{"id": 10 + i, "handle": h} for i, h in enumerate(["Ana", "José", "bob", "Zoë", None])],
    )
    connection.execute(
        text("INSERT INTO people VALUES (:email, :amount)"),
        [{"email": f"user{i}@example.com", "amount": 10**37 + i} for i in range(20)],
    )
    connection.execute(text("INSERT INTO typed (id) VALUES (2), (3)"))
    connection.execute(
        text("INSERT INTO journal VALUES (:msg, :at)"),
        [{"msg": f"entry {i} ✓", "at": "2001-01-01 00:00:00"} for i in range(30)],
    )


def _unsafe(connection: Connection) -> None:
    connection.execute(
        text(
            "INSERT INTO ledger (id, amount, blob_data, born, big) VALUES "
            "(1001, :wide, NULL, NULL, 1), (1002, 1, :blob, NULL, 2),"
            " (1003, 1, NULL, '0000-00-00', 3), (1004, 1, NULL, NULL, 18446744073709551615)"
        ),
        {"wide": WIDE_DECIMAL, "blob": BIG_BLOB},
    )
    connection.execute(text("INSERT INTO shifts VALUES (7, '12:00:00'), (8, '-01:30:00')"))
    connection.execute(text("INSERT INTO codes VALUES ('', 'empty key'), ('pad ', NULL)"))
    connection.execute(text("INSERT INTO handles VALUES (1, 'Straße'), (2, 'strasse')"))
    connection.execute(
        text(
            "INSERT INTO typed VALUES (1, 'red', 'a,b', 2024, b'101', '{\"k\": [1, 2.50]}',"
            " POINT(1, 2))"
        )
    )
    connection.execute(
        text("INSERT INTO people VALUES (:email, :amount)"),
        {"email": SECRET_EMAIL, "amount": FORTY_DIGITS},
    )
    connection.execute(text("INSERT INTO readings VALUES (1, 0.1)"))
