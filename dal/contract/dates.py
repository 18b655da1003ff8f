"""Date patterns of ``date-format`` transformations (``YYYY-MM-DD[T]HH:mm:ss[Z]``).

Tokens follow the moment.js convention the workshop's examples use: ``YYYY``
year, ``MM`` month, ``DD`` day, ``HH`` hour (24h), ``mm`` minute, ``ss`` second,
``SSS`` millisecond. Text in ``[brackets]`` is literal, as is any character that
is not a letter. Values are written in UTC, so equal-width patterns sort in time
order.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["DatePattern"]

_TOKENS: dict[str, tuple[str, str, str]] = {
    # token: (datetime attribute, printf conversion, regex of the value)
    "YYYY": ("year", "%04d", r"\d{4}"),
    "MM": ("month", "%02d", r"\d{2}"),
    "DD": ("day", "%02d", r"\d{2}"),
    "HH": ("hour", "%02d", r"\d{2}"),
    "mm": ("minute", "%02d", r"\d{2}"),
    "ss": ("second", "%02d", r"\d{2}"),
    "SSS": ("microsecond", "%03d", r"\d{3}"),  # milliseconds: microseconds // 1000
}
_LEXER = re.compile(r"\[([^\]]*)\]|(YYYY|SSS|MM|DD|HH|mm|ss)|([A-Za-z]+)|(.)", re.DOTALL)


@dataclass(frozen=True)
class DatePattern:
    """A parsed ``date-format`` pattern that renders and parses UTC timestamps.

    The pattern is compiled once into a printf format (rendering is one ``%``
    over the timestamp's fields) and a regular expression (parsing is one match).
    Raises :class:`ValueError` naming the token it does not know.
    """

    text: str
    _parts: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)
    _format: str = field(init=False, repr=False, compare=False)
    _fields: Callable[[datetime], tuple[int, ...]] = field(init=False, repr=False, compare=False)
    _millis: int | None = field(init=False, repr=False, compare=False)
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = _lex(self.text)
        tokens = [text for kind, text in parts if kind == "token"]
        printf = "".join(
            text.replace("%", "%%") if kind == "literal" else _TOKENS[text][1]
            for kind, text in parts
        )
        fields = _getter(tuple(_TOKENS[token][0] for token in tokens))
        object.__setattr__(self, "_parts", parts)
        object.__setattr__(self, "_format", printf)
        object.__setattr__(self, "_fields", fields)
        object.__setattr__(self, "_millis", tokens.index("SSS") if "SSS" in tokens else None)
        object.__setattr__(self, "_regex", _regex(parts))

    def __str__(self) -> str:
        return self.text

    def render(self, value: datetime) -> str:
        """``value`` (timezone-aware) in UTC, in this pattern."""
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a timestamp to format must be timezone-aware")
        fields = self._fields(value.astimezone(UTC))
        if self._millis is not None:
            fields = _in_millis(fields, self._millis)
        return self._format % fields

    def parse(self, text: str) -> datetime:
        """The UTC timestamp that ``text`` (written in this pattern) denotes."""
        match = self._regex.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} is not a timestamp in the pattern {self.text!r}")
        found = match.groupdict()
        return datetime(
            int(found.get("YYYY") or 1970),
            int(found.get("MM") or 1),
            int(found.get("DD") or 1),
            int(found.get("HH") or 0),
            int(found.get("mm") or 0),
            int(found.get("ss") or 0),
            int(found.get("SSS") or 0) * 1000,
            tzinfo=UTC,
        )


def _lex(text: str) -> tuple[tuple[str, str], ...]:
    parts: list[tuple[str, str]] = []
    seen: set[str] = set()
    for match in _LEXER.finditer(text):
        literal, token, unknown, other = match.groups()
        if unknown is not None:
            raise ValueError(
                f"date pattern {text!r}: unknown token {unknown!r} "
                "(tokens: YYYY MM DD HH mm ss SSS; put literal text in [brackets])"
            )
        if token is not None:
            if token in seen:
                raise ValueError(f"date pattern {text!r}: token {token!r} appears twice")
            seen.add(token)
            parts.append(("token", token))
        else:
            parts.append(("literal", literal if literal is not None else other))
    if not seen:
        raise ValueError(f"date pattern {text!r} has no date or time token")
    return tuple(parts)


def _getter(names: tuple[str, ...]) -> Callable[[datetime], tuple[int, ...]]:
    """A function returning the named fields of a timestamp as a tuple (one C call)."""
    get: Callable[[datetime], Any] = operator.attrgetter(*names)
    if len(names) == 1:
        return lambda moment: (get(moment),)
    return get


def _in_millis(fields: tuple[int, ...], position: int) -> tuple[int, ...]:
    """``fields`` with the microseconds at ``position`` turned into milliseconds."""
    return (*fields[:position], fields[position] // 1000, *fields[position + 1 :])


def _regex(parts: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    return re.compile(
        "".join(
            re.escape(value) if kind == "literal" else f"(?P<{value}>{_TOKENS[value][2]})"
            for kind, value in parts
        )
    )
