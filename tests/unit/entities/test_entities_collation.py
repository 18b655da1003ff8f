"""Collations read from SQLite's CREATE TABLE statements."""

from __future__ import annotations

from dal.entities.reflect import column_collations


def test_collate_clauses_of_column_definitions() -> None:
    ddl = """CREATE TABLE "t" (
        id INTEGER NOT NULL,
        name VARCHAR(100) COLLATE "NOCASE" NOT NULL,
        "odd, name" TEXT COLLATE nocase,
        `tick` TEXT COLLATE RTRIM,
        [bracket] TEXT COLLATE 'BINARY',
        amount NUMERIC(12, 4),
        plain TEXT,
        PRIMARY KEY (id),
        CONSTRAINT uq UNIQUE (name COLLATE NOCASE),
        CHECK (plain <> 'a,b')
    )"""
    assert list(column_collations(ddl)) == [
        ("name", "NOCASE"),
        ("odd, name", "nocase"),
        ("tick", "RTRIM"),
        ("bracket", "BINARY"),
    ]


def test_a_statement_without_columns_has_no_collations() -> None:
    assert list(column_collations("CREATE VIEW v AS SELECT 1")) == []
