"""Joined and calculated attribute values, computed from MySQL as the contract describes them.

:func:`compile_entity` reads an entity's attributes once into :class:`Rule`
objects: joins (foreign-key, self, conditional, lookup-table, multi-column,
chain), embedded children (a ``json-construction`` array), aggregates, cases and
concatenations. :class:`Evaluator` applies them to a page of rows: it fetches
every relation the rules use for the whole page first (one query each), then
evaluates each rule per row. Expressions may refer to the row
(``categories.name``), to a joined row by alias (``parent.name``) and, through a
self-join, to the *derived* attributes of the joined row (``parent.level + 1``,
``CONCAT_WS('/', parent.category_path, categories.name)``), which are evaluated
recursively up the chain; a cycle in the data is reported, not followed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dal.contract import (
    AggregateCalculation,
    Attribute,
    CaseCalculation,
    ChainJoin,
    ConcatCalculation,
    ConditionalJoin,
    ConstructionType,
    Entity,
    ForeignKeyJoin,
    JsonConstructionJoin,
    LookupTableJoin,
    MultiColumnJoin,
    SelfJoin,
)
from dal.contract.derivations import AggregateOperation
from dal.migrate.lookups import Lookups, Relation, Row
from dal.migrate.sql import (
    ColumnRef,
    Condition,
    ConditionError,
    Value,
    join_pairs,
    parse_condition,
    parse_value,
)

__all__ = ["CompiledEntity", "DerivationError", "Evaluator", "compile_entity"]


class DerivationError(ValueError):
    """A derived value cannot be computed (unsupported derivation, cycle in the data...)."""


# --- rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinRule:
    """The value of ``select`` over the row reached through ``relation``.

    ``when`` (a conditional join) must hold, else the value is ``otherwise``;
    ``missing`` is the value when no row is reached (a self-join's ``null_value``).
    """

    relation: Relation
    select: Value
    when: Condition | None = None
    otherwise: object = None
    missing: object = None


@dataclass(frozen=True)
class ChainRule:
    """Hop after hop through ``steps``; the last value, or all joined by ``separator``."""

    steps: tuple[tuple[Relation, Value], ...]
    separator: str | None


@dataclass(frozen=True)
class AggregateRule:
    """``operation(column)`` over the rows reached through ``relation``."""

    relation: Relation
    operation: AggregateOperation
    column: str


@dataclass(frozen=True)
class CaseRule:
    """The value of the first branch whose condition holds, else ``otherwise``."""

    branches: tuple[tuple[Condition, Value], ...]
    otherwise: Value | None


@dataclass(frozen=True)
class ConcatRule:
    """Columns joined by ``separator`` (NULLs left out)."""

    columns: tuple[str, ...]
    separator: str


Rule = JoinRule | ChainRule | AggregateRule | CaseRule | ConcatRule


@dataclass(frozen=True)
class ChildRule:
    """Embedded children: ``relation``'s rows, in ``order_by`` order, at most ``limit``."""

    relation: Relation
    order_by: tuple[str, ...]
    limit: int | None


@dataclass(frozen=True)
class CompiledEntity:
    """What the evaluator needs to know about one entity of the contract."""

    source: str
    rules: Mapping[str, Rule]
    children: tuple[ChildRule, ...]
    aliases: Mapping[str, Relation]


# --- compiling ----------------------------------------------------------------------------


def _column(text: str) -> str:
    return text.split(".")[-1].strip("`")


def _relation(
    source: str, target: str, alias: str | None, condition: str | Sequence[str]
) -> Relation:
    name = alias or target
    pairs = join_pairs(condition, [source], [name])
    return Relation(target, name, tuple(p[0] for p in pairs), tuple(p[1] for p in pairs))


def _compile_join(source: str, attribute: Attribute) -> Rule | ChildRule | None:
    join = attribute.join
    if isinstance(join, SelfJoin):
        relation = _relation(source, source, join.join_alias, join.join_condition)
        return JoinRule(relation, parse_value(join.select_column), missing=join.null_value)
    if isinstance(join, ConditionalJoin):
        relation = _relation(source, join.target_table, join.join_alias, join.join_condition)
        return JoinRule(
            relation,
            parse_value(join.select_column),
            when=parse_condition(join.condition),
            otherwise=join.else_value,
        )
    if isinstance(join, ForeignKeyJoin | LookupTableJoin):
        relation = _relation(source, join.target_table, join.join_alias, join.join_condition)
        return JoinRule(relation, parse_value(join.select_column))
    if isinstance(join, MultiColumnJoin):
        relation = _relation(source, join.target_table, join.join_alias, join.join_conditions)
        return JoinRule(relation, parse_value(join.select_column))
    if isinstance(join, ChainJoin):
        steps, previous = [], source
        for step in join.joins:
            relation = _relation(previous, step.target_table, None, step.join_condition)
            steps.append((relation, parse_value(step.select_column)))
            previous = step.target_table
        return ChainRule(tuple(steps), join.chain_separator)
    if isinstance(join, JsonConstructionJoin):
        if join.construction.type is ConstructionType.OBJECT:
            return None  # built from the row itself by the item layout
        relation = _relation(source, join.target_table, join.join_alias, join.join_condition)
        order = join.construction.order_by
        order_by = tuple(_column(part.split()[0]) for part in order.split(",")) if order else ()
        return ChildRule(relation, order_by, join.construction.limit)
    return None


def _compile_calculation(source: str, attribute: Attribute) -> Rule | None:
    calculation = attribute.calculation
    if isinstance(calculation, AggregateCalculation):
        relation = _relation(
            source, calculation.target_table, calculation.join_alias, calculation.join_condition
        )
        return AggregateRule(relation, calculation.operation, _column(calculation.select_column))
    if isinstance(calculation, CaseCalculation):
        branches = tuple(
            (parse_condition(case.when), parse_value(case.then)) for case in calculation.cases
        )
        otherwise = None if calculation.else_value is None else parse_value(calculation.else_value)
        return CaseRule(branches, otherwise)
    if isinstance(calculation, ConcatCalculation):
        columns = calculation.columns or attribute.source_columns
        return ConcatRule(tuple(_column(c) for c in columns), calculation.separator)
    if calculation is not None:
        raise DerivationError(f"{calculation.kind} calculations cannot be computed by backfill")
    return None


def compile_entity(entity: Entity) -> CompiledEntity:
    """The rules of ``entity``'s derived attributes; DerivationError naming what is unsupported."""
    source = entity.source_table
    rules: dict[str, Rule] = {}
    children: list[ChildRule] = []
    aliases: dict[str, Relation] = {}
    for attribute in entity.attributes:
        try:
            compiled = _compile_join(source, attribute) or _compile_calculation(source, attribute)
        except (ConditionError, DerivationError) as error:
            raise DerivationError(
                f"{entity.entity_type} / attribute {attribute.name}: {error}"
            ) from error
        if isinstance(compiled, ChildRule):
            children.append(compiled)
        elif compiled is not None:
            rules[attribute.name] = compiled
        relation = getattr(compiled, "relation", None)
        if isinstance(relation, Relation):
            aliases.setdefault(relation.alias, relation)
    return CompiledEntity(source, rules, tuple(children), aliases)


# --- evaluating ---------------------------------------------------------------------------


class Evaluator:
    """Computes the derived attributes of rows of one entity, with a page's lookups."""

    def __init__(self, entity: CompiledEntity, lookups: Lookups, key: Sequence[str]) -> None:
        self._entity = entity
        self._lookups = lookups
        self._key = tuple(key)
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._busy: set[tuple[Any, ...]] = set()

    def prefetch(self, rows: Sequence[Row]) -> None:
        """Fetch, for the whole page, the related rows and aggregates the rules use."""
        for rule in self._entity.rules.values():
            if isinstance(rule, JoinRule):
                self._prefetch_join(rule.relation, rows)
            elif isinstance(rule, AggregateRule):
                self._lookups.aggregate(rule.relation, rule.operation, rule.column, rows)
            elif isinstance(rule, ChainRule):
                self._prefetch_chain(rule, rows)

    def _prefetch_chain(self, rule: ChainRule, rows: Sequence[Row]) -> None:
        """Fetch each hop of a chain for the whole page (one query per hop)."""
        level = list(rows)
        for relation, _ in rule.steps:
            self._lookups.prefetch(relation, level)
            level = [found for row in level for found in self._lookups.rows(relation, row)]

    def _prefetch_join(self, relation: Relation, rows: Sequence[Row]) -> None:
        """Fetch the joined rows; for a self-join, their ancestors too (one query per level)."""
        level: Sequence[Row] = rows
        while level:
            level = self._lookups.prefetch(relation, level)
            if relation.target != self._entity.source:
                return

    def attach_children(self, rows: Sequence[Row]) -> None:
        """Put each row's embedded children under the child table's name."""
        for child in self._entity.children:
            self._lookups.prefetch(child.relation, rows, child.order_by)
            for row in rows:
                found = self._lookups.rows(child.relation, row)
                row[child.relation.target] = found[: child.limit] if child.limit else list(found)

    def derived(self, row: Row) -> dict[str, Any]:
        """Every derived attribute of ``row``, by attribute name."""
        return {name: self.value(row, name) for name in self._entity.rules}

    def value(self, row: Row, name: str) -> Any:
        """The derived attribute ``name`` of ``row`` (memoized; cycles raise DerivationError)."""
        identity = (name, *[row.get(column) for column in self._key])
        if identity in self._memo:
            return self._memo[identity]
        if identity in self._busy:
            raise DerivationError(
                f"{name} of {self._entity.source} {identity[1:]} loops back to itself"
            )
        self._busy.add(identity)
        try:
            result = self._evaluate(self._entity.rules[name], row)
        finally:
            self._busy.discard(identity)
        self._memo[identity] = result
        return result

    def _evaluate(self, rule: Rule, row: Row) -> Any:
        if isinstance(rule, JoinRule):
            if rule.when is not None and not rule.when.evaluate(self._resolver(row)):
                return rule.otherwise
            joined = self._lookups.first(rule.relation, row)
            if joined is None and rule.missing is not None:
                return rule.missing
            # no row reached: the alias reads as NULLs, as in a LEFT JOIN
            return rule.select.evaluate(self._resolver(row, {rule.relation.alias: joined}))
        if isinstance(rule, AggregateRule):
            found = self._lookups.aggregate(rule.relation, rule.operation, rule.column, [row])
            key = rule.relation.key(row)
            return None if key is None else found.get(key)
        if isinstance(rule, CaseRule):
            resolve = self._resolver(row)
            for condition, then in rule.branches:
                if condition.evaluate(resolve):
                    return then.evaluate(resolve)
            return None if rule.otherwise is None else rule.otherwise.evaluate(resolve)
        if isinstance(rule, ConcatRule):
            parts = [row.get(column) for column in rule.columns]
            return rule.separator.join(str(p) for p in parts if p is not None)
        return self._chain(rule, row)

    def _chain(self, rule: ChainRule, row: Row) -> Any:
        values: list[Any] = []
        current: Row | None = row
        for relation, select in rule.steps:
            current = None if current is None else self._lookups.first(relation, current)
            if current is None:
                break
            values.append(select.evaluate(self._resolver(row, {relation.alias: current})))
        if rule.separator is None:
            return values[-1] if values and len(values) == len(rule.steps) else None
        return rule.separator.join(str(v) for v in values if v is not None)

    def _resolver(
        self, row: Row, joined: Mapping[str, Row | None] | None = None
    ) -> Callable[[ColumnRef], Any]:
        given = dict(joined or {})

        def resolve(ref: ColumnRef) -> Any:
            qualifier = ref.qualifier
            if qualifier is None or (qualifier == self._entity.source and qualifier not in given):
                return self._field(row, ref.column)
            if qualifier in given:
                target = given[qualifier]
            elif qualifier in self._entity.aliases:
                target = self._lookups.first(self._entity.aliases[qualifier], row)
            else:
                raise DerivationError(f"{ref} names neither {self._entity.source} nor an alias")
            if target is None:
                return None
            relation = self._entity.aliases.get(qualifier)
            if ref.column not in target and relation and relation.target == self._entity.source:
                return self._field(target, ref.column)
            return target.get(ref.column)

        return resolve

    def _field(self, row: Row, name: str) -> Any:
        """A column of ``row``, or one of its derived attributes when no column has the name."""
        if name in row:
            return row[name]
        if name in self._entity.rules:
            return self.value(row, name)
        return None
