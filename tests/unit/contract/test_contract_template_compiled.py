"""A template compiles its parse patterns once; they take no part in its identity."""

from __future__ import annotations

import copy
import pickle

from dal.contract.template import Template


def test_compiled_patterns_do_not_change_equality_hash_or_repr() -> None:
    a, b = Template("ORDER#{created_at}#{order_id}"), Template("ORDER#{created_at}#{order_id}")
    assert a == b
    assert hash(a) == hash(b)
    assert repr(a) == "Template(text='ORDER#{created_at}#{order_id}')"
    assert a != Template("ORDER#{created_at}")


def test_a_copied_template_parses_as_the_original() -> None:
    template = Template("CART#{product_id}")
    for other in (copy.deepcopy(template), pickle.loads(pickle.dumps(template))):
        assert other == template
        assert other.parse("CART#12") == {"product_id": "12"}


def test_parse_is_repeatable() -> None:
    template = Template("{a}{b}")
    for _ in range(3):
        assert template.parse("xy") == {"a": "x", "b": "y"}
