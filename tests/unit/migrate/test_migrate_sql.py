"""The contract's SQL fragments: conditions, value expressions, join pairs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dal.migrate.sql import ConditionError, join_pairs, parse_condition, parse_value, resolver


@pytest.mark.parametrize(
    ("text", "row", "expected"),
    [
        ("categories.parent_id IS NULL", {"parent_id": None}, True),
        ("categories.parent_id IS NOT NULL", {"parent_id": None}, False),
        ("parent_id IS NOT NULL", {"parent_id": 3}, True),
        ("status = 'pending'", {"status": "pending"}, True),
        ("status <> 'pending' OR qty > 2", {"status": "pending", "qty": 3}, True),
        ("NOT (qty >= 2 AND qty <= 5)", {"qty": 4}, False),
        ("is_seller = 1", {"is_seller": True}, True),
        ("price = 9.99", {"price": Decimal("9.99")}, True),
        ("name = 'it''s'", {"name": "it's"}, True),
        ("qty = NULL", {"qty": None}, False),  # a comparison with NULL is never true
    ],
)
def test_conditions_evaluate_as_sql_does(text: str, row: dict[str, object], expected: bool) -> None:
    assert parse_condition(text).evaluate(resolver(row)) is expected


@pytest.mark.parametrize(
    ("text", "row", "expected"),
    [
        ("CONCAT_WS('/', parent.path, categories.name)", {"path": "A/B", "name": "C"}, "A/B/C"),
        ("CONCAT_WS('/', parent.path, categories.name)", {"path": None, "name": "C"}, "C"),
        ("CONCAT(first, ' ', last)", {"first": "Ada", "last": None}, None),
        ("COALESCE(nick, name)", {"nick": None, "name": "Ada"}, "Ada"),
        ("parent.level + 1", {"level": 2}, 3),
        ("total - 0.5", {"total": Decimal("2.5")}, Decimal("2.0")),
        ("'ROOT'", {}, "ROOT"),
    ],
)
def test_value_expressions(text: str, row: dict[str, object], expected: object) -> None:
    assert parse_value(text).evaluate(resolver(row)) == expected


def test_join_pairs_orient_each_side_by_table_or_alias() -> None:
    assert join_pairs("users.id = shopping_carts.user_id", ["shopping_carts"], ["users"]) == (
        ("user_id", "id"),
    )
    assert join_pairs("parent.id = categories.parent_id", ["categories"], ["parent"]) == (
        ("parent_id", "id"),
    )
    assert join_pairs(["a.x = b.x", "b.y = a.y"], ["a"], ["b"]) == (("x", "x"), ("y", "y"))
    assert join_pairs("o.id = i.order_id AND o.v = i.v", ["o"], ["i"]) == (
        ("id", "order_id"),
        ("v", "v"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a.x > b.y", "must compare two columns with '='"),
        ("a.x = b.y OR a.z = b.z", "only combine equalities with AND"),
        ("c.x = d.y", "cannot tell which side"),
        ("a.x = ", "ends too early"),
    ],
)
def test_join_conditions_the_reader_cannot_use_are_refused(text: str, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        join_pairs(text, ["a"], ["b"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("UPPER(name)", "unknown function UPPER"),
        ("x IS 3", "IS must be followed by"),
        ("(a = 1", "missing"),
        ("a = 1 1", "unexpected"),
        ("a = ;", "cannot read"),
    ],
)
def test_unreadable_fragments_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ConditionError, match=message):
        parse_condition(text) if "=" in text or "IS" in text else parse_value(text)
