"""Redaction of sensitive fields in everything the router records.

A sensitive field's value is replaced by a stable token,
``<redacted:1a2b3c4d5e6f>`` (a prefix of the SHA-256 of the value and an
optional salt), so equal values still look equal in records and reports
without revealing them. Values are first turned into JSON-ready data
(:func:`to_json_value`).

A field is sensitive when its name matches one of the sensitive names: exact
names, or shell-style patterns (``*email*``), compared case-insensitively.
:data:`DEFAULT_SENSITIVE` covers personal data by its usual field names:
password hashes and secrets, emails, phone numbers, postal addresses, people's
names (first, last, middle, full, display, given, family names, surnames) and
dates of birth. A bare ``name`` or ``username`` is not in it: most ``name``
fields name things (a product, a category), and a username is a handle the
user chose to show; an entity whose ``name`` (or ``username``) is a person's
declares it in its ``sensitive`` fields. :func:`scrub_message` removes what
error messages of the drivers and servers quote on their own (email addresses,
the value of a duplicate entry, SQL parameters).
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel

from dal.routing.paths import Path

__all__ = [
    "DEFAULT_SENSITIVE",
    "Redactor",
    "SensitiveNames",
    "scrub_message",
    "to_json_value",
    "token",
]

DEFAULT_SENSITIVE: tuple[str, ...] = (
    "password_hash",
    "*password*",
    "*secret*",
    "*email*",
    "*e_mail*",
    "*phone*",
    "*mobile_number*",
    "*address*",
    "*street*",
    "*postal_code*",
    "*postcode*",
    "*zip_code*",
    "*first_name*",
    "*last_name*",
    "*middle_name*",
    "*full_name*",
    "*display_name*",
    "*given_name*",
    "*family_name*",
    "*surname*",
    "*birth*",
)
"""Field names (or patterns) redacted by default, whatever the declarations say."""

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*")
_QUOTED_VALUES = re.compile(
    r"(Duplicate entry |Incorrect \w+ value: |Data truncated for column '[^']*' at row \d+: )"
    r"'(?:[^'\\]|\\.|'')*'"
)
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\s*(?:\(Background|$|\n))", re.DOTALL)


def token(value: object, salt: bytes = b"") -> str:
    """The stable stand-in for a sensitive ``value``: ``<redacted:`` 12 hex digits ``>``."""
    digest = hashlib.sha256(salt + _canonical(to_json_value(value)).encode())
    return f"<redacted:{digest.hexdigest()[:12]}>"


def scrub_message(text: str) -> str:
    """``text`` without the personal data error messages quote by themselves.

    Email addresses, the value MySQL quotes in ``Duplicate entry '...'`` and
    ``Incorrect ... value: '...'``, and a ``[parameters: ...]`` list of SQLAlchemy
    (engines of the layer hide them anyway) are replaced: an email by its stable
    token (:func:`token`, as a :class:`Redactor` without salt makes it), the rest
    by ``<redacted>``.
    """
    text = _SQL_PARAMETERS.sub("[parameters: <redacted>]", text)
    text = _QUOTED_VALUES.sub(lambda m: m.group(1) + "'<redacted>'", text)
    return _EMAIL.sub(lambda m: token(m.group(0)), text)


class SensitiveNames:
    """Which field names are sensitive: exact names and ``*``/``?`` patterns, any case."""

    def __init__(self, names: Collection[str]) -> None:
        self.names = frozenset(names)
        lowered = {name.lower() for name in self.names}
        self._exact = frozenset(n for n in lowered if not any(c in n for c in "*?["))
        self._patterns = tuple(sorted(lowered - self._exact))
        self.matches = functools.lru_cache(maxsize=4096)(self._matches)

    def _matches(self, name: str) -> bool:
        lowered = name.lower()
        return lowered in self._exact or any(
            fnmatch.fnmatchcase(lowered, pattern) for pattern in self._patterns
        )

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.matches(name)


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
        self.sensitive = SensitiveNames(sensitive)
        self._salt = salt.encode()

    def token(self, value: object) -> str:
        """The stable stand-in for a sensitive ``value``."""
        return token(value, self._salt)

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
        """``text`` with every occurrence of a secret replaced by its token.

        Then what :func:`scrub_message` removes (emails, quoted values) goes too.
        """
        for secret in sorted(secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, self.token(secret))
        return scrub_message(text)
