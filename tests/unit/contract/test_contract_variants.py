"""Every join, calculation and transformation of the schema becomes its typed variant."""

from __future__ import annotations

from typing import Any

from dal.contract import (
    AggregateCalculation,
    CaseCalculation,
    CaseWhen,
    ChainJoin,
    ChainStep,
    ConcatCalculation,
    ConditionalJoin,
    Construction,
    ConstructionType,
    DateFormat,
    DateMathCalculation,
    ForeignKeyJoin,
    JsonConstructionJoin,
    JsonParse,
    LookupTableJoin,
    MultiColumnJoin,
    NumberFormat,
    SelfJoin,
    StringFormat,
    parse_contract,
)


def _attribute(name: str, kind: str, **derivation: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "source_table": "t", "source_column": "c", **derivation}


ATTRIBUTES = [
    _attribute("PK", "S"),
    _attribute(
        "self",
        "S",
        join={
            "type": "self-join",
            "join_alias": "p",
            "join_condition": "p.id = t.parent_id",
            "select_column": "p.name",
            "null_value": "ROOT",
        },
    ),
    _attribute(
        "fk",
        "S",
        join={
            "type": "foreign-key",
            "target_table": "u",
            "join_condition": "u.id = t.u_id",
            "select_column": "u.name",
        },
    ),
    _attribute(
        "multi",
        "S",
        join={
            "type": "multi-column",
            "target_table": "v",
            "join_conditions": ["v.a = t.a", "v.b = t.b"],
            "select_column": "v.name",
        },
    ),
    _attribute(
        "cond",
        "S",
        join={
            "type": "conditional",
            "condition": "t.u_id IS NOT NULL",
            "target_table": "u",
            "join_condition": "u.id = t.u_id",
            "select_column": "u.name",
            "else_value": "Anonymous",
        },
    ),
    _attribute(
        "chain",
        "S",
        join={
            "type": "chain",
            "chain_separator": " > ",
            "joins": [
                {"target_table": "a", "join_condition": "a.id = t.a_id", "select_column": "a.n"},
                {"target_table": "b", "join_condition": "b.id = a.b_id", "select_column": "b.n"},
            ],
        },
    ),
    _attribute(
        "lookup",
        "S",
        join={
            "type": "lookup-table",
            "target_table": "tags",
            "join_condition": "tags.id = t.tag_id",
            "select_column": "tags.name",
        },
    ),
    _attribute(
        "json",
        "L",
        join={
            "type": "json-construction",
            "target_table": "r",
            "join_condition": "r.t_id = t.id",
            "construction": {
                "type": "array",
                "limit": 5,
                "order_by": "r.created_at DESC",
                "select_columns": {"rating": "r.rating"},
            },
        },
    ),
    _attribute(
        "total",
        "N",
        calculation={
            "type": "aggregate",
            "target_table": "i",
            "join_condition": "i.t_id = t.id",
            "operation": "SUM",
            "select_column": "i.price * i.quantity",
        },
    ),
    _attribute(
        "label",
        "S",
        calculation={
            "type": "case",
            "cases": [{"when": "status = 'P'", "then": "'Pending'"}],
            "else": "'Unknown'",
        },
    ),
    _attribute("full", "S", calculation={"type": "concat", "separator": " "}),
    _attribute("due", "S", calculation={"type": "date-math", "expression": "x + 1", "unit": "d"}),
    _attribute("day", "S", transformation={"type": "date-format", "format": "YYYY-MM-DD"}),
    _attribute("key", "S", transformation={"type": "string-format", "format": "T#{c}"}),
    _attribute("amount", "N", transformation={"type": "number-format", "format": "0.00"}),
    _attribute("doc", "M", transformation={"type": "json-parse", "source_format": "json"}),
]


def test_every_variant_is_typed() -> None:
    contract = parse_contract(
        {
            "tables": [
                {
                    "table": "Everything",
                    "type": "single-entity",
                    "source_table": "t",
                    "pk": "PK",
                    "attributes": ATTRIBUTES,
                    "satisfies": [],
                    "estimated_item_size_bytes": 100,
                    "unknown_member": "extra keys are accepted",
                }
            ]
        }
    )
    (entity,) = contract.table("Everything").entities

    def derived(name: str) -> object:
        attribute = entity.attribute(name)
        return attribute.join or attribute.calculation or attribute.transformation

    assert derived("self") == SelfJoin("p", "p.id = t.parent_id", "p.name", "ROOT")
    assert derived("fk") == ForeignKeyJoin("u", "u.id = t.u_id", "u.name")
    assert derived("multi") == MultiColumnJoin("v", ("v.a = t.a", "v.b = t.b"), "v.name")
    assert derived("cond") == ConditionalJoin(
        "t.u_id IS NOT NULL", "u", "u.id = t.u_id", "u.name", "Anonymous"
    )
    assert derived("chain") == ChainJoin(
        (ChainStep("a", "a.id = t.a_id", "a.n"), ChainStep("b", "b.id = a.b_id", "b.n")), " > "
    )
    assert derived("lookup") == LookupTableJoin("tags", "tags.id = t.tag_id", "tags.name")
    assert derived("json") == JsonConstructionJoin(
        "r",
        "r.t_id = t.id",
        Construction(ConstructionType.ARRAY, {"rating": "r.rating"}, 5, "r.created_at DESC"),
    )
    total = derived("total")
    assert isinstance(total, AggregateCalculation)
    assert total.select_column == "i.price * i.quantity"
    assert derived("label") == CaseCalculation(
        (CaseWhen("status = 'P'", "'Pending'"),), "'Unknown'"
    )
    assert derived("full") == ConcatCalculation(" ")
    due = derived("due")
    assert isinstance(due, DateMathCalculation)
    assert (due.expression, dict(due.options)) == ("x + 1", {"unit": "d"})
    day = derived("day")
    assert isinstance(day, DateFormat)
    assert day.format == "YYYY-MM-DD"
    key = derived("key")
    assert isinstance(key, StringFormat)
    assert key.template.fields == ("c",)
    assert derived("amount") == NumberFormat("0.00")
    assert derived("doc") == JsonParse(source_format="json")
