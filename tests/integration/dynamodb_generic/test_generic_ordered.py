"""An entity whose GSI sort key keeps the query's order: pages read in index order.

A small entity declared here (not the tracker): ``notes`` keyed by a text slug,
its writer stored in the column ``author`` (the field and the column differ),
and a GSI on ``author`` sorted by ``rank`` (a number), so the named queries read
the index in order, ascending and descending, ties of ``rank`` broken by the key.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from adapters.dynamodb import DynamoClient
from adapters.dynamodb.entities import DynamoRepositories
from dal.contract import Contract, parse_contract
from dal.schema import create_tables
from interfaces import MemoryIdAllocator, NotFound, SteppingClock, UnstorableValue
from interfaces.entities import EntitySpec, NamedQuery
from interfaces.paging import Page
from interfaces.types import Timestamp


class Note(BaseModel):
    """A note."""

    slug: str
    writer: str
    rank: int
    amount: Decimal
    version: int
    created_at: Timestamp
    updated_at: Timestamp


NOTES = EntitySpec(
    name="notes",
    table="notes",
    model=Note,
    key=("slug",),
    columns={"writer": "author"},
    version="version",
    created_at="created_at",
    updated_at="updated_at",
    queries=(
        NamedQuery("by_writer", where=("writer",), order_by=("rank",)),
        NamedQuery("by_writer_desc", where=("writer",), order_by=("rank",), descending=True),
        NamedQuery("by_amount", where=("amount",)),
    ),
)


def _attribute(name: str, kind: str, column: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "source_table": "notes", "source_column": column, **extra}


CONTRACT = {
    "tables": [
        {
            "table": "Notes",
            "type": "single-entity",
            "source_table": "notes",
            "pk": "PK",
            "sk": "SK",
            "gsis": [{"index_name": "ByAuthor", "pk": "author", "sk": "rank", "projection": "ALL"}],
            "attributes": [
                _attribute("PK", "S", "slug"),
                _attribute(
                    "SK", "S", "slug", transformation={"type": "string-format", "format": "#NOTE"}
                ),
                _attribute("slug", "S", "slug"),
                _attribute("author", "S", "author"),
                _attribute("rank", "N", "rank"),
                _attribute("amount", "N", "amount"),
            ],
            "satisfies": ["note by slug", "notes of an author by rank (ByAuthor)"],
            "estimated_item_size_bytes": 200,
        }
    ]
}


@pytest.fixture(scope="module")
def notes_contract(table_prefix: str, raw: Any) -> tuple[Contract, str]:
    contract = parse_contract(CONTRACT)
    prefix = f"{table_prefix}gnotes_"
    create_tables(raw, contract, prefix)
    return contract, prefix


@pytest.fixture
def notes(notes_contract: tuple[Contract, str], client: DynamoClient, raw: Any) -> Any:
    contract, prefix = notes_contract
    table = prefix + "Notes"
    for found in raw.scan(TableName=table, ConsistentRead=True)["Items"]:
        raw.delete_item(TableName=table, Key={"PK": found["PK"], "SK": found["SK"]})
    repos = DynamoRepositories(
        client,
        contract,
        [NOTES],
        table_prefix=prefix,
        clock=SteppingClock(),
        ids=MemoryIdAllocator(),
    )
    assert repos.eventually_consistent() == ["notes.by_writer", "notes.by_writer_desc"]
    return repos.repository("notes")


def _note(slug: str, rank: int, writer: str = "ann", amount: str = "1.5") -> dict[str, Any]:
    return {"slug": slug, "writer": writer, "rank": rank, "amount": Decimal(amount)}


def _all(repository: Any, name: str, size: int, **params: Any) -> list[str]:
    found: list[str] = []
    token = None
    while True:
        page: Page[Any] = repository.query(name, page_size=size, page_token=token, **params)
        found.extend(note.slug for note in page.items)
        token = page.next_token
        if token is None:
            return found
        assert len(page.items) == size


def test_pages_in_index_order_with_ties_broken_by_the_key(notes: Any, raw: Any) -> None:
    ranks = {"e": 2, "b": 1, "d": 2, "a": 3, "c": 2, "f": 10, "g": -1}
    for slug, rank in ranks.items():
        notes.create(_note(slug, rank))
    notes.create(_note("x", 2, writer="bob"))
    ascending = ["g", "b", "c", "d", "e", "a", "f"]
    for size in (1, 2, 3, 4, 7, 8):
        assert _all(notes, "by_writer", size, writer="ann") == ascending
        assert _all(notes, "by_writer_desc", size, writer="ann") == ascending[::-1]


def test_a_field_stored_under_another_column(notes: Any, raw: Any, notes_contract: Any) -> None:
    notes.create(_note("a", 1))
    _, prefix = notes_contract
    stored = raw.get_item(TableName=prefix + "Notes", Key={"PK": {"S": "a"}, "SK": {"S": "#NOTE"}})[
        "Item"
    ]
    assert stored["author"] == {"S": "ann"}
    assert "writer" not in stored
    assert notes.get("a").writer == "ann"
    assert notes.update("a", {"writer": "bob"}).writer == "bob"
    assert _all(notes, "by_writer", 5, writer="bob") == ["a"]


def test_a_query_no_index_serves_scans(notes: Any) -> None:
    notes.create(_note("b", 1, amount="2.5"))
    notes.create(_note("a", 2, amount="2.5"))
    notes.create(_note("c", 3, amount="1"))
    assert _all(notes, "by_amount", 1, amount=Decimal("2.5")) == ["a", "b"]


def test_more_than_38_significant_digits_is_unstorable(notes: Any) -> None:
    with pytest.raises(UnstorableValue) as caught:
        notes.create(_note("a", 1, amount="1.234567890123456789012345678901234567891"))
    assert caught.value.field == "amount"
    with pytest.raises(NotFound):
        notes.get("a")
    notes.create(_note("a", 1, amount="1.2345678901234567890123456789012345678"))
    assert notes.get("a").amount == Decimal("1.2345678901234567890123456789012345678")


def test_an_empty_key_string_is_unstorable(notes: Any) -> None:
    with pytest.raises(UnstorableValue) as caught:
        notes.create(_note("", 1))
    assert caught.value.field == "slug"
    with pytest.raises(UnstorableValue) as caught:
        notes.create(_note("a", 1, writer=""))
    assert caught.value.field == "writer"
