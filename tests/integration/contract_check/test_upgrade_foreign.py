"""`dal db upgrade` on a foreign database: only the layer's tables appear, the user's DDL stays."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from dal.cli import app

runner = CliRunner()

_FOREIGN = (
    "CREATE TABLE teams (id INT PRIMARY KEY, captain_id INT,"
    " name VARCHAR(50) COLLATE utf8mb4_unicode_ci UNIQUE) ENGINE=InnoDB",
    "CREATE TABLE players (id INT PRIMARY KEY, team_id INT, mentor_id INT,"
    " CONSTRAINT fk_team FOREIGN KEY (team_id) REFERENCES teams (id),"
    " CONSTRAINT fk_mentor FOREIGN KEY (mentor_id) REFERENCES players (id)) ENGINE=InnoDB",
    "ALTER TABLE teams ADD CONSTRAINT fk_captain FOREIGN KEY (captain_id) REFERENCES players (id)",
    "CREATE TABLE audit (message TEXT, at DATETIME)",
    "CREATE TABLE team_sizes (team_id INT PRIMARY KEY, players INT NOT NULL DEFAULT 0)",
    "CREATE TRIGGER count_players AFTER INSERT ON players FOR EACH ROW"
    " INSERT INTO team_sizes VALUES (NEW.team_id, 1) ON DUPLICATE KEY UPDATE players = players + 1",
    "CREATE VIEW team_names AS SELECT id, name FROM teams",
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
    "INSERT INTO alembic_version VALUES ('app_0042')",
)
LAYER = {"dal_alembic_version", "dal_backfill_checkpoints", "dal_cdc_positions", "dal_id_blocks"}


def _schema(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        names = [row[0] for row in connection.execute(text("SHOW FULL TABLES"))]
        ddl = {
            name: connection.execute(text(f"SHOW CREATE TABLE `{name}`")).one()[1] for name in names
        }
        triggers = connection.execute(text("SHOW TRIGGERS")).all()
        ddl["<triggers>"] = repr([(t[0], t[1], t[2], t[3]) for t in triggers])
        ddl["<app history>"] = repr(connection.execute(text("SELECT * FROM alembic_version")).all())
    return ddl


def _foreign(engine: Engine, *extra: str) -> dict[str, str]:
    """Create the foreign schema (and run ``extra``); its DDL before any upgrade."""
    with engine.begin() as connection:
        for statement in (*_FOREIGN, *extra):
            connection.execute(text(statement))
    return _schema(engine)


def test_upgrade_adds_only_the_layer_tables(
    db: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _foreign(db)
    monkeypatch.setenv("DAL_MYSQL_URL", db_url)
    monkeypatch.delenv("DAL_DECLARATIONS", raising=False)

    first = runner.invoke(app, ["db", "upgrade"])
    second = runner.invoke(app, ["db", "upgrade"])

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "nothing to do" in second.output
    after = _schema(db)
    assert set(after) - set(before) == LAYER
    assert {name: after[name] for name in before} == before


def test_upgrade_adds_a_version_column_only_where_a_declaration_opts_in(
    db: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _foreign(db, "INSERT INTO teams (id, name) VALUES (1, 'Rovers')")
    monkeypatch.setenv("DAL_MYSQL_URL", db_url)
    monkeypatch.setenv("DAL_DECLARATIONS", "foreign_declarations")

    first = runner.invoke(app, ["db", "upgrade"])
    second = runner.invoke(app, ["db", "upgrade"])

    assert first.exit_code == 0, first.output
    assert "Added the version column teams.version" in first.output
    assert "Added" not in second.output
    after = _schema(db)
    assert set(after) - set(before) == LAYER
    assert {n: after[n] for n in before if n != "teams"} == {
        n: ddl for n, ddl in before.items() if n != "teams"
    }
    assert "`version` int(11) NOT NULL DEFAULT 1" in after["teams"]
    with db.connect() as connection:
        assert connection.execute(text("SELECT version FROM teams")).scalar_one() == 1
