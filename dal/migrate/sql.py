"""The SQL fragments of the contract: join conditions, boolean conditions, value expressions.

The contract writes how rows relate as SQL text (``tickets.project_id =
projects.id``, ``categories.parent_id IS NULL``, ``status = 'open'``). This
module reads the small subset the contract uses and nothing more:

* comparisons ``=``, ``!=``, ``<>``, ``<``, ``<=``, ``>``, ``>=`` between column
  references (``table.column`` or ``column``) and literals (quoted strings,
  numbers, ``TRUE``, ``FALSE``, ``NULL``);
* ``IS NULL`` and ``IS NOT NULL``; ``AND``, ``OR``, ``NOT`` and parentheses;
* value expressions: ``parent.level + 1``, ``CONCAT_WS('/', parent.path, name)``,
  ``CONCAT(...)``, ``COALESCE(...)``.

:func:`parse_condition` gives an expression tree that evaluates against a row,
:func:`parse_value` the same for a value expression;
:func:`join_pairs` reads an equi-join condition as pairs of (local column,
remote column). Anything else raises :class:`ConditionError` naming the text.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

__all__ = [
    "ColumnRef",
    "Comparison",
    "Condition",
    "ConditionError",
    "IsNull",
    "Literal",
    "Logical",
    "Not",
    "Resolver",
    "Value",
    "join_pairs",
    "parse_condition",
    "parse_value",
    "resolver",
]


class ConditionError(ValueError):
    """A SQL fragment of the contract that this reader does not understand."""


@dataclass(frozen=True)
class ColumnRef:
    """``qualifier.column`` or a bare ``column``."""

    qualifier: str | None
    column: str

    def __str__(self) -> str:
        return self.column if self.qualifier is None else f"{self.qualifier}.{self.column}"

    def evaluate(self, resolve: Resolver) -> object:
        """The column's value in the row ``resolve`` reads from."""
        return resolve(self)


@dataclass(frozen=True)
class Literal:
    """A constant: a string, a number, a boolean or NULL (``None``)."""

    value: object

    def evaluate(self, resolve: Resolver) -> object:
        """The constant itself."""
        return self.value


Resolver = Callable[[ColumnRef], object]
"""Gives the value of a column reference for the row being evaluated."""


def _concat_ws(separator: object, *values: object) -> object:
    if separator is None:
        return None
    return str(separator).join(_text(v) for v in values if v is not None)


def _concat(*values: object) -> object:
    return None if any(v is None for v in values) else "".join(_text(v) for v in values)


def _coalesce(*values: object) -> object:
    return next((v for v in values if v is not None), None)


def _text(value: object) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


_FUNCTIONS: dict[str, Callable[..., object]] = {
    "CONCAT_WS": _concat_ws,
    "CONCAT": _concat,
    "COALESCE": _coalesce,
}


@dataclass(frozen=True)
class Call:
    """A SQL function call (``CONCAT_WS``, ``CONCAT``, ``COALESCE``)."""

    function: str
    arguments: tuple[Value, ...]

    def evaluate(self, resolve: Resolver) -> object:
        """The function's result for the row ``resolve`` reads from."""
        return _FUNCTIONS[self.function](*(_value(a, resolve) for a in self.arguments))


@dataclass(frozen=True)
class Arithmetic:
    """``left + right`` or ``left - right``; NULL if either side is NULL."""

    left: Value
    op: str
    right: Value

    def evaluate(self, resolve: Resolver) -> object:
        """The sum or difference for the row ``resolve`` reads from."""
        left, right = _value(self.left, resolve), _value(self.right, resolve)
        if left is None or right is None:
            return None
        left, right = _number(left), _number(right)
        return left + right if self.op == "+" else left - right


def _number(value: object) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | Decimal):
        return value
    return Decimal(str(value))


Value = ColumnRef | Literal | Call | Arithmetic
"""A value expression."""
Operand = Value

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class Comparison:
    """``left op right``; a comparison with NULL is false, as in SQL."""

    left: Operand
    op: str
    right: Operand

    def evaluate(self, resolve: Resolver) -> bool:
        """Whether the comparison holds for the row ``resolve`` reads from."""
        left, right = _value(self.left, resolve), _value(self.right, resolve)
        if left is None or right is None:
            return False
        left, right = _comparable(left, right)
        return _COMPARE[self.op](left, right)


