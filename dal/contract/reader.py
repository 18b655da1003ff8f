"""Typed access to one JSON object of the contract, collecting problems instead of failing.

Every read names the object it reads (``what``: ``table``, ``join type
'foreign-key'``...) so that a problem says ``join type 'foreign-key' requires
'target_table'`` at the right :class:`~dal.contract.errors.Location`. A missing
optional member and an explicit ``null`` are the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from dal.contract.errors import Location, Problem

__all__ = ["Reader", "json_type"]

E = TypeVar("E", bound=StrEnum)


def json_type(value: object) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


class Reader:
    """Reads members of ``raw`` (a decoded JSON object) at ``where``."""

    def __init__(
        self, raw: Mapping[str, Any], where: Location, what: str, problems: list[Problem]
    ) -> None:
        self.raw = raw
        self.where = where
        self.what = what
        self.problems = problems

    def report(self, message: str, where: Location | None = None) -> None:
        """Record a problem (at this reader's location unless told otherwise)."""
        self.problems.append(Problem(where or self.where, message))

    def has(self, key: str) -> bool:
        """Whether ``key`` is present and not null."""
        return self.raw.get(key) is not None

    def _get(self, key: str, required: bool) -> Any:
        value = self.raw.get(key)
        if value is None and required:
            self.report(f"{self.what} requires '{key}'")
        return value

    def _wrong(self, key: str, expected: str, value: object) -> None:
        self.report(f"'{key}' must be {expected}, not {json_type(value)}")

    def text(self, key: str, *, required: bool = True) -> str | None:
        """A string member."""
        value = self._get(key, required)
        if value == "" and required:
            self.report(f"'{key}' is empty")
            return None
        if value is None or isinstance(value, str):
            return value
        self._wrong(key, "a string", value)
        return None

    def texts(self, key: str, *, required: bool = False) -> tuple[str, ...] | None:
        """An array of strings."""
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return tuple(value)
        self._wrong(key, "an array of strings", value)
        return None

    def text_or_texts(self, key: str) -> str | tuple[str, ...] | None:
        """A string or an array of strings (``source_column``)."""
        value = self._get(key, True)
        if isinstance(value, str):
            return value
        if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
            return tuple(value)
        if value is not None:
            self._wrong(key, "a string or a non-empty array of strings", value)
        return None

    def number(self, key: str, *, required: bool = True) -> float | None:
        """A number member (a boolean is not a number)."""
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        self._wrong(key, "a number", value)
        return None

    def boolean(self, key: str) -> bool | None:
        """An optional boolean member."""
        value = self._get(key, False)
        if value is None or isinstance(value, bool):
            return value
        self._wrong(key, "true or false", value)
        return None

    def choice(self, key: str, enum: type[E], *, required: bool = True) -> E | None:
        """A member whose value must be one of ``enum``'s values."""
        value = self.text(key, required=required)
        if value is None:
            return None
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(repr(member.value) for member in enum)
            self.report(f"unknown {self.what} {key} {value!r}; expected one of {allowed}")
            return None

    def obj(self, key: str, *, required: bool = False) -> Mapping[str, Any] | None:
        """An object member."""
        value = self._get(key, required)
        if value is None or isinstance(value, Mapping):
            return value
        self._wrong(key, "an object", value)
        return None

    def objects(self, key: str, *, required: bool = False) -> list[Mapping[str, Any]] | None:
        """An array of objects."""
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
            return value
        self._wrong(key, "an array of objects", value)
        return None

    def nested(self, raw: Mapping[str, Any], what: str, where: Location | None = None) -> Reader:
        """A reader for a member object, sharing this reader's problem list."""
        return Reader(raw, where or self.where, what, self.problems)
