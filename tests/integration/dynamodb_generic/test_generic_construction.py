"""Building the generic DynamoDB repositories validates every declaration up front (no I/O)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from adapters.dynamodb import DynamoClient, connect
from adapters.dynamodb.entities import DynamoRepositories
from dal.contract import parse_contract
from examples.tracker import CONTRACT
from examples.tracker.declarations import LABELS, PROJECTS, SPECS, TICKETS
from interfaces import SystemClock
from interfaces.entities import EntitySpec
from interfaces.repository import Repositories, Repository
from interfaces.runtime import MemoryIdAllocator, no_unit_of_work

RAW = json.loads(CONTRACT.read_text())


@pytest.fixture(scope="module")
def offline() -> DynamoClient:
    """A client that is never called: construction sends no request."""
    return DynamoClient(connect("http://127.0.0.1:9", "us-east-1"))


def _contract(change: Callable[[dict[str, Any]], None] | None = None) -> Any:
    data = copy.deepcopy(RAW)
    if change is not None:
        change(data)
    return parse_contract(data)


def _entity(data: dict[str, Any], source: str) -> dict[str, Any]:
    tickets = next(t for t in data["tables"] if t["table"] == "Tickets")
    return next(e for e in tickets["entities"] if e["source_table"] == source)


def _attribute(data: dict[str, Any], source: str, name: str) -> dict[str, Any]:
    return next(a for a in _entity(data, source)["attributes"] if a["name"] == name)


def test_the_tracker_builds_with_the_documented_defaults(offline: DynamoClient) -> None:
    repos = DynamoRepositories(offline, _contract(), SPECS)
    assert isinstance(repos, Repositories)
    assert isinstance(repos.repository("tickets"), Repository)
    assert list(repos.specs) == ["projects", "labels", "tickets"]
    assert repos.unit_of_work is no_unit_of_work
    assert isinstance(repos._context.clock, SystemClock)
    assert isinstance(repos._context.ids, MemoryIdAllocator)
    assert repos.eventually_consistent() == ["tickets.by_label"]
    with pytest.raises(KeyError, match="projects, labels, tickets"):
        repos.repository("users")


def test_a_table_the_contract_does_not_map(offline: DynamoClient) -> None:
    class Ghost(BaseModel):
        id: int

    ghosts = EntitySpec(name="ghosts", table="ghost_rows", model=Ghost, key=("id",))
    with pytest.raises(ValueError, match=r"entity ghosts: .*source_table is 'ghost_rows'"):
        DynamoRepositories(offline, _contract(), [*SPECS, ghosts]).repository("ghosts")


def test_an_entity_its_key_cannot_find(offline: DynamoClient) -> None:
    def drop_gsi1(data: dict[str, Any]) -> None:
        tickets = next(t for t in data["tables"] if t["table"] == "Tickets")
        tickets["gsis"] = [g for g in tickets["gsis"] if g["index_name"] != "GSI1"]
        label = _entity(data, "labels")
        label["attributes"] = [a for a in label["attributes"] if not a["name"].startswith("GSI1")]

    repositories = DynamoRepositories(offline, _contract(drop_gsi1), SPECS)
    with pytest.raises(ValueError, match="entity labels: no way to find an item by its key"):
        repositories.repository("labels")
    # tickets refer to labels, so they go with them; projects (referenced by labels) too
    assert set(repositories.unsupported) == {"labels", "tickets", "projects"}


def test_an_unsupported_derivation(offline: DynamoClient) -> None:
    def concat(data: dict[str, Any]) -> None:
        attribute = _attribute(data, "tickets", "project_name")
        del attribute["join"]
        attribute["source_column"] = ["code", "title"]
        attribute["calculation"] = {"type": "concat", "separator": " "}

    repositories = DynamoRepositories(offline, _contract(concat), SPECS)
    with pytest.raises(ValueError, match=r"entity tickets: attribute project_name .* concat"):
        repositories.repository("tickets")
    with pytest.raises(ValueError, match="related by a reference to tickets"):
        repositories.repository("labels")


def test_a_foreign_key_join_not_on_the_target_key(offline: DynamoClient) -> None:
    def by_name(data: dict[str, Any]) -> None:
        join = _attribute(data, "tickets", "project_name")["join"]
        join["join_condition"] = "projects.name = tickets.title"

    with pytest.raises(ValueError, match=r"entity tickets: .*not on the whole key of projects"):
        DynamoRepositories(offline, _contract(by_name), SPECS).repository("tickets")


def test_a_reference_to_an_undeclared_entity(offline: DynamoClient) -> None:
    with pytest.raises(
        ValueError, match="entity labels references projects, which is not declared"
    ):
        DynamoRepositories(offline, _contract(), [LABELS, TICKETS])


def test_an_entity_declared_twice(offline: DynamoClient) -> None:
    with pytest.raises(ValueError, match="entity projects is declared twice"):
        DynamoRepositories(offline, _contract(), [PROJECTS, *SPECS])


def test_an_entity_no_other_relates_to_is_served_beside_one_that_cannot_be(
    offline: DynamoClient,
) -> None:
    ghosts = EntitySpec(name="ghosts", table="ghost_rows", model=SPECS[0].model, key=("id",))
    repositories = DynamoRepositories(offline, _contract(), [*SPECS, ghosts])
    assert set(repositories.unsupported) == {"ghosts"}
    assert repositories.repository("tickets") is repositories.repository("tickets")