@dataclass(frozen=True)
class IsNull:
    """``operand IS NULL`` (``negated``: ``IS NOT NULL``)."""

    operand: Operand
    negated: bool = False

    def evaluate(self, resolve: Resolver) -> bool:
        """Whether the operand is (not) NULL."""
        return (_value(self.operand, resolve) is None) != self.negated


@dataclass(frozen=True)
class Logical:
    """``AND`` or ``OR`` of two or more conditions."""

    op: str
    parts: tuple[Condition, ...]

    def evaluate(self, resolve: Resolver) -> bool:
        """Whether all (AND) or any (OR) of the parts hold."""
        results = (part.evaluate(resolve) for part in self.parts)
        return all(results) if self.op == "AND" else any(results)


@dataclass(frozen=True)
class Not:
    """``NOT condition``."""

    part: Condition

    def evaluate(self, resolve: Resolver) -> bool:
        """Whether the inner condition does not hold."""
        return not self.part.evaluate(resolve)


Condition = Comparison | IsNull | Logical | Not


def _value(operand: Value, resolve: Resolver) -> object:
    return operand.evaluate(resolve)


def _comparable(left: Any, right: Any) -> tuple[Any, Any]:
    """Numbers against numeric text and booleans against 0/1, as MySQL compares them."""
    if isinstance(left, bool) or isinstance(right, bool):
        return _as_number(left), _as_number(right)
    if isinstance(left, int | Decimal) and isinstance(right, str):
        return left, Decimal(right)
    if isinstance(right, int | Decimal) and isinstance(left, str):
        return Decimal(left), right
    return left, right


