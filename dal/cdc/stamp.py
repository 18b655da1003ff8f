"""The attribute with which MySQL change data capture stamps the items it writes.

Its value is the binary-log position of the change (:meth:`BinlogPosition.stamp
<dal.cdc.positions.BinlogPosition.stamp>`, a number that grows along the log). It is the
version guard of entities without a version column and the marker by which the
DynamoDB stream reader recognises items that came from MySQL and does not send them
back. It is bookkeeping, not data: verification and comparison ignore it.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["CDC_STAMP", "without_stamp"]

T = TypeVar("T")

CDC_STAMP = "dal_cdc_position"
"""The name of the stamp attribute."""


def without_stamp(item: dict[str, T]) -> dict[str, T]:
    """``item`` without the stamp attribute."""
    return {name: value for name, value in item.items() if name != CDC_STAMP}
