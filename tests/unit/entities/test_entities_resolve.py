"""One declaration per entity of the contract: declared, else the default; every problem named."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import Table

from dal.contract import Contract, load_contract, parse_contract
from dal.entities import default_spec, entity_tables, resolve_specs
from examples.tracker import CONTRACT
from examples.tracker.declarations import LABELS, PROJECTS, SPECS, TICKETS
from examples.tracker.schema import metadata
from interfaces.entities import EntitySpec, Reference

TABLES: dict[str, Table] = dict(metadata.tables)


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract(CONTRACT)


def guard(entity_type: str, source_table: str, column: str) -> dict[str, Any]:
    """A unique-value guard entity of the contract (SK ``#UNIQUE``)."""
    pk = f"{entity_type}#{{{column}}}"
    return {
        "entity_type": entity_type,
        "source_table": source_table,
        "pk_template": pk,
        "sk_template": "#UNIQUE",
        "attributes": [
            {
                "name": "PK",
                "type": "S",
                "source_table": source_table,
                "source_column": column,
                "transformation": {"type": "string-format", "format": pk},
            },
            {
                "name": "SK",
                "type": "S",
                "source_table": source_table,
                "source_column": column,
                "transformation": {"type": "string-format", "format": "#UNIQUE"},
            },
        ],
    }


def with_guards() -> Contract:
    """The tracker's contract and a table of guards only (one of a table nothing else maps)."""
    data = json.loads(CONTRACT.read_text())
    data["tables"].append(
        {
            "table": "Guards",
            "type": "multi-entity",
            "source_table": "projects",
            "pk": "PK",
            "sk": "SK",
            "gsis": [],
            "entities": [
                guard("PROJECT_NAME", "projects", "name"),
                guard("LEGACY_CODE", "legacy_codes", "code"),
            ],
            "attributes": [],
            "satisfies": ["unique project names"],
            "estimated_item_size_bytes": 100,
        }
    )
    return parse_contract(data)


def shape(spec: EntitySpec) -> tuple[object, ...]:
    return (spec.name, spec.table, spec.key, spec.id_sequence, spec.unique, spec.references)


def test_the_entity_tables_in_contract_order(contract: Contract) -> None:
    assert entity_tables(contract) == ("projects", "labels", "tickets")


def test_guards_add_no_entity() -> None:
    assert entity_tables(with_guards()) == ("projects", "labels", "tickets")
    assert list(resolve_specs(with_guards(), TABLES)) == ["projects", "labels", "tickets"]


def test_without_declarations_every_entity_gets_its_default(contract: Contract) -> None:
    specs = resolve_specs(contract, TABLES)
    assert list(specs) == ["projects", "labels", "tickets"]
    for name, spec in specs.items():
        assert shape(spec) == shape(default_spec(TABLES[name]))


def test_declarations_replace_the_defaults(contract: Contract) -> None:
    specs = resolve_specs(contract, TABLES, SPECS)
    assert specs == {"projects": PROJECTS, "labels": LABELS, "tickets": TICKETS}


def test_a_declaration_replaces_only_its_own_table(contract: Contract) -> None:
    specs = resolve_specs(contract, TABLES, [TICKETS])
    assert specs["tickets"] is TICKETS
    assert shape(specs["projects"]) == shape(default_spec(TABLES["projects"]))


def test_defaults_refer_to_the_entity_a_declaration_renames(contract: Contract) -> None:
    project = dataclasses.replace(PROJECTS, name="project")
    specs = resolve_specs(contract, TABLES, [project])
    assert list(specs) == ["project", "labels", "tickets"]
    assert specs["labels"].references[0].target == "project"
    assert [r.target for r in specs["tickets"].references] == ["project", "labels"]


def test_a_declared_reference_to_nothing_is_refused(contract: Contract) -> None:
    tickets = dataclasses.replace(TICKETS, references=(Reference(("project_id",), "project"),))
    with pytest.raises(ValueError, match="entity tickets: the reference of project_id names"):
        resolve_specs(contract, TABLES, [tickets])


def test_a_default_reference_to_a_renamed_entity_is_fine_but_a_declared_one_is_not(
    contract: Contract,
) -> None:
    project = dataclasses.replace(PROJECTS, name="project")
    with pytest.raises(
        ValueError, match="entity labels: the reference of project_id names projects"
    ):
        resolve_specs(contract, TABLES, [project, LABELS])


def test_a_missing_table_is_named(contract: Contract) -> None:
    tables = {name: t for name, t in TABLES.items() if name != "labels"}
    with pytest.raises(ValueError, match="table labels: the contract maps it but no such table"):
        resolve_specs(contract, tables)


def test_a_declaration_of_a_table_the_contract_does_not_map(contract: Contract) -> None:
    stray = dataclasses.replace(PROJECTS, name="archive", table="archived_projects")
    with pytest.raises(
        ValueError, match="entity archive: its table archived_projects is no entity"
    ):
        resolve_specs(contract, TABLES, [stray])


def test_two_declarations_of_one_table(contract: Contract) -> None:
    again = dataclasses.replace(PROJECTS, name="projects_again")
    with pytest.raises(ValueError, match="table projects is declared twice"):
        resolve_specs(contract, TABLES, [PROJECTS, again])


class Renamed(BaseModel):
    id: int
    title: str
    project: int


def test_a_declared_field_without_a_column(contract: Contract) -> None:
    labels = EntitySpec(name="labels", table="labels", model=Renamed, key=("id",))
    with pytest.raises(
        ValueError, match="entity labels: field project has no column project in table labels"
    ):
        resolve_specs(contract, TABLES, [labels])


def test_a_field_mapped_to_its_column_is_fine(contract: Contract) -> None:
    labels = EntitySpec(
        name="labels",
        table="labels",
        model=Renamed,
        key=("id",),
        columns={"project": "project_id"},
    )
    assert resolve_specs(contract, TABLES, [labels])["labels"] is labels


def test_two_entities_with_one_name(contract: Contract) -> None:
    labels = dataclasses.replace(LABELS, name="projects")
    with pytest.raises(ValueError, match=r"entity name projects is given to more than one table"):
        resolve_specs(contract, TABLES, [labels])


def test_every_problem_is_reported_at_once(contract: Contract) -> None:
    stray = dataclasses.replace(PROJECTS, name="archive", table="archived_projects")
    tables = {name: t for name, t in TABLES.items() if name != "tickets"}
    with pytest.raises(ValueError) as raised:
        resolve_specs(contract, tables, [stray, LABELS, LABELS])
    message = str(raised.value)
    assert "archived_projects" in message
    assert "table labels is declared twice" in message
    assert "table tickets: the contract maps it" in message