def _as_number(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


# --- tokens and parsing ----------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>\d+(?:\.\d+)?)"
    r"|(?P<op><>|!=|<=|>=|=|<|>)|(?P<paren>[()])|(?P<comma>,)|(?P<sign>[+-])"
    r"|(?P<name>`?[A-Za-z_][A-Za-z0-9_]*`?(?:\.`?[A-Za-z_][A-Za-z0-9_]*`?)?))"
)
_KEYWORDS = {"AND", "OR", "NOT", "IS", "NULL", "TRUE", "FALSE"}


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None or match.end() == position:
            raise ConditionError(f"cannot read {text!r} at {stripped[position:]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "name" and value.upper() in _KEYWORDS:
            kind, value = "keyword", value.upper()
        tokens.append((kind, value))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ConditionError(f"{self.text!r} ends too early")
        self.position += 1
        return token

    def accept(self, kind: str, value: str | None = None) -> bool:
        token = self.peek()
        if token is not None and token[0] == kind and (value is None or token[1] == value):
            self.position += 1
            return True
        return False

    def condition(self) -> Condition:
        return self._logical("OR", self._conjunction)

    def _conjunction(self) -> Condition:
        return self._logical("AND", self._predicate)

    def _logical(self, op: str, part: Callable[[], Condition]) -> Condition:
        parts = [part()]
        while self.accept("keyword", op):
            parts.append(part())
        return parts[0] if len(parts) == 1 else Logical(op, tuple(parts))

    def _predicate(self) -> Condition:
        if self.accept("keyword", "NOT"):
            return Not(self._predicate())
        if self.accept("paren", "("):
            inner = self.condition()
            if not self.accept("paren", ")"):
                raise ConditionError(f"{self.text!r}: missing ')'")
            return inner
        left = self._operand()
        if self.accept("keyword", "IS"):
            negated = self.accept("keyword", "NOT")
            if not self.accept("keyword", "NULL"):
                raise ConditionError(f"{self.text!r}: IS must be followed by [NOT] NULL")
            return IsNull(left, negated)
        kind, op = self.take()
        if kind != "op":
            raise ConditionError(f"{self.text!r}: expected a comparison after {left}, got {op!r}")
        return Comparison(left, op, self._operand())

    def _operand(self) -> Value:
        value = self._term()
        while (token := self.peek()) is not None and token[0] == "sign":
            self.position += 1
            value = Arithmetic(value, token[1], self._term())
        return value

    def _term(self) -> Value:
        kind, value = self.take()
        if kind == "name" and self.accept("paren", "("):
            return self._call(value.replace("`", "").upper())
        if kind == "string":
            return Literal(value[1:-1].replace("''", "'"))
        if kind == "number":
            return Literal(Decimal(value) if "." in value else int(value))
        if kind == "keyword" and value in {"NULL", "TRUE", "FALSE"}:
            return Literal({"NULL": None, "TRUE": True, "FALSE": False}[value])
        if kind == "name":
            parts = value.replace("`", "").split(".")
            return ColumnRef(None, parts[0]) if len(parts) == 1 else ColumnRef(parts[0], parts[1])
        raise ConditionError(f"{self.text!r}: unexpected {value!r}")

    def _call(self, function: str) -> Value:
        if function not in _FUNCTIONS:
            known = ", ".join(sorted(_FUNCTIONS))
            raise ConditionError(f"{self.text!r}: unknown function {function} (known: {known})")
        arguments = [self._operand()]
        while self.accept("comma"):
            arguments.append(self._operand())
        if not self.accept("paren", ")"):
            raise ConditionError(f"{self.text!r}: missing ')' after the arguments of {function}")
        return Call(function, tuple(arguments))


def parse_value(text: str) -> Value:
    """The tree of a SQL value expression; ConditionError if it cannot be read."""
    parser = _Parser(text)
    value = parser._operand()
    if parser.peek() is not None:
        raise ConditionError(f"{text!r}: unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return value


def parse_condition(text: str) -> Condition:
    """The expression tree of a SQL boolean condition; ConditionError if it cannot be read."""
    parser = _Parser(text)
    condition = parser.condition()
    if parser.peek() is not None:
        raise ConditionError(f"{text!r}: unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return condition


def join_pairs(
    text: str | Sequence[str], local: Sequence[str], remote: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """The (local column, remote column) pairs of an equi-join condition.

    ``local`` and ``remote`` list the names (table names and aliases) that
    qualify each side; when both sides share a name (a self-join written with
    the table name on one side and an alias on the other), the alias decides.
    A bare column belongs to the local side. Several conditions (a list, or
    ``AND``) give several pairs.
    """
    texts = [text] if isinstance(text, str) else list(text)
    pairs: list[tuple[str, str]] = []
    for one in texts:
        for comparison in _equalities(one):
            pairs.append(_orient(one, comparison, local, remote))
    if not pairs:
        raise ConditionError(f"{texts!r} has no equality between columns")
    return tuple(pairs)


def _equalities(text: str) -> list[Comparison]:
    condition = parse_condition(text)
    parts = condition.parts if isinstance(condition, Logical) else (condition,)
    if isinstance(condition, Logical) and condition.op != "AND":
        raise ConditionError(f"{text!r}: a join condition may only combine equalities with AND")
    found = []
    for part in parts:
        if not (
            isinstance(part, Comparison)
            and part.op == "="
            and isinstance(part.left, ColumnRef)
            and isinstance(part.right, ColumnRef)
        ):
            raise ConditionError(f"{text!r}: a join condition must compare two columns with '='")
        found.append(part)
    return found


def _orient(
    text: str, comparison: Comparison, local: Sequence[str], remote: Sequence[str]
) -> tuple[str, str]:
    left, right = comparison.left, comparison.right
    if not isinstance(left, ColumnRef) or not isinstance(right, ColumnRef):
        raise ConditionError(f"{text!r}: a join condition must compare two columns")
    left_side, right_side = _side(left, local, remote), _side(right, local, remote)
    if left_side == "local" and right_side == "remote":
        return left.column, right.column
    if left_side == "remote" and right_side == "local":
        return right.column, left.column
    if left_side == right_side == "both":  # same table both sides and no alias: parent link
        return left.column, right.column
    if "both" in (left_side, right_side):
        other = right_side if left_side == "both" else left_side
        first_local = (other == "remote") == (left_side == "both")
        return (left.column, right.column) if first_local else (right.column, left.column)
    raise ConditionError(
        f"{text!r}: cannot tell which side of {comparison.left} = {comparison.right} belongs to "
        f"{'/'.join(local)} and which to {'/'.join(remote)}"
    )


def _side(ref: ColumnRef, local: Sequence[str], remote: Sequence[str]) -> str:
    if ref.qualifier is None:
        return "local"
    in_local, in_remote = ref.qualifier in local, ref.qualifier in remote
    if in_local and in_remote:
        return "both"
    if in_local:
        return "local"
    if in_remote:
        return "remote"
    return "unknown"


def resolver(row: Mapping[str, object]) -> Resolver:
    """A resolver reading bare column names from ``row`` (the qualifier is ignored)."""
    return lambda ref: row.get(ref.column)
