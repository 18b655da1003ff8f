"""Comparison: normalization, field paths, ignore rules, unordered lists, staleness, errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from dal.routing import Category, Comparator, CompareSettings, Outcome
from examples.store import Order, OrderItem, OrderStatus, User
from interfaces import AlreadyExists, BackendUnavailable, NotFound, Page

T0 = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


def order(**changes) -> Order:
    fields = {
        "id": 1,
        "user_id": 2,
        "total_amount": Decimal("30.00"),
        "status": OrderStatus.PENDING,
        "items": (
            OrderItem(product_id=1, quantity=1, price_at_time=Decimal("10.00")),
            OrderItem(product_id=2, quantity=2, price_at_time=Decimal("10.00")),
        ),
        "created_at": T0,
        "updated_at": T0,
        "version": 1,
    }
    return Order(**(fields | changes))


def compare(old, new, comparator: Comparator | None = None, entity="orders", op="get", **kw):
    comparator = comparator or Comparator()
    return comparator.compare(entity, op, Outcome(value=old), Outcome(value=new), **kw)


def paths(verdict) -> list[str]:
    return [d.path for d in verdict.differences]


def test_equal_models_match():
    verdict = compare(order(), order())
    assert verdict.matched
    assert verdict.category is Category.MATCH
    assert verdict.differences == ()


def test_field_paths_name_list_items():
    items = list(order().items)
    items[1] = OrderItem(product_id=2, quantity=2, price_at_time=Decimal("11.00"))
    verdict = compare(order(), order(items=tuple(items)))
    assert not verdict.matched
    assert verdict.category is Category.DRIFT
    [difference] = verdict.differences
    assert difference.path == "items[1].price_at_time"
    assert (difference.old, difference.new) == ("10", "11")
    assert difference.category is Category.DRIFT


def test_decimal_scale_does_not_matter():
    assert compare({"a": Decimal("10.5")}, {"a": Decimal("10.50")}).matched
    assert not compare({"a": Decimal("10.5")}, {"a": Decimal("10.51")}).matched


def test_timestamps_compare_in_utc_at_whole_seconds_by_default():
    plus_two = timezone(timedelta(hours=2))
    same_instant = T0.astimezone(plus_two).replace(microsecond=900_000)
    assert compare({"t": T0}, {"t": same_instant}).matched
    assert not compare({"t": T0}, {"t": T0 + timedelta(seconds=1)}).matched


def test_timestamp_precision_is_configurable():
    fine = Comparator(CompareSettings(timestamp_precision=timedelta(milliseconds=1)))
    later = T0 + timedelta(microseconds=1500)
    assert not compare({"t": T0}, {"t": later}, fine).matched
    coarse = Comparator(CompareSettings(timestamp_precision=timedelta(minutes=1)))
    assert compare({"t": T0}, {"t": T0 + timedelta(seconds=59)}, coarse).matched


def test_none_equals_missing():
    assert compare({"a": 1, "b": None}, {"a": 1}).matched
    verdict = compare({"a": 1, "b": 2}, {"a": 1})
    assert [(d.path, d.old, d.new) for d in verdict.differences] == [("b", 2, "<missing>")]


def test_lists_are_ordered_by_default_and_extra_items_are_reported():
    verdict = compare([1, 2, 3], [2, 1])
    assert paths(verdict) == ["[0]", "[1]", "[2]"]
    assert verdict.differences[2].new == "<missing>"


def test_unordered_paths_are_compared_as_multisets():
    reordered = order(items=tuple(reversed(order().items)))
    assert not compare(order(), reordered).matched
    comparator = Comparator(CompareSettings(unordered={"orders": ["items"]}))
    assert compare(order(), reordered, comparator).matched
    assert compare(order(), reordered, unordered=["items"]).matched
    root = compare([3, 1, 2], [1, 2, 3], entity="x", op="list", unordered=["$"])
    assert root.matched


def test_sets_never_depend_on_order():
    assert compare({"s": {3, 1, 2}}, {"s": frozenset({1, 2, 3})}).matched


def test_pages_compare_items_and_next_token():
    old = Page[Order](items=(order(),), next_token="abc")
    new = Page[Order](items=(order(version=2),), next_token="abd")
    verdict = compare(old, new)
    assert paths(verdict) == ["items[0].version", "next_token"]


def test_enums_dataclasses_and_bools_are_normalized():
    @dataclass
    class Point:
        x: int
        flag: bool

    assert compare({"s": OrderStatus.PENDING}, {"s": "pending"}).matched
    assert compare(Point(1, True), {"x": 1, "flag": True}).matched
    assert not compare({"flag": True}, {"flag": 1}).matched  # a bool is not a number


def test_ignore_rules_with_wildcards():
    old, new = order(), order(updated_at=T0 + timedelta(hours=1), version=3)
    assert paths(compare(old, new)) == ["updated_at", "version"]
    comparator = Comparator(CompareSettings(ignore={"orders": ["updated_at"], "*": ["version"]}))
    assert compare(old, new, comparator).matched
    assert compare(old, new, ignore=["updated_at", "version"]).matched
    items = tuple(i.model_copy(update={"quantity": 9}) for i in order().items)
    assert compare(order(), order(items=items), ignore=["items[*].quantity"]).matched
    assert not compare(order(), order(items=items), ignore=["$.quantity"]).matched
    assert compare(order(), order(items=items), ignore=["items"]).matched  # a whole subtree


def test_ignore_rules_per_operation():
    comparator = Comparator(CompareSettings(ignore={"orders.list": ["version"]}))
    assert compare(order(), order(version=2), comparator, op="list").matched
    assert not compare(order(), order(version=2), comparator, op="get").matched


def test_denormalized_fields_are_expected_staleness_not_drift():
    comparator = Comparator(CompareSettings(denormalized={"carts": {"product_name", "price"}}))
    old = [{"product_id": 1, "product_name": "Lamp", "price": Decimal("10.00")}]
    new = [{"product_id": 1, "product_name": "Old lamp", "price": Decimal("9.00")}]
    verdict = compare(old, new, comparator, entity="carts", op="list_items")
    assert not verdict.matched
    assert verdict.category is Category.EXPECTED_STALENESS
    assert paths(verdict) == ["[0].price", "[0].product_name"]
    mixed = compare(old, [new[0] | {"product_id": 2}], comparator, entity="carts", op="x")
    assert mixed.category is Category.DRIFT
    assert {d.category for d in mixed.differences} == {
        Category.DRIFT,
        Category.EXPECTED_STALENESS,
    }


def test_errors_of_the_same_type_match():
    comparator = Comparator()
    verdict = comparator.compare(
        "users", "get", Outcome(error=NotFound("user", 1)), Outcome(error=NotFound("user", 1))
    )
    assert verdict.matched


def test_different_errors_or_error_versus_value_are_exception_mismatches():
    comparator = Comparator()
    verdict = comparator.compare(
        "users",
        "create",
        Outcome(error=NotFound("user", 1)),
        Outcome(error=AlreadyExists("user", "username", "ada")),
    )
    assert verdict.category is Category.EXCEPTION
    [difference] = verdict.differences
    assert (difference.path, difference.old, difference.new) == (
        "",
        "<raised NotFound>",
        "<raised AlreadyExists>",
    )
    verdict = comparator.compare("x", "get", Outcome(value=None), Outcome(error=NotFound("x", 1)))
    assert verdict.category is Category.EXCEPTION


def test_only_errors_about_the_data_are_answers():
    assert Outcome(error=NotFound("x", 1)).answered
    assert not Outcome(error=BackendUnavailable("down")).answered
    assert not Outcome(error=ValueError("bug")).answered


@pytest.mark.parametrize(
    ("old_hash", "new_hash", "same_token"),
    [("hash-one", "hash-two", False), ("hash-one", "hash-one", True)],
)
def test_sensitive_fields_are_redacted_with_a_stable_token(old_hash, new_hash, same_token):
    def user(password_hash: str, email: str) -> User:
        return User(
            id=1,
            username="ada",
            email=email,
            password_hash=password_hash,
            created_at=T0,
            updated_at=T0,
            version=1,
        )

    verdict = compare(user(old_hash, "a@x.org"), user(new_hash, "b@x.org"), entity="users")
    rendered = repr(verdict)
    assert "hash-one" not in rendered
    assert "hash-two" not in rendered
    by_path = {d.path: d for d in verdict.differences}
    assert set(by_path) == ({"email"} if same_token else {"email", "password_hash"})
    if not same_token:
        token = by_path["password_hash"]
        assert token.old.startswith("<redacted:")
        assert token.old != token.new
    again = compare(user(old_hash, "a@x.org"), user(new_hash, "c@x.org"), entity="users")
    assert {d.path: d.old for d in again.differences} == {
        d.path: d.old for d in verdict.differences
    }  # the same value gives the same token


def test_redaction_inside_whole_values_and_configurable_fields():
    comparator = Comparator(CompareSettings(sensitive={"password_hash", "token"}))
    verdict = comparator.compare(
        "users",
        "find",
        Outcome(value=None),
        Outcome(value={"name": "ada", "password_hash": "s3cret", "auth": {"token": "t0k3n"}}),
    )
    text = repr(verdict)
    assert "s3cret" not in text
    assert "t0k3n" not in text
    assert verdict.differences[0].new["name"] == "ada"


def test_the_number_of_differences_is_capped():
    comparator = Comparator(CompareSettings(max_differences=3))
    verdict = compare(list(range(10)), list(range(10, 20)), comparator)
    assert len(verdict.differences) == 3
