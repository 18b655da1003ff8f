"""The thresholds of the readiness gate: names, defaults, and where they are configured.

They live in the ``[thresholds]`` table of the stage flags file (``DAL_FLAGS``),
globally or per entity (``"users.max_mismatch_rate"`` or, as a TOML table,
``users = { max_mismatch_rate = 0 }``); an entity's value wins over the global
one, which wins over the default here. Every name and value is checked when
the thresholds are loaded: a misspelt name is an error, not a silently
ignored limit.

:func:`resolve_thresholds` is the one place that decides which file applies:
a flags file named explicitly (``--flags FILE``), else the flags file of the
settings (``DAL_FLAGS``), else the built-in defaults. ``dal report``, ``dal gate``
and the store demo all call it, and the :class:`Thresholds` it returns say where
they came from (``source``), which both commands print.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from dal.routing import FlagsError, FlagSnapshot, parse_flags
from dal.settings import load_settings

__all__ = [
    "BUILT_IN",
    "THRESHOLDS",
    "EntityThresholds",
    "Threshold",
    "Thresholds",
    "ThresholdsError",
    "load_thresholds",
    "resolve_thresholds",
    "thresholds_from_flags",
]

BUILT_IN = "built-in defaults"
"""The source of thresholds that no flags file configured."""


class ThresholdsError(ValueError):
    """Thresholds that cannot be used; the message names the file, the key and the problem."""


Kind = Literal["count", "rate", "ratio"]


@dataclass(frozen=True, slots=True)
class Threshold:
    """One configurable limit: its default, the kind of number, and what it means."""

    default: float
    kind: Kind
    meaning: str


THRESHOLDS: Mapping[str, Threshold] = MappingProxyType(
    {
        "min_comparisons": Threshold(
            100, "count", "comparisons needed before the other checks are trusted"
        ),
        "max_mismatch_rate": Threshold(
            0.001, "rate", "share of comparisons that drifted (drift and exception mismatches)"
        ),
        "max_error_rate": Threshold(0.001, "rate", "share of calls to the new side that failed"),
        "max_p95_latency_ratio": Threshold(
            2.0, "ratio", "p95 latency of the new side divided by the old side's"
        ),
        "max_p99_latency_ratio": Threshold(
            3.0, "ratio", "p99 latency of the new side divided by the old side's"
        ),
    }
)
"""Every threshold the gate knows, by name."""


@dataclass(frozen=True)
class EntityThresholds:
    """The limits that apply to one entity (every name of :data:`THRESHOLDS` resolved)."""

    entity: str
    values: Mapping[str, float]

    def __getitem__(self, name: str) -> float:
        return self.values[name]


def _empty() -> Mapping[str, float]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Thresholds:
    """Configured thresholds: ``overall`` by name, ``per_entity`` by entity then name."""

    overall: Mapping[str, float] = field(default_factory=_empty)
    per_entity: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    source: str = BUILT_IN
    """Where the values came from: ``flags file PATH``, ``... (DAL_FLAGS)`` or the defaults."""

    def for_entity(self, entity: str) -> EntityThresholds:
        """The entity's limits: its own value, else the overall one, else the default."""
        own = self.per_entity.get(entity, {})
        values = {
            name: own.get(name, self.overall.get(name, threshold.default))
            for name, threshold in THRESHOLDS.items()
        }
        return EntityThresholds(entity, MappingProxyType(values))


def _checked(name: str, value: float, where: str) -> float:
    threshold = THRESHOLDS.get(name)
    if threshold is None:
        known = ", ".join(THRESHOLDS)
        raise ThresholdsError(f"{where}: unknown threshold {name!r}; known: {known}")
    if math.isnan(value):
        raise ThresholdsError(f"{where}: {name} must be a number, got nan")
    if threshold.kind == "count" and not (
        math.isfinite(value) and value >= 0 and value == int(value)
    ):
        raise ThresholdsError(f"{where}: {name} must be a whole number >= 0, got {value:g}")
    if threshold.kind == "rate" and not 0.0 <= value <= 1.0:
        raise ThresholdsError(f"{where}: {name} is a share and must be within 0..1, got {value:g}")
    if threshold.kind == "ratio" and not value > 0:
        raise ThresholdsError(f"{where}: {name} must be a ratio above 0, got {value:g}")
    return value


def thresholds_from_flags(snapshot: FlagSnapshot, source: str = "flags") -> Thresholds:
    """The ``[thresholds]`` of a flags snapshot, checked; ThresholdsError names a bad key."""
    overall: dict[str, float] = {}
    per_entity: dict[str, dict[str, float]] = {}
    for key, value in snapshot.thresholds.items():
        where = f"{source}: thresholds.{key}"
        entity, _, name = key.rpartition(".")
        checked = _checked(name, value, where)
        if entity:
            per_entity.setdefault(entity, {})[name] = checked
        else:
            overall[name] = checked
    return Thresholds(
        MappingProxyType(overall),
        MappingProxyType({entity: MappingProxyType(v) for entity, v in per_entity.items()}),
        source,
    )


def load_thresholds(path: Path | None) -> Thresholds:
    """Thresholds from a flags TOML file (its ``[thresholds]`` table); defaults when None.

    The source is ``flags file PATH``. Commands should call :func:`resolve_thresholds`,
    which also falls back to ``DAL_FLAGS``.

    Raises :class:`ThresholdsError` for a file that cannot be read, is not valid
    TOML or flags, or holds an unknown threshold or a value out of range.
    """
    if path is None:
        return Thresholds()
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except OSError as error:
        raise ThresholdsError(f"{path}: cannot read the thresholds: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ThresholdsError(f"{path}: not valid TOML: {error}") from error
    try:
        snapshot = parse_flags(data, str(path))
    except FlagsError as error:
        raise ThresholdsError(str(error)) from error
    return replace(thresholds_from_flags(snapshot, str(path)), source=f"flags file {path}")


def resolve_thresholds(flags: Path | None = None) -> Thresholds:
    """The thresholds that apply, and where they came from (their ``source``).

    In order: the flags file ``flags`` when given (``--flags FILE``; source
    ``flags file PATH``); else the flags file the settings name (``DAL_FLAGS``,
    from the environment or the settings file; source ``flags file PATH
    (DAL_FLAGS)``); else the built-in defaults (source ``built-in defaults``).
    The settings are read only when no file is given.

    Raises :class:`ThresholdsError` for a file that cannot be used and
    :class:`~dal.settings.SettingsError` for settings that cannot be read.
    """
    if flags is not None:
        return load_thresholds(flags)
    configured = load_settings().flags
    if configured is None:
        return Thresholds()
    return replace(load_thresholds(configured), source=f"flags file {configured} (DAL_FLAGS)")
