"""Comparison of the two sides' answers: normalization, differences with field paths, categories.

Answers are compared as domain values after normalization:

* Decimals by value (``10.5`` equals ``10.50``);
* datetimes in UTC, truncated to ``timestamp_precision`` (whole seconds by
  default; a naive datetime is taken as UTC);
* a field that is ``None`` equals a field that is missing;
* pydantic models (:class:`~interfaces.Page` included), dataclasses, dicts,
  lists and tuples recursively; enums by value; sets regardless of order;
* lists in order, except those named as unordered (per entity or operation).

Ignore rules drop whole subtrees; fields the contract denormalizes are
reported as ``expected_staleness`` rather than drift; errors are compared by
type (both sides raising the same error type is a match). Every value in a
:class:`~dal.routing.recording.Difference` is redacted.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Final

from pydantic import BaseModel

from dal.routing.paths import Path, PathSet, render
from dal.routing.recording import Category, Difference
from dal.routing.redaction import DEFAULT_SENSITIVE, Redactor, to_json_value
from dal.routing.stages import Side
from interfaces import (
    AlreadyExists,
    ConcurrencyConflict,
    NotFound,
    RuleViolation,
    ValidationFailed,
)

__all__ = [
    "ANSWER_ERRORS",
    "Comparator",
    "CompareSettings",
    "Outcome",
    "Verdict",
    "is_answer",
    "oriented",
]

ANSWER_ERRORS: Final = (
    NotFound,
    AlreadyExists,
    ConcurrencyConflict,
    ValidationFailed,
    RuleViolation,
)
"""Errors that are an answer about the data (compared), not a failure of the backend."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Final = _Missing()


def is_answer(error: BaseException | None) -> bool:
    """Whether an outcome is an answer: a value, or an error about the data (NotFound...)."""
    return error is None or isinstance(error, ANSWER_ERRORS)


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """What one side did: returned ``value`` or raised ``error``, in ``latency`` seconds."""

    value: Any = None
    error: BaseException | None = None
    latency: float | None = None

    @property
    def answered(self) -> bool:
        """Whether the side answered (a value or an error about the data)."""
        return is_answer(self.error)

    def unwrap(self) -> Any:
        """The value, or raise the error."""
        if self.error is not None:
            raise self.error
        return self.value


def oriented(side: Side, mine: Outcome, other: Outcome) -> tuple[Outcome, Outcome]:
    """``(old, new)`` from the outcome of ``side`` and the outcome of the other side."""
    return (mine, other) if side is Side.OLD else (other, mine)


@dataclasses.dataclass(frozen=True, slots=True)
class Verdict:
    """The result of comparing two outcomes."""

    matched: bool
    category: Category
    differences: tuple[Difference, ...] = ()


PatternsByKey = Mapping[str, Collection[str]]
"""Path patterns keyed by ``"entity"``, ``"entity.operation"`` or ``"*"`` (every entity)."""


@dataclasses.dataclass(frozen=True)
class CompareSettings:
    """How answers are compared.

    ``denormalized`` maps an entity (or ``entity.operation``) to the fields the
    contract denormalizes, e.g. ``{"tickets": {"project_name"}}``.
    """

    timestamp_precision: timedelta = timedelta(seconds=1)
    ignore: PatternsByKey = dataclasses.field(default_factory=dict)
    unordered: PatternsByKey = dataclasses.field(default_factory=dict)
    denormalized: PatternsByKey = dataclasses.field(default_factory=dict)
    sensitive: Collection[str] = DEFAULT_SENSITIVE
    max_differences: int = 50


@dataclasses.dataclass(frozen=True, slots=True)
class _Rules:
    ignore: PathSet
    unordered: PathSet
    denormalized: PathSet


def _patterns(mapping: PatternsByKey, entity: str, operation: str) -> list[str]:
    keys = ("*", entity, f"{entity}.{operation}")
    return [pattern for key in keys for pattern in mapping.get(key, ())]


