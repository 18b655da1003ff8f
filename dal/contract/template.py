"""Key templates such as ``{email}``, ``CART#{product_id}``, ``#META``, ``ORDER#{created_at}#{id}``.

A template is literal text with ``{field}`` placeholders (identifiers). It renders
values into a key and, where the split is unambiguous, parses a key back into
its values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from dal.contract.errors import TemplateError

__all__ = ["Template"]

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Template:
    """A key template: literal text and ``{field}`` placeholders.

    >>> Template("ORDER#{created_at}#{order_id}").fields
    ('created_at', 'order_id')
    """

    text: str
    _pieces: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _fields: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _lazy: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _greedy: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pieces, fields = _split(self.text)
        object.__setattr__(self, "_pieces", pieces)
        object.__setattr__(self, "_fields", fields)
        # compiled once here: parse runs on every item read
        object.__setattr__(self, "_lazy", _regex(pieces, ".+?"))
        object.__setattr__(self, "_greedy", _regex(pieces, ".+"))

    def __str__(self) -> str:
        return self.text

    @property
    def fields(self) -> tuple[str, ...]:
        """The placeholder names, in order of appearance (a repeated name appears twice)."""
        return self._fields

    @property
    def is_constant(self) -> bool:
        """Whether the template has no placeholder (``#META``)."""
        return not self._fields

    @property
    def prefix(self) -> str:
        """The literal text before the first placeholder (``CART#`` of ``CART#{product_id}``)."""
        return self._pieces[0]

    def render(self, values: Mapping[str, object]) -> str:
        """The key for ``values``; every field must be given as a non-empty str, int or Decimal.

        Raises :class:`TemplateError` naming the missing, empty or unsupported field.
        """
        out = [self._pieces[0]]
        for name, literal in zip(self._fields, self._pieces[1:], strict=True):
            out.append(_text(self.text, name, values))
            out.append(literal)
        return "".join(out)

    def parse(self, rendered: str) -> dict[str, str]:
        """The field values of a key this template rendered.

        Raises :class:`TemplateError` when ``rendered`` does not match, or when it
        could be split into fields in more than one way (a value contains the
        separator, or two placeholders touch).
        """
        lazy = self._lazy.fullmatch(rendered)
        if lazy is None:
            raise TemplateError(f"{rendered!r} does not match template {self.text!r}")
        greedy = self._greedy.fullmatch(rendered)
        if greedy is None or greedy.groups() != lazy.groups():
            raise TemplateError(
                f"{rendered!r} splits into the fields of template {self.text!r} in more than "
                "one way"
            )
        values: dict[str, str] = {}
        for name, value in zip(self._fields, lazy.groups(), strict=True):
            if values.setdefault(name, value) != value:
                raise TemplateError(
                    f"{rendered!r}: field {name!r} has two different values in {self.text!r}"
                )
        return values


def _regex(pieces: tuple[str, ...], group: str) -> re.Pattern[str]:
    """The literal pieces with ``group`` capturing each field between them."""
    body = re.escape(pieces[0])
    for literal in pieces[1:]:
        body += f"({group}){re.escape(literal)}"
    return re.compile(body, re.DOTALL)


def _split(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Literal pieces (one more than the fields) and field names of ``text``."""
    pieces: list[str] = []
    fields: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(text):
        pieces.append(_literal(text, text[position : match.start()]))
        name = match.group(1)
        if not _FIELD_NAME.fullmatch(name):
            raise TemplateError(f"template {text!r}: {{{name}}} is not a field name")
        fields.append(name)
        position = match.end()
    pieces.append(_literal(text, text[position:]))
    return tuple(pieces), tuple(fields)


def _literal(template: str, piece: str) -> str:
    if "{" in piece or "}" in piece:
        raise TemplateError(f"template {template!r}: unbalanced '{{' or '}}'")
    return piece


def _text(template: str, name: str, values: Mapping[str, object]) -> str:
    if name not in values or values[name] is None:
        raise TemplateError(f"template {template!r}: no value for field {name!r}")
    value = values[name]
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise TemplateError(
            f"template {template!r}: field {name!r} must be a str, int or Decimal, "
            f"not {type(value).__name__}"
        )
    text = str(value)
    if not text:
        raise TemplateError(f"template {template!r}: field {name!r} is empty")
    return text
