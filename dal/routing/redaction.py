"""Redaction of sensitive fields in everything the router records.

A sensitive field's value is replaced by a stable token,
``<redacted:1a2b3c4d5e6f>`` (a prefix of the SHA-256 of the value and an
optional salt), so equal values still look equal in records and reports
without revealing them. Values are first turned into JSON-ready data
(:func:`to_json_value`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from dal.routing.paths import Path

__all__ = ["DEFAULT_SENSITIVE", "Redactor", "to_json_value"]

DEFAULT_SENSITIVE: tuple[str, ...] = ("password_hash",)


def to_json_value(value: object) -> Any:
    """``value`` as JSON-ready data: Decimal as a string, datetimes in ISO 8601, models as dicts."""
    if isinstance(value, Enum):
        return to_json_value(value.value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return {name: to_json_value(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, Mapping):
        return {str(key): to_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((to_json_value(item) for item in value), key=_canonical)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


class Redactor:
    """Replaces the values of sensitive fields (by field name, at any depth)."""

    def __init__(self, sensitive: Collection[str] = DEFAULT_SENSITIVE, *, salt: str = "") -> None:
        self.sensitive = frozenset(sensitive)
        self._salt = salt.encode()

    def token(self, value: object) -> str:
        """The stable stand-in for a sensitive ``value``."""
        digest = hashlib.sha256(self._salt + _canonical(to_json_value(value)).encode())
        return f"<redacted:{digest.hexdigest()[:12]}>"

    def is_sensitive(self, path: Path) -> bool:
        """Whether a field on ``path`` is sensitive."""
        return any(isinstance(segment, str) and segment in self.sensitive for segment in path)

    def redact(self, value: object, path: Path = ()) -> Any:
        """JSON-ready ``value`` with every sensitive field (below ``path``) replaced by a token."""
        if self.is_sensitive(path):
            return self.token(value)
        return self._walk(to_json_value(value))

    def _walk(self, data: Any) -> Any:
        if isinstance(data, dict):
            return {
                key: self.token(item) if key in self.sensitive else self._walk(item)
                for key, item in data.items()
            }
        if isinstance(data, list):
            return [self._walk(item) for item in data]
        return data

    def secrets(self, *values: object) -> set[str]:
        """The string values of sensitive fields found anywhere in ``values``."""
        found: set[str] = set()
        for value in values:
            self._collect(to_json_value(value), found)
        return found

    def _collect(self, data: Any, found: set[str]) -> None:
        if isinstance(data, dict):
            for key, item in data.items():
                if key in self.sensitive and isinstance(item, str) and item:
                    found.add(item)
                else:
                    self._collect(item, found)
        elif isinstance(data, list):
            for item in data:
                self._collect(item, found)

    def scrub(self, text: str, secrets: Iterable[str]) -> str:
        """``text`` with every occurrence of a secret replaced by its token."""
        for secret in sorted(secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, self.token(secret))
        return text
