"""EntityLayout.key and key_value compute only the attributes a key reads.

They give what computing every attribute of the row gives (the whole item's
values, then the key): the same key, or the same error. Every entity of every
contract the project ships is checked with complete rows, rows missing one
column, and rows where one column is None or an empty string.

The one difference: a column the key does not read, holding a value its
attribute cannot take (an empty string for a number), no longer fails the key;
item() of that row still raises the error the key used to raise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.dynamodb.layout import EntityLayout
from adapters.dynamodb.values import encode_value
from dal.contract import AttributeType, Contract, DateFormat, load_contract
from dal.contract.derivations import JsonConstructionJoin, StringFormat
from examples.tracker import CONTRACT as TRACKER

ROOT = Path(__file__).resolve().parents[3]
CONTRACTS = {
    "workshop": ROOT / "tests" / "fixtures" / "contracts" / "workshop_migration_contract.json",
    "tracker": TRACKER,
}
NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def _layouts(contract: Contract) -> Iterator[EntityLayout]:
    for table in contract.tables:
        for entity in table.entities:
            columns = {c for a in entity.attributes for c in a.source_columns}
            yield EntityLayout(table.name, table, entity, sorted(columns))


def _full_row(layout: EntityLayout) -> dict[str, Any]:
    row: dict[str, Any] = {}
    plain_first = sorted(layout.entity.attributes, key=lambda a: a.transformation is not None)
    for attribute in plain_first:
        if isinstance(attribute.join, JsonConstructionJoin):
            continue
        transformation = attribute.transformation
        names = (
            transformation.template.fields
            if isinstance(transformation, StringFormat)
            else attribute.source_columns
        )
        for position, name in enumerate(names):
            if isinstance(transformation, DateFormat) or name.endswith("_at"):
                row.setdefault(name, NOW)
            elif attribute.type is AttributeType.N or name == "id" or name.endswith("_id"):
                row.setdefault(name, 40 + position)
            else:
                row.setdefault(name, f"{name}-v#1")
    for name in (*layout.entity.pk_template.fields, *_sk_fields(layout)):
        row.setdefault(name, f"{name}-k")
    return row


def _sk_fields(layout: EntityLayout) -> tuple[str, ...]:
    template = layout.entity.sk_template
    return template.fields if template is not None else ()


def _rows(layout: EntityLayout) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Rows, each with the column set to an empty string (None if none is)."""
    full = _full_row(layout)
    yield full, None
    for column in full:
        yield {k: v for k, v in full.items() if k != column}, None
        yield {**full, column: None}, None
        yield {**full, column: ""}, column
    yield {}, None


def _same_as_whole_item(
    layout: EntityLayout,
    row: dict[str, Any],
    empty: str | None,
    new: Callable[[dict[str, Any]], object],
    reference: Callable[[dict[str, Any]], object],
) -> None:
    got, expected = _outcome(lambda: new(row)), _outcome(lambda: reference(row))
    if got == expected:
        return
    # the whole item failed on an attribute the key does not read, which item() still raises
    assert expected[0] == "InvalidOperation"
    assert empty is not None
    assert _outcome(lambda: layout.item(row)) == expected
    if empty in layout.entity.pk_template.fields + _sk_fields(layout):
        # an empty key field: the key refuses it (a GSI key not built from it is made)
        assert got[0] in ("ok", "UnstorableValue")
        assert got[0] == "ok" or "is empty" in str(got[1])
    else:
        without = {k: v for k, v in row.items() if k != empty}
        assert got == _outcome(lambda: reference(without))


def _outcome(call: Callable[[], object]) -> tuple[str, object]:
    try:
        return "ok", call()
    except Exception as exc:  # compared, not handled
        return type(exc).__name__, (str(exc), getattr(exc, "field", None))


def _reference_key(layout: EntityLayout, row: Mapping[str, Any]) -> object:
    values = layout._values(row, {}, {})  # every attribute, as key() used to
    return layout._keys(layout._key_fields(row, values, {}))


def _reference_key_value(layout: EntityLayout, name: str, row: Mapping[str, Any]) -> object:
    values = layout._values(row, {}, {})
    if name in layout._key_names:
        only_pk = name == layout.table.pk
        return layout._keys(layout._key_fields(row, values, {}), only_pk)[name]
    return encode_value(values.get(name), name)


CASES = [
    pytest.param(layout, id=f"{name}-{layout.table.name}-{layout.entity.source_table}")
    for name, path in CONTRACTS.items()
    for layout in _layouts(load_contract(path))
]


@pytest.mark.parametrize("layout", CASES)
def test_key_is_what_the_whole_item_gives(layout: EntityLayout) -> None:
    for row, empty in _rows(layout):
        _same_as_whole_item(layout, row, empty, layout.key, lambda r: _reference_key(layout, r))


@pytest.mark.parametrize("layout", CASES)
def test_key_value_is_what_the_whole_item_gives(layout: EntityLayout) -> None:
    names = [layout.table.pk, *([layout.table.sk] if layout.table.sk else [])]
    names += [name for gsi in layout.table.gsis for name in gsi.key_attributes]
    for name in names:
        for row, empty in _rows(layout):
            _same_as_whole_item(
                layout,
                row,
                empty,
                lambda r, name=name: layout.key_value(name, r),
                lambda r, name=name: _reference_key_value(layout, name, r),
            )


def test_a_complete_row_gives_a_key() -> None:
    checked = 0
    for param in CASES:
        (layout,) = param.values
        assert isinstance(layout, EntityLayout)
        kind, key = _outcome(lambda layout=layout: layout.key(_full_row(layout)))
        if kind == "ok":
            checked += 1
            assert isinstance(key, dict)
            assert layout.table.pk in key
    assert checked >= len(CASES) // 2
