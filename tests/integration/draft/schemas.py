"""Schemas of our own for the draft tests, filled with awkward values that can round-trip.

``AWKWARD_DDL`` covers every MySQL column type (a spatial one the draft leaves out),
a composite key, a circular foreign key (people <-> teams), a self reference
(people.manager_id), a many-to-many join table (memberships), a table a trigger
fills (activity), a table without foreign keys (measurements), a table without a
primary key (raw_events), a view, a stored procedure, and personal data (email,
full_name, phone).
"""

from __future__ import annotations

from sqlalchemy import Engine

__all__ = ["AWKWARD_DDL", "AWKWARD_ROWS", "BIG_BLOB", "build"]

BIG_BLOB = bytes(range(256)) * 1200
"""300 KB: a large BLOB that still fits in one 400 KB item."""

AWKWARD_DDL = [
    """CREATE TABLE people (
        id INT AUTO_INCREMENT PRIMARY KEY,
        email VARCHAR(120) NOT NULL,
        full_name VARCHAR(100) NOT NULL,
        phone VARCHAR(30) NULL,
        nickname CHAR(12) NULL,
        born DATE NULL,
        active BOOLEAN NOT NULL,
        manager_id INT NULL,
        team_id INT NULL,
        score DOUBLE NULL,
        rating FLOAT NULL,
        created_at DATETIME NOT NULL,
        updated_at DATETIME(6) NULL,
        shift TIME NULL,
        version INT NOT NULL,
        UNIQUE KEY uq_people_email (email),
        CONSTRAINT fk_people_manager FOREIGN KEY (manager_id) REFERENCES people (id)
            ON DELETE SET NULL
    )""",
    """CREATE TABLE teams (
        id INT PRIMARY KEY,
        name VARCHAR(60) COLLATE utf8mb4_unicode_ci NOT NULL,
        lead_id INT NULL,
        days SET('mon', 'tue', 'wed') NOT NULL DEFAULT '',
        UNIQUE KEY uq_teams_name (name),
        CONSTRAINT fk_teams_lead FOREIGN KEY (lead_id) REFERENCES people (id) ON DELETE SET NULL
    )""",
    """ALTER TABLE people ADD CONSTRAINT fk_people_team FOREIGN KEY (team_id)
        REFERENCES teams (id) ON DELETE SET NULL""",
    """CREATE TABLE memberships (
        person_id INT NOT NULL,
        team_id INT NOT NULL,
        role ENUM('member', 'admin') NOT NULL,
        joined YEAR NULL,
        PRIMARY KEY (person_id, team_id),
        CONSTRAINT fk_m_person FOREIGN KEY (person_id) REFERENCES people (id) ON DELETE CASCADE,
        CONSTRAINT fk_m_team FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE CASCADE
    )""",
    """CREATE TABLE documents (
        owner_id INT NOT NULL,
        seq SMALLINT UNSIGNED NOT NULL,
        title VARCHAR(200) NOT NULL,
        body MEDIUMTEXT NULL,
        tiny TINYTEXT NULL,
        note TEXT NULL,
        payload LONGBLOB NULL,
        small_blob BLOB NULL,
        digest BINARY(4) NULL,
        thumb VARBINARY(16) NULL,
        PRIMARY KEY (owner_id, seq),
        CONSTRAINT fk_documents_owner FOREIGN KEY (owner_id) REFERENCES people (id)
            ON DELETE CASCADE
    )""",
    """CREATE TABLE activity (
        id INT AUTO_INCREMENT PRIMARY KEY,
        person_id INT NOT NULL,
        what VARCHAR(40) NOT NULL,
        KEY idx_activity_person (person_id)
    )""",
    """CREATE TRIGGER documents_written AFTER INSERT ON documents FOR EACH ROW
        INSERT INTO activity (person_id, what)
        VALUES (NEW.owner_id, CONCAT('document ', NEW.seq))""",
    """CREATE TABLE measurements (
        id BIGINT UNSIGNED PRIMARY KEY,
        tiny_n TINYINT NULL,
        small_n SMALLINT NULL,
        medium_n MEDIUMINT NULL,
        big_n BIGINT NULL,
        amount DECIMAL(38, 10) NULL,
        fine DECIMAL(65, 30) NULL,
        flags BIT(8) NULL,
        yr YEAR NULL,
        t TIME(3) NULL,
        d DATE NULL,
        dt DATETIME(6) NULL,
        ts TIMESTAMP NULL,
        tags SET('a', 'b', 'c') NULL,
        doc JSON NULL,
        kind ENUM('x', 'y') NULL,
        label VARCHAR(50) NOT NULL,
        shape POINT NULL
    )""",
    "CREATE TABLE raw_events (happened DATETIME NOT NULL, payload TEXT NULL)",
    "CREATE VIEW people_view AS SELECT id, full_name FROM people",
    "CREATE PROCEDURE count_people() SELECT COUNT(*) FROM people",
]

