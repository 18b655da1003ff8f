"""Differences between the item MySQL's row should be and the item DynamoDB holds.

Both items are decoded from DynamoDB's wire form and compared as values
(``12.5`` equals ``12.50``); each difference has a field path such as
``invoice_lines[1].unit_price`` or ``profile_data.first_name``. Values of sensitive
fields are replaced by a stable token before they leave this module. The stamp that
change data capture puts on the items it writes (:data:`~dal.cdc.stamp.CDC_STAMP`) is
bookkeeping, not data, and is not compared.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapters.dynamodb.client import Item
from adapters.dynamodb.values import decode_item
from dal.cdc.stamp import without_stamp
from dal.routing.redaction import Redactor

__all__ = ["FieldDifference", "item_differences"]

_ABSENT = object()


@dataclass(frozen=True)
class FieldDifference:
    """One field that differs: ``mysql`` is the expected value, ``dynamodb`` the stored one.

    ``denormalized`` marks a field the contract flags as a snapshot of other data.
    """

    path: str
    mysql: Any
    dynamodb: Any
    denormalized: bool = False


def item_differences(
    expected: Item,
    actual: Item,
    *,
    denormalized: Collection[str] = (),
    redactor: Redactor | None = None,
) -> list[FieldDifference]:
    """Every field path where ``actual`` differs from ``expected`` (values redacted)."""
    redact = redactor or Redactor()
    found: list[tuple[str, Any, Any]] = []
    _walk(decode_item(without_stamp(expected)), decode_item(without_stamp(actual)), "", found)
    return [
        FieldDifference(
            path,
            _shown(redact, path, want),
            _shown(redact, path, have),
            path.split(".")[0].split("[")[0] in denormalized,
        )
        for path, want, have in found
    ]


def _shown(redactor: Redactor, path: str, value: Any) -> Any:
    if value is _ABSENT:
        return None
    segments = tuple(part.split("[")[0] for part in path.split("."))
    if redactor.is_sensitive(segments):
        return redactor.token(value)
    return redactor.redact(value)


def _walk(want: Any, have: Any, path: str, found: list[tuple[str, Any, Any]]) -> None:
    if isinstance(want, Mapping) and isinstance(have, Mapping):
        for key in sorted(set(want) | set(have), key=str):
            child = f"{path}.{key}" if path else str(key)
            _walk(want.get(key, _ABSENT), have.get(key, _ABSENT), child, found)
    elif isinstance(want, list) and isinstance(have, list):
        for index in range(max(len(want), len(have))):
            left = want[index] if index < len(want) else _ABSENT
            right = have[index] if index < len(have) else _ABSENT
            _walk(left, right, f"{path}[{index}]", found)
    elif not _same(want, have):
        found.append((path, want, have))


def _same(want: Any, have: Any) -> bool:
    """Equal values of the same DynamoDB type (numbers compared by value)."""
    if want is _ABSENT or have is _ABSENT:
        return want is have
    if _is_number(want) and _is_number(have):
        return bool(Decimal(want) == Decimal(have))
    return type(want) is type(have) and bool(want == have)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)
