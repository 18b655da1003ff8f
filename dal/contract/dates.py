"""Date patterns of ``date-format`` transformations (``YYYY-MM-DD[T]HH:mm:ss[Z]``).

Tokens follow the moment.js convention the workshop's examples use: ``YYYY``
year, ``MM`` month, ``DD`` day, ``HH`` hour (24h), ``mm`` minute, ``ss`` second,
``SSS`` millisecond. Text in ``[brackets]`` is literal, as is any character that
is not a letter. Values are written in UTC, so equal-width patterns sort in time
order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["DatePattern"]

_TOKENS: dict[str, tuple[str, str]] = {
    # token: (strftime directive, regex of the value)
    "YYYY": ("%Y", r"\d{4}"),
    "MM": ("%m", r"\d{2}"),
    "DD": ("%d", r"\d{2}"),
    "HH": ("%H", r"\d{2}"),
    "mm": ("%M", r"\d{2}"),
    "ss": ("%S", r"\d{2}"),
    "SSS": ("", r"\d{3}"),  # milliseconds: written by hand, strftime has no directive
}
_LEXER = re.compile(r"\[([^\]]*)\]|(YYYY|SSS|MM|DD|HH|mm|ss)|([A-Za-z]+)|(.)", re.DOTALL)


@dataclass(frozen=True)
class DatePattern:
    """A parsed ``date-format`` pattern that renders and parses UTC timestamps.

    Raises :class:`ValueError` naming the token it does not know.
    """

    text: str
    _parts: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_parts", _lex(self.text))

    def __str__(self) -> str:
        return self.text

    def render(self, value: datetime) -> str:
        """``value`` (timezone-aware) in UTC, in this pattern."""
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a timestamp to format must be timezone-aware")
        moment = value.astimezone(UTC)
        out = []
        for kind, text in self._parts:
            if kind == "literal":
                out.append(text)
            elif text == "SSS":
                out.append(f"{moment.microsecond // 1000:03d}")
            else:
                out.append(moment.strftime(_TOKENS[text][0]))
        return "".join(out)

    def parse(self, text: str) -> datetime:
        """The UTC timestamp that ``text`` (written in this pattern) denotes."""
        regex = "".join(
            re.escape(value) if kind == "literal" else f"(?P<{value}>{_TOKENS[value][1]})"
            for kind, value in self._parts
        )
        match = re.fullmatch(regex, text)
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
