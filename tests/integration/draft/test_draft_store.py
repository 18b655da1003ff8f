"""The draft of the workshop's legacy schema against the hand-written store contract.

The store's own migrations build its MySQL schema; ``dal contract draft --compare``
drafts it and lists in ``design.md`` every difference from
``examples/store/contract.json``. The test finds the differences on its own (entities,
the columns of each item's partition key, the columns of each lookup) and checks each
is explained there: named with its table, with a reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from dal.cli import app
from dal.contract import Contract, load_contract
from dal.entities import GUARD_SORT_KEY
from examples.store.migrations import upgrade

STORE_CONTRACT = Path(__file__).resolve().parents[3] / "examples" / "store" / "contract.json"
runner = CliRunner()


@pytest.fixture(scope="module")
def design_md(fresh_database: Engine, tmp_path_factory: pytest.TempPathFactory) -> str:
    upgrade(fresh_database)
    out = tmp_path_factory.mktemp("store_draft")
    url = fresh_database.url.render_as_string(hide_password=False)
    arguments = ["contract", "draft", "--out", str(out), "--compare", str(STORE_CONTRACT)]
    result = runner.invoke(app, arguments, env={"DAL_MYSQL_URL": url})
    assert result.exit_code == 0, result.output
    return (out / "design.md").read_text()


def hand_written() -> dict[str, tuple[set[str], set[frozenset[str]]]]:
    """Each entity table of the store contract: its partition key's fields and its lookups."""
    contract: Contract = load_contract(STORE_CONTRACT)
    found: dict[str, tuple[set[str], set[frozenset[str]]]] = {}
    for table in contract.tables:
        for entity in table.entities:
            if entity.sk_template is not None and entity.sk_template.text == GUARD_SORT_KEY:
                continue
            lookups = {
                frozenset(entity.attribute(g.pk).source_columns)
                for g in table.gsis
                if entity.has_attribute(g.pk)
            }
            key = {
                entity.attribute(f).source_columns[0] if entity.has_attribute(f) else f
                for f in entity.pk_template.fields
            }
            found[entity.source_table] = (key, lookups)
    return found


def differences_section(text: str) -> list[str]:
    section = text.split("## Differences from contract.json", 1)[1]
    return [line for line in section.splitlines() if line.startswith("- **")]


def test_every_difference_from_the_hand_written_contract_is_explained(design_md: str) -> None:
    lines = differences_section(design_md)
    assert lines, "the draft differs from the hand-written contract in places"
    assert all(". Why: " in line for line in lines)

    def explained(table: str, *words: str) -> bool:
        return any(
            line.startswith(f"- **{table}**") and all(w in line for w in words) for line in lines
        )

    drafted = set(design_md.split("## Left out")[0].split("### ")[1:])
    drafted_tables = {block.split(" ", 1)[0] for block in drafted}
    assert drafted_tables == {
        "users",
        "categories",
        "products",
        "shopping_carts",
        "orders",
        "order_items",
    }
    for table, (key, lookups) in hand_written().items():
        assert table in drafted_tables, table
        block = next(b for b in drafted if b.startswith(f"{table} "))
        pk = block.split("Item key: `PK = ", 1)[1].split("`", 1)[0]
        ours = {part.split("}")[0] for part in pk.split("{")[1:]}
        if ours != key:
            assert explained(table, "partition key from", *sorted(key)), table
        for columns in lookups:
            served = any(f"| {', '.join(sorted(columns))} |" in row for row in _rows(block))
            if not served and set(columns) != ours:
                assert explained(table, "a lookup by", *sorted(columns)), (table, columns)
    assert explained("order_items", "no entity of its own there")


def _rows(block: str) -> list[str]:
    return [row for row in block.splitlines() if row.startswith("| `")]


def test_the_store_draft_keeps_the_store_entities_and_their_sensitive_columns(
    design_md: str,
) -> None:
    assert "- users: `email`, `first_name`, `last_name`, `password_hash`" in design_md
    assert "table `alembic_version`: skipped" in design_md
