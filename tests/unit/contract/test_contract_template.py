"""Key templates: fields, rendering, and parsing back where the split is unambiguous."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dal.contract import Template, TemplateError


@pytest.mark.parametrize(
    ("text", "fields", "prefix"),
    [
        ("{email}", ("email",), ""),
        ("#META", (), "#META"),
        ("CART#{product_id}", ("product_id",), "CART#"),
        ("ORDER#{created_at}#{order_id}", ("created_at", "order_id"), "ORDER#"),
        ("USERNAME#{username}", ("username",), "USERNAME#"),
    ],
)
def test_fields_and_prefix(text: str, fields: tuple[str, ...], prefix: str) -> None:
    template = Template(text)

    assert template.fields == fields
    assert template.prefix == prefix
    assert template.is_constant is (not fields)
    assert str(template) == text


def test_render() -> None:
    template = Template("ORDER#{created_at}#{order_id}")

    key = template.render({"created_at": "2026-01-01T00:00:00Z", "order_id": 42, "extra": "x"})

    assert key == "ORDER#2026-01-01T00:00:00Z#42"


def test_render_constant_and_decimal() -> None:
    assert Template("#META").render({}) == "#META"
    assert Template("P#{price}").render({"price": Decimal("9.50")}) == "P#9.50"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "no value for field 'product_id'"),
        ({"product_id": None}, "no value for field 'product_id'"),
        ({"product_id": ""}, "field 'product_id' is empty"),
        ({"product_id": True}, "field 'product_id' must be a str, int or Decimal, not bool"),
        ({"product_id": 1.5}, "field 'product_id' must be a str, int or Decimal, not float"),
    ],
)
def test_render_refuses_bad_values(values: dict[str, object], message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        Template("CART#{product_id}").render(values)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("CART#{product_id", "unbalanced"),
        ("CART#product_id}", "unbalanced"),
        ("{}", "{} is not a field name"),
        ("{1st}", "{1st} is not a field name"),
        ("{a b}", "{a b} is not a field name"),
    ],
)
def test_malformed_templates(text: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        Template(text)


def test_parse() -> None:
    template = Template("ORDER#{created_at}#{order_id}")

    assert template.parse("ORDER#2026-01-01T00:00:00Z#42") == {
        "created_at": "2026-01-01T00:00:00Z",
        "order_id": "42",
    }
    assert Template("#META").parse("#META") == {}
    assert Template("{email}").parse("a#b@example.com") == {"email": "a#b@example.com"}


def test_parse_of_a_key_of_another_template() -> None:
    with pytest.raises(
        TemplateError, match=re.escape("does not match template 'CART#{product_id}'")
    ):
        Template("CART#{product_id}").parse("ORDER#1#2")


def test_parse_refuses_an_ambiguous_split() -> None:
    with pytest.raises(TemplateError, match="more than one way"):
        Template("ORDER#{created_at}#{order_id}").parse("ORDER#a#b#c")


def test_parse_of_touching_placeholders_is_ambiguous_unless_forced() -> None:
    template = Template("{a}{b}")

    assert template.parse("xy") == {"a": "x", "b": "y"}
    with pytest.raises(TemplateError, match="more than one way"):
        template.parse("xyz")


def test_parse_of_a_repeated_field_needs_equal_values() -> None:
    template = Template("{id}#{id}")

    assert template.parse("7#7") == {"id": "7"}
    with pytest.raises(TemplateError, match="two different values"):
        template.parse("7#8")


_PART = st.text(st.characters(exclude_characters="#", codec="utf-8"), min_size=1)


@given(created_at=_PART, order_id=_PART)
def test_render_then_parse_gives_the_values_back(created_at: str, order_id: str) -> None:
    template = Template("ORDER#{created_at}#{order_id}")

    key = template.render({"created_at": created_at, "order_id": order_id})

    assert template.parse(key) == {"created_at": created_at, "order_id": order_id}
