"""Every way a contract can be wrong is reported at its table, entity and attribute."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dal.contract import ContractError, Location, load_contract, parse_contract

Edit = Callable[[dict[str, Any]], None]
Where = tuple[str | int, ...]

USERS: Where = ("tables", 0)
PRODUCTS: Where = ("tables", 1)
GSI1: Where = (*USERS, "gsis", 0)
USER: Where = (*USERS, "entities", 0)
CART: Where = (*USERS, "entities", 1)
EMAIL: Where = (*USER, "attributes", 0)
GSI1PK: Where = (*USER, "attributes", 1)
CART_PK: Where = (*CART, "attributes", 0)
CART_SK: Where = (*CART, "attributes", 1)
PRICE: Where = (*CART, "attributes", 2)
PRODUCT_PRICE: Where = (*PRODUCTS, "attributes", 2)


def _parent(data: Any, where: Where) -> Any:
    for step in where[:-1]:
        data = data[step]
    return data


def set_(where: Where, value: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        _parent(data, where)[where[-1]] = value

    return edit


def drop(where: Where) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        del _parent(data, where)[where[-1]]

    return edit


def append(where: Where, value: Any) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        target: Any = data
        for step in where:
            target = target[step]
        target.append(value)

    return edit


def _attribute(name: str, kind: str = "S", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "source_table": "users", "source_column": name, **extra}


def _gsi(number: int) -> dict[str, Any]:
    return {"index_name": f"GSI{number}", "pk": "GSI1PK", "projection": "KEYS_ONLY"}


CASES: list[tuple[str, Edit, str]] = [
    (
        "foreign-key without target_table",
        drop((*PRICE, "join", "target_table")),
        "Users / entity CART / attribute price: join type 'foreign-key' requires 'target_table'",
    ),
    (
        "unknown join type",
        set_((*PRICE, "join", "type"), "magic"),
        "Users / entity CART / attribute price: unknown join type 'magic'; expected one of",
    ),
    (
        "unknown attribute type",
        set_((*EMAIL, "type"), "STRING"),
        "Users / entity USER / attribute email: unknown attribute type 'STRING'",
    ),
    (
        "unknown table type",
        set_((*USERS, "type"), "multi"),
        "Users: unknown table type 'multi'",
    ),
    (
        "unknown projection",
        set_((*GSI1, "projection"), "SOME"),
        "Users / index GSI1: unknown index projection 'SOME'",
    ),
    (
        "unknown transformation type",
        set_((*CART_SK, "transformation", "type"), "static"),
        "Users / entity CART / attribute SK: unknown transformation type 'static'",
    ),
    (
        "a table without pk",
        drop((*PRODUCTS, "pk")),
        "Products: table requires 'pk'",
    ),
    (
        "an empty table name member",
        set_((*PRODUCTS, "source_table"), ""),
        "Products: 'source_table' is empty",
    ),
    (
        "a nameless table",
        drop((*PRODUCTS, "table")),
        "table #2: table requires 'table'",
    ),
    (
        "a single-entity attribute without source_column",
        drop((*PRODUCT_PRICE, "source_column")),
        "Products / attribute price: attribute requires 'source_column'",
    ),
    (
        "satisfies is not an array",
        set_((*USERS, "satisfies"), "AP1"),
        "Users: 'satisfies' must be an array of strings, not a string",
    ),
    (
        "denormalized is not a boolean",
        set_((*PRICE, "denormalized"), "yes"),
        "Users / entity CART / attribute price: 'denormalized' must be true or false",
    ),
    (
        "a multi-entity table without entities",
        drop((*USERS, "entities")),
        "Users: multi-entity table requires 'entities'",
    ),
    (
        "a single-entity table without attributes",
        drop((*PRODUCTS, "attributes")),
        "Products: single-entity table requires 'attributes'",
    ),
    (
        "table-level attributes on a multi-entity table",
        set_((*USERS, "attributes"), [_attribute("x")]),
        "Users: a multi-entity table lists attributes per entity; 'attributes' must be empty",
    ),
    (
        "entities on a single-entity table",
        set_((*PRODUCTS, "entities"), [{"entity_type": "X"}]),
        "Products: a single-entity table lists its attributes in 'attributes', not 'entities'",
    ),
    (
        "missing sk_template where the table has a sort key",
        drop((*USER, "sk_template")),
        "Users / entity USER: entity requires 'sk_template'",
    ),
    (
        "an sk_template where the table has no sort key",
        set_((*USERS, "sk"), None),
        "Users / entity USER: sk_template '#META' given, but the table has no sort key",
    ),
    (
        "unbalanced template",
        set_((*CART, "sk_template"), "CART#{product_id"),
        "Users / entity CART: sk_template: template 'CART#{product_id': unbalanced",
    ),
    (
        "template placeholder that is no attribute or column",
        set_((*USER, "pk_template"), "{mail}"),
        "Users / entity USER: pk_template '{mail}' uses {mail}, which is neither an attribute "
        "nor a source column of the entity",
    ),
    (
        "string-format placeholder that is no attribute or column",
        set_((*CART_SK, "transformation", "format"), "CART#{sku}"),
        "Users / entity CART / attribute SK: string-format 'CART#{sku}' uses {sku}",
    ),
    (
        "date-format with an unknown token",
        set_(
            (*EMAIL, "transformation"),
            {"type": "date-format", "format": "YYYY-MM-DDTHH"},
        ),
        "Users / entity USER / attribute email: transformation type 'date-format': "
        "date pattern 'YYYY-MM-DDTHH': unknown token 'THH'",
    ),
    (
        "string-format without format",
        drop((*CART_SK, "transformation", "format")),
        "Users / entity CART / attribute SK: transformation type 'string-format' requires 'format'",
    ),
    (
        "index key no entity writes",
        append((*USERS, "gsis"), {"index_name": "GSI2", "pk": "GSI2PK", "sk": "GSI2SK"}),
        "Users / index GSI2: partition key 'GSI2PK' is not written by any entity",
    ),
    (
        "table key no attribute writes",
        set_((*PRODUCTS, "pk"), "ID"),
        "Products: partition key 'ID' is not written by any attribute",
    ),
    (
        "duplicate table name",
        set_((*PRODUCTS, "table"), "Users"),
        "Users: the table name is used more than once",
    ),
    (
        "duplicate index name",
        append((*USERS, "gsis"), {"index_name": "GSI1", "pk": "GSI1PK"}),
        "Users / index GSI1: the index name is used more than once",
    ),
    (
        "duplicate entity type",
        set_((*CART, "entity_type"), "USER"),
        "Users / entity USER: the entity type is used twice",
    ),
    (
        "duplicate attribute name",
        append((*USER, "attributes"), _attribute("email")),
        "Users / entity USER / attribute email: the attribute name is used more than once",
    ),
    (
        "more than 20 indexes",
        set_((*USERS, "gsis"), [_gsi(n) for n in range(1, 22)]),
        "Users: 21 global secondary indexes; DynamoDB allows 20",
    ),
    (
        "key attribute of a non-key type",
        set_((*GSI1PK, "type"), "M"),
        "Users / entity USER / attribute GSI1PK: a key attribute of index GSI1 must be of type "
        "S, N or B, not M",
    ),
    (
        "table key attribute of a non-key type",
        set_((*CART_PK, "type"), "BOOL"),
        "Users / entity CART / attribute PK: a key attribute of the table must be of type S, N "
        "or B, not BOOL",
    ),
    (
        "key attribute with different types in two entities",
        append((*CART, "attributes"), _attribute("GSI1PK", "N")),
        "Users: key attribute 'GSI1PK' has different types: S in USER, N in CART",
    ),
    (
        "INCLUDE without projected attributes",
        set_((*GSI1, "projection"), "INCLUDE"),
        "Users / index GSI1: projection INCLUDE requires 'projected_attributes'",
    ),
    (
        "projected attributes with ALL",
        set_((*GSI1, "projected_attributes"), ["email"]),
        "Users / index GSI1: 'projected_attributes' given, but projection is ALL",
    ),
    (
        "index with the same partition and sort key",
        set_((*GSI1, "sk"), "GSI1PK"),
        "Users / index GSI1: partition key and sort key are the same attribute 'GSI1PK'",
    ),
    (
        "index name DynamoDB refuses",
        set_((*GSI1, "index_name"), "G1"),
        "Users / index G1: an index name has 3 to 255 letters",
    ),
    (
        "aggregate without operation",
        set_(
            (*PRICE, "calculation"),
            {"type": "aggregate", "target_table": "t", "join_condition": "c", "select_column": "s"},
        ),
        "Users / entity CART / attribute price: calculation type 'aggregate' requires 'operation'",
    ),
    (
        "aggregate with an unknown operation",
        set_(
            (*PRODUCT_PRICE, "calculation"),
            {
                "type": "aggregate",
                "target_table": "t",
                "join_condition": "c",
                "select_column": "s",
                "operation": "MEDIAN",
            },
        ),
        "Products / attribute price: unknown calculation type 'aggregate' operation 'MEDIAN'",
    ),
    (
        "case branch without then",
        set_((*PRODUCT_PRICE, "calculation"), {"type": "case", "cases": [{"when": "x"}]}),
        "Products / attribute price: calculation type 'case' branch 1 requires 'then'",
    ),
    (
        "join and calculation together",
        set_((*PRICE, "calculation"), {"type": "concat"}),
        "Users / entity CART / attribute price: has both a join and a calculation",
    ),
    (
        "chain step without select_column",
        set_(
            (*PRICE, "join"),
            {"type": "chain", "joins": [{"target_table": "t", "join_condition": "c"}]},
        ),
        "Users / entity CART / attribute price: chain join step 1 requires 'select_column'",
    ),
    (
        "chain without steps",
        set_((*PRICE, "join"), {"type": "chain", "joins": []}),
        "Users / entity CART / attribute price: join type 'chain' needs at least one step",
    ),
    (
        "multi-column join with one condition as a string",
        set_(
            (*PRICE, "join"),
            {
                "type": "multi-column",
                "target_table": "t",
                "join_conditions": "a = b",
                "select_column": "t.x",
            },
        ),
        "Users / entity CART / attribute price: 'join_conditions' must be an array of strings",
    ),
    (
        "conditional join without else_value",
        set_(
            (*PRICE, "join"),
            {
                "type": "conditional",
                "condition": "x IS NULL",
                "target_table": "t",
                "join_condition": "c",
                "select_column": "t.x",
            },
        ),
        "Users / entity CART / attribute price: join type 'conditional' requires 'else_value'",
    ),
    (
        "json-construction without construction",
        set_(
            (*PRICE, "join"),
            {"type": "json-construction", "target_table": "t", "join_condition": "c"},
        ),
        "Users / entity CART / attribute price: join type 'json-construction' requires "
        "'construction'",
    ),
    (
        "json-construction of an unknown shape",
        set_(
            (*PRICE, "join"),
            {
                "type": "json-construction",
                "target_table": "t",
                "join_condition": "c",
                "construction": {"type": "tree", "select_columns": {"a": "t.a"}},
            },
        ),
        "Users / entity CART / attribute price: unknown construction type 'tree'",
    ),
    (
        "json-construction array into a map",
        set_(
            (*PRICE, "join"),
            {
                "type": "json-construction",
                "target_table": "t",
                "join_condition": "c",
                "construction": {"type": "array", "select_columns": {"a": "t.a"}},
            },
        ),
        "Users / entity CART / attribute price: json-construction of an array gives type L or "
        "S, not N",
    ),
    (
        "json-construction with a fractional limit",
        set_(
            (*PRICE, "join"),
            {
                "type": "json-construction",
                "target_table": "t",
                "join_condition": "c",
                "construction": {"type": "array", "select_columns": {"a": "t.a"}, "limit": 2.5},
            },
        ),
        "Users / entity CART / attribute price: 'limit' must be a positive whole number",
    ),
    (
        "string-format into a number",
        set_((*CART_SK, "type"), "N"),
        "Users / entity CART / attribute SK: transformation string-format gives type S, not N",
    ),
    (
        "negative item size",
        set_((*PRODUCTS, "estimated_item_size_bytes"), -1),
        "Products: estimated_item_size_bytes must be between 1 and 409600",
    ),
    (
        "item size that is a boolean",
        set_((*PRODUCTS, "estimated_item_size_bytes"), True),
        "Products: 'estimated_item_size_bytes' must be a number, not a boolean",
    ),
    (
        "an empty tables array",
        set_(("tables",), []),
        "contract: 'tables' is empty",
    ),
    (
        "tables that are not objects",
        set_(("tables",), ["Users"]),
        "contract: 'tables' must be an array of objects, not an array",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_problem_names_table_entity_and_attribute(
    contract_data: dict[str, Any], edit: Edit, expected: str
) -> None:
    edit(contract_data)

    with pytest.raises(ContractError) as raised:
        parse_contract(contract_data, "test.json")

    problems = [str(problem) for problem in raised.value.problems]
    assert any(problem.startswith(expected) for problem in problems), problems
    assert expected in str(raised.value)


def test_the_unchanged_minimal_contract_is_valid(contract_data: dict[str, Any]) -> None:
    contract = parse_contract(contract_data)

    assert contract.table_names == ("Users", "Products")


def test_problem_location_has_its_parts(contract_data: dict[str, Any]) -> None:
    drop((*PRICE, "join", "target_table"))(contract_data)

    with pytest.raises(ContractError) as raised:
        parse_contract(contract_data)

    (problem,) = raised.value.problems
    assert problem.location == Location("Users", None, "CART", "price")
    assert problem.message == "join type 'foreign-key' requires 'target_table'"


def test_several_problems_are_reported_together(contract_data: dict[str, Any]) -> None:
    set_((*EMAIL, "type"), "STRING")(contract_data)
    set_((*PRODUCTS, "estimated_item_size_bytes"), 0)(contract_data)

    with pytest.raises(ContractError) as raised:
        parse_contract(contract_data, "two.json")

    message = str(raised.value)
    assert message.startswith("invalid migration contract two.json: 2 problems")
    assert "Users / entity USER / attribute email: unknown attribute type 'STRING'" in message
    assert "Products: estimated_item_size_bytes must be between 1 and 409600" in message


def test_a_broken_table_does_not_hide_problems_of_another(contract_data: dict[str, Any]) -> None:
    drop((*USERS, "pk"))(contract_data)
    set_((*PRODUCTS, "pk"), "ID")(contract_data)

    with pytest.raises(ContractError) as raised:
        parse_contract(contract_data)

    assert [str(p) for p in raised.value.problems] == [
        "Users: table requires 'pk'",
        "Products: partition key 'ID' is not written by any attribute",
    ]


def test_a_contract_that_is_not_an_object() -> None:
    with pytest.raises(ContractError, match="contract: must be a JSON object"):
        parse_contract([], "list.json")  # type: ignore[arg-type]


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.json"

    with pytest.raises(ContractError, match=r"nothing\.json: contract: no such file"):
        load_contract(missing)


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "tables": [\n    {"table": "Users",}\n  ]\n}\n', encoding="utf-8")

    with pytest.raises(ContractError, match=r"not valid JSON: .*\(line 3, column 23\)"):
        load_contract(path)


def test_a_valid_file_loads_with_its_path_as_source(
    tmp_path: Path, contract_data: dict[str, Any]
) -> None:
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(contract_data), encoding="utf-8")

    assert load_contract(path).source == str(path)
