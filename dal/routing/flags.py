"""Stage flags: which stage each entity (or operation) is in, plus comparison settings.

A flags source answers :meth:`FlagSource.snapshot`, an immutable
:class:`FlagSnapshot`. Keys are ``"entity"`` or ``"entity.operation"``; the more
specific key wins and the default stage is ``off``. Sources:

* :class:`StaticFlags`: a mapping given in code;
* :class:`FileFlags`: a TOML file, re-read when it changes (a bad edit keeps the
  last good flags and reports the error);
* :class:`EnvFlags`: ``DAL_STAGE_<ENTITY>[__<OPERATION>]`` environment variables
  laid over another source.

Every value is validated when the flags are loaded, never at call time. Given a
``check`` (such as :class:`KnownKeys`, which the container builds from the contract
and the repositories), a file or environment source also refuses a key naming an
entity or an operation that does not exist, so a typo never leaves an entity at
``off``.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from dal.routing.paths import parse_pattern
from dal.routing.stages import Stage

__all__ = [
    "EnvFlags",
    "FileFlags",
    "FlagSnapshot",
    "FlagSource",
    "FlagsCheck",
    "FlagsError",
    "KnownKeys",
    "StaticFlags",
    "parse_flags",
]

log = logging.getLogger("dal.routing.flags")

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")
_ALLOWED_STAGES = ", ".join(stage.value for stage in Stage)
_SECTIONS = ("stages", "sampling", "ignore", "unordered", "thresholds")
_EMPTY: Mapping[str, Any] = MappingProxyType({})


class FlagsError(ValueError):
    """Flags that cannot be used; the message names the source, the key and the problem."""


def _empty() -> Mapping[str, Any]:
    return _EMPTY


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class FlagSnapshot:
    """One consistent, validated view of the flags.

    ``overrides`` are stages that win over ``stages`` for the same entity
    (environment variables): an override for ``users`` beats a file entry for
    ``users.get``.
    """

    stages: Mapping[str, Stage] = field(default_factory=_empty)
    sampling: Mapping[str, float] = field(default_factory=_empty)
    ignore: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    unordered: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    thresholds: Mapping[str, float] = field(default_factory=_empty)
    overrides: Mapping[str, Stage] = field(default_factory=_empty)

    def stage(self, entity: str, operation: str) -> Stage:
        """The stage of ``entity.operation``: the most specific key wins, default off."""
        return self.stage_for(f"{entity}.{operation}", entity)

    def stage_for(self, key: str, entity: str) -> Stage:
        """:meth:`stage` with the ``entity.operation`` key already built."""
        overrides = self.overrides
        if overrides:
            found = overrides.get(key) or overrides.get(entity)
            if found is not None:
                return found
        stages = self.stages
        return stages.get(key) or stages.get(entity) or Stage.OFF

    def sampling_ratio(self, entity: str, operation: str) -> float:
        """The share of reads of ``entity.operation`` to compare (default 1.0)."""
        ratio = self.sampling.get(f"{entity}.{operation}")
        if ratio is None:
            ratio = self.sampling.get(entity, 1.0)
        return ratio

    def ignore_rules(self, entity: str, operation: str) -> tuple[str, ...]:
        """Path patterns to ignore for ``entity`` and ``entity.operation``."""
        return _joined(self.ignore, entity, operation)

    def unordered_paths(self, entity: str, operation: str) -> tuple[str, ...]:
        """Path patterns of lists compared without regard to order."""
        return _joined(self.unordered, entity, operation)

    def threshold(self, entity: str, name: str) -> float | None:
        """A gate threshold: ``entity.name`` if set, else ``name``, else None."""
        value = self.thresholds.get(f"{entity}.{name}")
        return self.thresholds.get(name) if value is None else value


def _joined(mapping: Mapping[str, tuple[str, ...]], entity: str, operation: str) -> tuple[str, ...]:
    if not mapping:
        return ()
    return mapping.get(entity, ()) + mapping.get(f"{entity}.{operation}", ())


@runtime_checkable
class FlagSource(Protocol):
    """Anything that answers the current flags."""

    def snapshot(self) -> FlagSnapshot:
        """The current flags (cheap: called on every routed call)."""
        ...


# --- validation --------------------------------------------------------------------------


def _check_key(key: object, where: str) -> str:
    if not isinstance(key, str) or not _KEY.match(key):
        raise FlagsError(f"{where}: key {key!r} must be 'entity' or 'entity.operation'")
    return key


def parse_stage(value: object, where: str) -> Stage:
    """Parse a stage name; the error names ``where`` and the allowed values."""
    text = value.strip().lower() if isinstance(value, str) else ""
    try:
        return Stage(text)
    except ValueError:
        raise FlagsError(f"{where}: unknown stage {value!r}; allowed: {_ALLOWED_STAGES}") from None


def _flatten(table: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Turn ``{"users": {"get": x}}`` (TOML dotted keys) into ``{"users.get": x}``."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, Mapping):
            for inner, leaf in value.items():
                if isinstance(leaf, Mapping):
                    raise FlagsError(f"{where}: {key}.{inner} is nested too deeply")
                flat[f"{key}.{inner}"] = leaf
        else:
            flat[key] = value
    return flat


def _stages(table: Mapping[str, Any], where: str) -> dict[str, Stage]:
    return {
        _check_key(key, where): parse_stage(value, f"{where}.{key}")
        for key, value in _flatten(table, where).items()
    }


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FlagsError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _ratios(table: Mapping[str, Any], where: str) -> dict[str, float]:
    ratios: dict[str, float] = {}
    for key, value in _flatten(table, where).items():
        ratio = _number(value, f"{where}.{_check_key(key, where)}")
        if not 0.0 <= ratio <= 1.0:
            raise FlagsError(f"{where}.{key}: sampling ratio must be within 0..1, got {value!r}")
        ratios[key] = ratio
    return ratios


def _patterns(table: Mapping[str, Any], where: str) -> dict[str, tuple[str, ...]]:
    result: dict[str, tuple[str, ...]] = {}
    for key, value in _flatten(table, where).items():
        place = f"{where}.{_check_key(key, where)}"
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise FlagsError(f"{place}: expected a list of field paths, got {value!r}")
        for text in value:
            try:
                parse_pattern(text if isinstance(text, str) else "")
            except ValueError as exc:
                raise FlagsError(f"{place}: {exc} (got {text!r})") from None
        result[key] = tuple(value)
    return result


def _thresholds(table: Mapping[str, Any], where: str) -> dict[str, float]:
    return {
        _check_key(key, where): _number(value, f"{where}.{key}")
        for key, value in _flatten(table, where).items()
    }


_PARSERS: Mapping[str, Callable[[Mapping[str, Any], str], Mapping[str, Any]]] = {
    "stages": _stages,
    "sampling": _ratios,
    "ignore": _patterns,
    "unordered": _patterns,
    "thresholds": _thresholds,
}


def parse_flags(data: Mapping[str, Any], source: str = "flags") -> FlagSnapshot:
    """Validate a flags document (the TOML layout) into a :class:`FlagSnapshot`.

    ``source`` prefixes every error message (a file name, say).
    """
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise FlagsError(
            f"{source}: unknown section(s) {', '.join(unknown)}; allowed: {', '.join(_SECTIONS)}"
        )
    sections: dict[str, Mapping[str, Any]] = {}
    for name, parse in _PARSERS.items():
        table = data.get(name, {})
        if not isinstance(table, Mapping):
            raise FlagsError(f"{source}: [{name}] must be a table")
        sections[name] = _frozen(parse(table, f"{source}: {name}"))
    return FlagSnapshot(**sections)


# --- known entities and operations -------------------------------------------------------

FlagsCheck = Callable[[FlagSnapshot, str], None]
"""A further check of loaded flags: ``check(snapshot, source)`` raises :class:`FlagsError`."""

_KEYED_SECTIONS = ("stages", "sampling", "ignore", "unordered")
"""Sections keyed by ``entity`` or ``entity.operation`` (threshold keys name limits)."""


class KnownKeys:
    """Refuses flag keys that name no entity, or no operation of the entity's repository.

    ``operations`` maps every entity to the names of its operations. The error
    names the source, the section and key, and the closest valid name.
    """

    def __init__(self, operations: Mapping[str, Iterable[str]]) -> None:
        self.operations: Mapping[str, frozenset[str]] = {
            entity: frozenset(names) for entity, names in operations.items()
        }

    def __call__(self, snapshot: FlagSnapshot, source: str) -> None:
        """Raise :class:`FlagsError` listing every unknown key of ``snapshot``."""
        problems = [
            f"{source}: {section}.{key}: {problem}"
            for section in _KEYED_SECTIONS
            for key in getattr(snapshot, section)
            if (problem := self.problem(key)) is not None
        ]
        problems += [
            f"environment variable DAL_STAGE_{key.upper().replace('.', '__')}: {problem}"
            for key in snapshot.overrides
            if (problem := self.problem(key)) is not None
        ]
        if problems:
            raise FlagsError("; ".join(problems))

    def problem(self, key: str) -> str | None:
        """What is wrong with ``key`` (``entity`` or ``entity.operation``); None if nothing."""
        entity, _, operation = key.partition(".")
        known = self.operations.get(entity)
        if known is None:
            return f"unknown entity {entity!r}{_closest(entity, self.operations)}"
        if operation and operation not in known:
            return f"{entity} has no operation {operation!r}{_closest(operation, known)}"
        return None


def _closest(name: str, known: Iterable[str]) -> str:
    names = sorted(known)
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f"; known: {', '.join(names)}"


# --- sources -----------------------------------------------------------------------------


class StaticFlags:
    """Flags given in code: ``StaticFlags({"users": Stage.SHADOW, "users.get": "live"})``."""

    def __init__(
        self,
        stages: Mapping[str, Stage | str] | None = None,
        *,
        sampling: Mapping[str, float] | None = None,
        ignore: Mapping[str, Iterable[str]] | None = None,
        unordered: Mapping[str, Iterable[str]] | None = None,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        document: dict[str, Mapping[str, Any]] = {
            "stages": {key: getattr(v, "value", v) for key, v in (stages or {}).items()},
            "sampling": dict(sampling or {}),
            "ignore": {key: list(paths) for key, paths in (ignore or {}).items()},
            "unordered": {key: list(paths) for key, paths in (unordered or {}).items()},
            "thresholds": dict(thresholds or {}),
        }
        self._snapshot = parse_flags(document, "static flags")

    def snapshot(self) -> FlagSnapshot:
        """The flags given at construction."""
        return self._snapshot


class FileFlags:
    """Flags read from a TOML file and re-read when it changes.

    The file is checked at most every ``check_interval`` seconds (a ``stat``
    call); a changed file is parsed and validated; when that fails the last good
    flags stay in force, the error is logged, kept in :attr:`last_error` and
    passed to ``on_error``. A bad file at construction raises :class:`FlagsError`.
    ``check`` (say :class:`KnownKeys`) is applied to every version of the file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        check_interval: float = 1.0,
        on_error: Callable[[FlagsError], None] | None = None,
        check: FlagsCheck | None = None,
    ) -> None:
        self.path = Path(path)
        self.last_error: FlagsError | None = None
        self._interval = check_interval
        self._on_error = on_error
        self._check_keys = check
        self._lock = threading.Lock()
        self._signature = self._stat()
        self._snapshot = self._load()
        self._next_check = time.monotonic() + check_interval

    def snapshot(self) -> FlagSnapshot:
        """The current flags, re-reading the file if it changed since the last check."""
        if time.monotonic() >= self._next_check:
            self._check()
        return self._snapshot

    def _check(self) -> None:
        with self._lock:
            now = time.monotonic()
            if now < self._next_check:
                return
            self._next_check = now + self._interval
            signature = self._stat()
            if signature == self._signature:
                return
            self._signature = signature
            try:
                self._snapshot = self._load()
                self.last_error = None
            except FlagsError as exc:
                self._reject(exc)

    def _reject(self, error: FlagsError) -> None:
        self.last_error = error
        log.error("keeping the last good flags: %s", error)
        if self._on_error is not None:
            try:
                self._on_error(error)
            except Exception:
                log.exception("the flags error callback failed")

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def _load(self) -> FlagSnapshot:
        try:
            with self.path.open("rb") as stream:
                data = tomllib.load(stream)
        except OSError as exc:
            raise FlagsError(f"{self.path}: cannot read the flags file: {exc}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise FlagsError(f"{self.path}: not valid TOML: {exc}") from exc
        snapshot = parse_flags(data, str(self.path))
        if self._check_keys is not None:
            self._check_keys(snapshot, str(self.path))
        return snapshot


class EnvFlags:
    """Stage overrides from environment variables laid over another source.

    ``DAL_STAGE_USERS=live`` sets ``users``; ``DAL_STAGE_USERS__GET=shadow`` sets
    ``users.get`` (a double underscore separates the operation). An override
    wins over anything the base source says about the same entity. The
    environment is read once, at construction; ``check`` (say :class:`KnownKeys`)
    is applied to the overrides then.
    """

    def __init__(
        self,
        base: FlagSource | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        prefix: str = "DAL_STAGE_",
        check: FlagsCheck | None = None,
    ) -> None:
        self._base: FlagSource = base if base is not None else StaticFlags()
        self.overrides: Mapping[str, Stage] = _frozen(
            _env_overrides(os.environ if environ is None else environ, prefix)
        )
        if check is not None:
            check(FlagSnapshot(overrides=self.overrides), "environment")
        self._cache: tuple[FlagSnapshot, FlagSnapshot] | None = None

    @property
    def last_error(self) -> FlagsError | None:
        """The base source's last rejected edit, if it reports one."""
        error = getattr(self._base, "last_error", None)
        return error if isinstance(error, FlagsError) else None

    def snapshot(self) -> FlagSnapshot:
        """The base source's flags with the environment's stages laid over them."""
        base = self._base.snapshot()
        cache = self._cache
        if cache is not None and cache[0] is base:
            return cache[1]
        merged = replace(base, overrides=self.overrides) if self.overrides else base
        self._cache = (base, merged)
        return merged


def _env_overrides(environ: Mapping[str, str], prefix: str) -> dict[str, Stage]:
    overrides: dict[str, Stage] = {}
    for name, value in environ.items():
        if not name.startswith(prefix) or len(name) == len(prefix):
            continue
        key = name[len(prefix) :].lower().replace("__", ".")
        _check_key(key, f"environment variable {name}")
        overrides[key] = parse_stage(value, f"environment variable {name}")
    return overrides