AWKWARD_ROWS = [
    "INSERT INTO people (id, email, full_name, phone, nickname, born, active, manager_id, score,"
    " rating, created_at, updated_at, shift, version) VALUES"
    " (1, 'ada@example.com', 'Ada Lövelace 😀', '+44 1', '', '1000-01-01', 1, NULL, 1.5e100,"
    " 3.25, '1000-01-01 00:00:00', '9999-12-31 23:59:59.999999', '-838:59:59', 1),"
    " (2, 'grace@example.com', '葛丽丝', NULL, NULL, '9999-12-31', 0, 1, -0.1, NULL,"
    " '2026-03-04 05:06:07', NULL, '00:00:00', 3),"
    " (3, 'émile@example.com', '', '', 'x', NULL, 1, 2, 0, -1.5, '2026-03-04 05:06:07',"
    " '2026-03-04 05:06:07.000001', '-00:00:01', 1)",
    "INSERT INTO teams (id, name, lead_id, days) VALUES (10, 'Core', 1, 'mon,wed'),"
    " (11, 'Ops ☃', NULL, '')",
    "UPDATE people SET team_id = 10 WHERE id IN (1, 2)",
    "INSERT INTO memberships VALUES (1, 10, 'admin', 1901), (2, 10, 'member', 2155),"
    " (2, 11, 'member', NULL)",
    "INSERT INTO documents (owner_id, seq, title, body, tiny, note, payload, small_blob, digest,"
    " thumb) VALUES (1, 1, 'Ünïcödé ✓', REPEAT('ä', 5000), '', NULL, %(blob)s, '', 0x00010203, ''),"
    " (1, 65535, '', NULL, NULL, 'note', NULL, NULL, NULL, NULL),"
    " (2, 1, 'two', '', 't', '', X'00', X'FF00', 0xFFFFFFFF, 0x00)",
    "INSERT INTO measurements (id, tiny_n, small_n, medium_n, big_n, amount, fine, flags, yr, t,"
    " d, dt, ts, tags, doc, kind, label) VALUES"
    " (18446744073709551615, -128, 32767, -8388608, -9223372036854775808,"
    " 9999999999999999999999999999.9999999999, 0.000000000000000000000000000001, 255, 2155,"
    " '838:59:59', '1000-01-01', '1000-01-01 00:00:00.000001', '2038-01-19 03:14:07',"
    " 'a,c', '{\"k\": [1, \"два\", null]}', 'x', 'max'),"
    " (1, NULL, NULL, NULL, NULL, -0.0000000001, NULL, NULL, NULL, '-12:30:00.250', NULL, NULL,"
    " NULL,"
    " '', NULL, NULL, ''),"
    " (2, 0, 0, 0, 0, 0, 12345678901234567890.123456789012345678901234567890, 0, 1901,"
    " '12:30:00.250',"
    " '9999-12-31', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01', 'b', '[]', 'y', 'ünï')",
    "INSERT INTO raw_events VALUES ('2026-01-01 00:00:00', 'no key')",
]
"""Rows written straight in SQL, as the old application did: TIME values up to ±838 hours
(kept as text), SET values (empty included), a DECIMAL(65, 30) of 50 digits (kept as text)."""


def build(engine: Engine) -> None:
    """Create the awkward schema in the (empty) database of ``engine`` and fill it."""
    with engine.begin() as connection:
        connection.exec_driver_sql("SET time_zone = '+00:00'")
        for statement in AWKWARD_DDL:
            connection.exec_driver_sql(statement)
        for statement in AWKWARD_ROWS:
            if "%(blob)s" in statement:
                connection.exec_driver_sql(statement, {"blob": BIG_BLOB})
            else:
                connection.exec_driver_sql(statement)
