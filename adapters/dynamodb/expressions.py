"""Building DynamoDB expressions and TransactWriteItems actions without name clashes.

Every attribute name goes through ``ExpressionAttributeNames`` (``name`` and
``status`` are reserved words) and every value through
``ExpressionAttributeValues``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.dynamodb.client import Item, Key
from adapters.dynamodb.values import AttributeValue, encode_value

__all__ = ["Action", "Expr", "check", "delete", "put", "update"]

Action = dict[str, Any]
"""One action of a TransactWriteItems request."""


class Expr:
    """Placeholders for one request: ``expr.name("status")`` -> ``#n0``, values likewise."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._values: dict[str, AttributeValue] = {}

    def name(self, attribute: str) -> str:
        """The placeholder of an attribute name."""
        for placeholder, name in self._names.items():
            if name == attribute:
                return placeholder
        placeholder = f"#n{len(self._names)}"
        self._names[placeholder] = attribute
        return placeholder

    def value(self, value: object, field: str = "value") -> str:
        """The placeholder of a Python value (encoded and checked)."""
        return self.wire(encode_value(value, field))

    def wire(self, value: AttributeValue) -> str:
        """The placeholder of a value already in wire form."""
        placeholder = f":v{len(self._values)}"
        self._values[placeholder] = value
        return placeholder

    def equals(self, attribute: str, value: object) -> str:
        """``#n = :v``."""
        return f"{self.name(attribute)} = {self.value(value, attribute)}"

    def exists(self, attribute: str) -> str:
        """``attribute_exists(#n)``."""
        return f"attribute_exists({self.name(attribute)})"

    def missing(self, attribute: str) -> str:
        """``attribute_not_exists(#n)``."""
        return f"attribute_not_exists({self.name(attribute)})"

    def set_clause(self, values: Mapping[str, AttributeValue]) -> str:
        """``#a = :a, #b = :b`` for wire values."""
        return ", ".join(f"{self.name(k)} = {self.wire(v)}" for k, v in values.items())

    def request(self, **expressions: str | None) -> dict[str, Any]:
        """Expression members of a request (empty placeholder maps left out)."""
        out: dict[str, Any] = {k: v for k, v in expressions.items() if v}
        if self._names:
            out["ExpressionAttributeNames"] = dict(self._names)
        if self._values:
            out["ExpressionAttributeValues"] = dict(self._values)
        return out


def put(table: str, item: Item, condition: str | None = None, expr: Expr | None = None) -> Action:
    """A Put action."""
    body = {"TableName": table, "Item": item}
    return {"Put": {**body, **(expr or Expr()).request(ConditionExpression=condition)}}


def delete(table: str, key: Key, condition: str | None = None, expr: Expr | None = None) -> Action:
    """A Delete action."""
    body = {"TableName": table, "Key": key}
    return {"Delete": {**body, **(expr or Expr()).request(ConditionExpression=condition)}}


def update(
    table: str, key: Key, expression: str, expr: Expr, condition: str | None = None
) -> Action:
    """An Update action."""
    body = {"TableName": table, "Key": key}
    request = expr.request(UpdateExpression=expression, ConditionExpression=condition)
    return {"Update": {**body, **request}}


def check(table: str, key: Key, condition: str, expr: Expr) -> Action:
    """A ConditionCheck action."""
    body = {"TableName": table, "Key": key}
    return {"ConditionCheck": {**body, **expr.request(ConditionExpression=condition)}}
