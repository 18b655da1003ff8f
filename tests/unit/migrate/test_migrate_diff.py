"""Item differences: field paths, number equality, types, redaction, denormalized fields."""

from __future__ import annotations

from dal.migrate.diff import item_differences
from dal.routing.redaction import Redactor


def _item(**attributes: dict[str, object]) -> dict[str, dict[str, object]]:
    return {"PK": {"S": "1"}, "SK": {"S": "#META"}, **attributes}  # type: ignore[dict-item]


def test_equal_items_have_no_differences_and_numbers_compare_by_value() -> None:
    left = _item(price={"N": "12.50"}, tags={"L": [{"S": "a"}]}, on={"BOOL": True})
    right = _item(price={"N": "12.5"}, tags={"L": [{"S": "a"}]}, on={"BOOL": True})

    assert item_differences(left, right) == []


def test_paths_reach_into_maps_and_lists() -> None:
    expected = _item(
        profile_data={"M": {"theme": {"S": "dark"}}},
        order_items={"L": [{"M": {"price": {"N": "1"}}}, {"M": {"price": {"N": "2"}}}]},
    )
    actual = _item(
        profile_data={"M": {"theme": {"S": "light"}, "extra": {"S": "x"}}},
        order_items={"L": [{"M": {"price": {"N": "1"}}}]},
    )

    found = {d.path: (d.mysql, d.dynamodb) for d in item_differences(expected, actual)}

    assert found == {
        "profile_data.extra": (None, "x"),
        "profile_data.theme": ("dark", "light"),
        "order_items[1]": ({"price": 2}, None),
    }


def test_a_different_type_is_a_difference_even_with_the_same_text() -> None:
    found = item_differences(_item(user_id={"S": "1"}), _item(user_id={"N": "1"}))

    assert [(d.path, d.mysql, d.dynamodb) for d in found] == [("user_id", "1", 1)]


def test_sensitive_values_are_redacted_at_any_depth() -> None:
    redactor = Redactor(("password_hash", "token"))
    expected = _item(password_hash={"S": "old"}, nested={"M": {"token": {"S": "t1"}}})
    actual = _item(password_hash={"S": "new"}, nested={"M": {"token": {"S": "t2"}}})

    found = item_differences(expected, actual, redactor=redactor)

    shown = str([(d.mysql, d.dynamodb) for d in found])
    assert {d.path for d in found} == {"password_hash", "nested.token"}
    assert "old" not in shown
    assert "t2" not in shown
    assert shown.count("<redacted:") == 4


def test_denormalized_fields_are_marked() -> None:
    found = item_differences(
        _item(product_name={"S": "New"}, quantity={"N": "1"}),
        _item(product_name={"S": "Old"}, quantity={"N": "2"}),
        denormalized={"product_name"},
    )

    assert {d.path: d.denormalized for d in found} == {"product_name": True, "quantity": False}
