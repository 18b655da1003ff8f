"""Entity declarations: a bad declaration is refused with every problem named."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from examples.tracker.declarations import TICKETS
from interfaces.entities import EntitySpec, NamedQuery, Reference, Unique


class Thing(BaseModel):
    id: int
    name: str


def test_a_declaration_naming_missing_fields_lists_each_problem():
    with pytest.raises(ValueError) as caught:
        EntitySpec(
            name="things",
            table="things",
            model=Thing,
            key=("uid",),
            unique=(Unique(("nick",)),),
            references=(Reference(("owner_id",), "owners"),),
            queries=(NamedQuery("by_x", where=("x",)),),
            version="version",
        )
    message = str(caught.value)
    assert message.startswith("entity things: ")
    for fragment in ("the key names uid", "version names version", "unique nick names nick"):
        assert fragment in message
    assert "reference to owners names owner_id" in message
    assert "query by_x names x" in message


def test_an_id_sequence_needs_a_one_field_key():
    with pytest.raises(ValueError, match="id_sequence needs a key of exactly one field"):
        EntitySpec(name="t", table="t", model=Thing, key=("id", "name"), id_sequence="t")


def test_keys_are_bare_values_or_mappings_of_every_key_field():
    assert TICKETS.key_of({"number": 2, "project_id": 1}) == {"project_id": 1, "number": 2}
    assert TICKETS.key_label({"project_id": 1, "number": 2}) == (1, 2)
    with pytest.raises(ValueError, match="a key of tickets is a mapping of project_id, number"):
        TICKETS.key_of(7)
    with pytest.raises(ValueError, match="has the fields project_id, number, got number"):
        TICKETS.key_of({"number": 2})


def test_stamped_fields_are_the_layers_own():
    assert TICKETS.stamped == {"version", "created_at", "updated_at"}
    assert TICKETS.query("by_label").descending
    with pytest.raises(KeyError, match="has no query 'nope' \\(it has by_project, by_label\\)"):
        TICKETS.query("nope")