class Comparator:
    """Compares outcomes of the two sides; thread-safe."""

    def __init__(self, settings: CompareSettings | None = None) -> None:
        self.settings = settings if settings is not None else CompareSettings()
        self.redactor = Redactor(self.settings.sensitive)
        self._precision = self.settings.timestamp_precision
        self._rules: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], _Rules] = {}
        self._lock = threading.Lock()

    def compare(
        self,
        entity: str,
        operation: str,
        old: Outcome,
        new: Outcome,
        *,
        ignore: Iterable[str] = (),
        unordered: Iterable[str] = (),
    ) -> Verdict:
        """Compare two answered outcomes.

        ``ignore`` and ``unordered`` patterns (from the flags) add to the settings' own.
        """
        rules = self._rules_for(entity, operation, tuple(ignore), tuple(unordered))
        if old.error is not None or new.error is not None:
            return self._compare_errors(old, new, rules)
        differences: list[Difference] = []
        self._diff(
            self._normalize(old.value, (), rules),
            self._normalize(new.value, (), rules),
            (),
            rules,
            differences,
        )
        return _verdict(differences)

    def normalize(self, entity: str, operation: str, value: object) -> Any:
        """The normalized form of ``value`` (plain dicts and lists) as compared."""
        return self._normalize(value, (), self._rules_for(entity, operation, (), ()))

    # --- rules -------------------------------------------------------------------------

    def _rules_for(
        self, entity: str, operation: str, ignore: tuple[str, ...], unordered: tuple[str, ...]
    ) -> _Rules:
        key = (entity, operation, ignore, unordered)
        rules = self._rules.get(key)
        if rules is None:
            settings = self.settings
            rules = _Rules(
                ignore=PathSet([*_patterns(settings.ignore, entity, operation), *ignore]),
                unordered=PathSet([*_patterns(settings.unordered, entity, operation), *unordered]),
                denormalized=PathSet(_patterns(settings.denormalized, entity, operation)),
            )
            with self._lock:
                if len(self._rules) > 1024:
                    self._rules.clear()
                self._rules[key] = rules
        return rules

    # --- normalization -----------------------------------------------------------------

    def _normalize(self, value: object, path: Path, rules: _Rules) -> Any:
        if isinstance(value, Enum):
            return self._normalize(value.value, path, rules)
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, Decimal):
            return value.normalize() if value.is_finite() else value
        if isinstance(value, datetime):
            return self._timestamp(value)
        if isinstance(value, BaseModel):
            names = type(value).model_fields
            return self._fields(((n, getattr(value, n)) for n in names), path, rules)
        if isinstance(value, Mapping):
            return self._fields(((str(k), v) for k, v in value.items()), path, rules)
        if isinstance(value, list | tuple):
            items = [self._normalize(item, (*path, i), rules) for i, item in enumerate(value)]
            return sorted(items, key=_sort_key) if rules.unordered.names(path) else items
        if isinstance(value, set | frozenset):
            return sorted((self._normalize(item, path, rules) for item in value), key=_sort_key)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            pairs = ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
            return self._fields(pairs, path, rules)
        return value

    def _fields(self, pairs: Iterable[tuple[str, object]], path: Path, rules: _Rules) -> Any:
        return {
            name: self._normalize(item, (*path, name), rules)
            for name, item in pairs
            if item is not None
        }

    def _timestamp(self, value: datetime) -> datetime:
        moment = value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)
        precision = self._precision
        if precision <= timedelta(0):
            return moment
        return _EPOCH + ((moment - _EPOCH) // precision) * precision

    # --- differences -------------------------------------------------------------------

    def _diff(self, old: Any, new: Any, path: Path, rules: _Rules, out: list[Difference]) -> None:
        if len(out) >= self.settings.max_differences:
            return
        if rules.ignore and rules.ignore.covers(path):
            return
        if isinstance(old, dict) and isinstance(new, dict):
            for key in sorted(old.keys() | new.keys()):
                self._diff(old.get(key, MISSING), new.get(key, MISSING), (*path, key), rules, out)
        elif isinstance(old, list) and isinstance(new, list):
            for index in range(max(len(old), len(new))):
                left = old[index] if index < len(old) else MISSING
                right = new[index] if index < len(new) else MISSING
                self._diff(left, right, (*path, index), rules, out)
        elif not _same(old, new):
            stale = rules.denormalized and rules.denormalized.covers(path)
            category = Category.EXPECTED_STALENESS if stale else Category.DRIFT
            out.append(self._difference(path, old, new, category))

    def _difference(self, path: Path, old: Any, new: Any, category: Category) -> Difference:
        redact = self.redactor.redact
        return Difference(render(path), redact(old, path), redact(new, path), category)

    def _compare_errors(self, old: Outcome, new: Outcome, rules: _Rules) -> Verdict:
        if old.error is not None and type(old.error) is type(new.error):
            return Verdict(matched=True, category=Category.MATCH)
        difference = self._difference(
            (), self._side(old, rules), self._side(new, rules), Category.EXCEPTION
        )
        return _verdict([difference])

    def _side(self, outcome: Outcome, rules: _Rules) -> Any:
        if outcome.error is not None:
            return f"<raised {type(outcome.error).__name__}>"
        return self._normalize(outcome.value, (), rules)


def _same(old: Any, new: Any) -> bool:
    if old is new:
        return True
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    try:
        return bool(old == new)
    except Exception:
        return False


def _sort_key(value: Any) -> str:
    return json.dumps(to_json_value(value), sort_keys=True, default=str)


_WORST_FIRST: Final = (Category.EXCEPTION, Category.DRIFT, Category.EXPECTED_STALENESS)


def _verdict(differences: list[Difference]) -> Verdict:
    if not differences:
        return Verdict(matched=True, category=Category.MATCH)
    found = {difference.category for difference in differences}
    category = next(c for c in _WORST_FIRST if c in found)
    return Verdict(matched=False, category=category, differences=tuple(differences))
