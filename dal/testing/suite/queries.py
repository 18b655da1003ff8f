"""Named queries of every entity: filter, order, paging, neutral tokens, argument checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from dal.testing.harness import Harness, InUnitOfWork
from dal.testing.suite._support import different_value, reference_fields, skip_because
from interfaces.entities import EntitySpec, NamedQuery
from interfaces.errors import InvalidPageToken, ValidationFailed
from interfaces.paging import MAX_PAGE_SIZE, Page, decode_token, encode_token

__all__ = [
    "test_query_filters_and_orders",
    "test_query_page_size_bounds",
    "test_query_page_tokens_are_neutral",
    "test_query_pages_without_duplicates_or_gaps",
    "test_query_parameters_are_checked",
    "test_query_token_of_another_listing_is_refused",
    "test_unknown_access_pattern_is_refused",
]

_IN_SCOPE = 6
_OUT_OF_SCOPE = 2


@dataclass(frozen=True)
class _Seeded:
    """Entities made for one named query: ``expected`` in query order, and the parameters."""

    named: NamedQuery
    params: dict[str, Any]
    other_params: dict[str, Any]
    expected: list[Any]


def test_query_filters_and_orders(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """Exactly the entities whose where fields equal the parameters, in order (None first)."""
    for named in _queries(dal_harness, dal_spec):
        seeded = _seed(dal_harness, dal_spec, named)
        page = _repository(dal_harness, dal_spec).query(
            named.name, page_size=MAX_PAGE_SIZE, **seeded.params
        )
        assert _labels(dal_harness, dal_spec, page.items) == _labels(
            dal_harness, dal_spec, seeded.expected
        ), named.name
        assert list(page.items) == seeded.expected
        assert page.next_token is None


def test_query_pages_without_duplicates_or_gaps(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """Every page size walks the same entities: full pages, no repeat, no gap, None at the end."""
    repository = _repository(dal_harness, dal_spec)
    for named in _queries(dal_harness, dal_spec):
        seeded = _seed(dal_harness, dal_spec, named)
        for page_size in range(1, len(seeded.expected) + 2):
            pages = _walk(repository, named, seeded.params, page_size)
            walked = [item for page in pages for item in page.items]
            assert walked == seeded.expected, f"{named.name}, page_size={page_size}"
            assert all(len(page.items) == page_size for page in pages[:-1])
            assert all(page.next_token is not None for page in pages[:-1])
            assert pages[-1].next_token is None


def test_query_page_tokens_are_neutral(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """Tokens hold the neutral sort key, resume with any page size, and neutral ones resume too."""
    repository = _repository(dal_harness, dal_spec)
    for named in _queries(dal_harness, dal_spec):
        seeded = _seed(dal_harness, dal_spec, named)
        if len(seeded.expected) < 3:
            continue
        scope = _scope(dal_spec, named, seeded.params)
        first = repository.query(named.name, page_size=1, **seeded.params)
        assert first.next_token is not None
        assert decode_token(scope, first.next_token) == _sort_key(
            dal_spec, named, seeded.expected[0]
        )

        resumed = repository.query(
            named.name, page_size=2, page_token=first.next_token, **seeded.params
        )
        assert list(resumed.items) == seeded.expected[1:3]

        neutral = encode_token(scope, _sort_key(dal_spec, named, seeded.expected[1]))
        page = repository.query(
            named.name, page_size=MAX_PAGE_SIZE, page_token=neutral, **seeded.params
        )
        assert list(page.items) == seeded.expected[2:]


def test_query_token_of_another_listing_is_refused(
    dal_harness: Harness, dal_spec: EntitySpec
) -> None:
    """A token of other parameters, another query or no query at all raises InvalidPageToken."""
    repository = _repository(dal_harness, dal_spec)
    for named in _queries(dal_harness, dal_spec):
        seeded = _seed(dal_harness, dal_spec, named)
        other = repository.query(named.name, page_size=1, **seeded.other_params)
        last = _sort_key(dal_spec, named, seeded.expected[0])
        foreign = [
            other.next_token,
            encode_token(_scope(dal_spec, named, seeded.other_params), last),
            encode_token((dal_spec.name, f"{named.name}_other", *seeded.params.values()), last),
            "not-a-page-token",
        ]
        for token in [t for t in foreign if t is not None]:
            with pytest.raises(InvalidPageToken):
                repository.query(named.name, page_token=token, **seeded.params)


def test_query_page_size_bounds(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """page_size must be 1..100: others raise ValidationFailed(field="page_size")."""
    repository = _repository(dal_harness, dal_spec)
    for named in _queries(dal_harness, dal_spec):
        seeded = _seed(dal_harness, dal_spec, named)
        for page_size in (0, -1, MAX_PAGE_SIZE + 1):
            with pytest.raises(ValidationFailed) as raised:
                repository.query(named.name, page_size=page_size, **seeded.params)
            assert raised.value.field == "page_size"
        for page_size in (1, MAX_PAGE_SIZE):
            page = repository.query(named.name, page_size=page_size, **seeded.params)
            assert list(page.items) == seeded.expected[:page_size]


def test_unknown_access_pattern_is_refused(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """A query name the entity does not declare raises ValidationFailed(field="access_pattern")."""
    with pytest.raises(ValidationFailed) as raised:
        _repository(dal_harness, dal_spec).query("no_such_access_pattern")
    assert raised.value.field == "access_pattern"


def test_query_parameters_are_checked(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """A missing or an unexpected parameter raises ValidationFailed naming it."""
    repository = _repository(dal_harness, dal_spec)
    for named in _queries(dal_harness, dal_spec):
        seeded = _seed(dal_harness, dal_spec, named)
        for name in named.where:
            given = {k: v for k, v in seeded.params.items() if k != name}
            with pytest.raises(ValidationFailed) as raised:
                repository.query(named.name, **given)
            assert raised.value.field == name
        with pytest.raises(ValidationFailed) as raised:
            repository.query(named.name, **seeded.params, no_such_parameter=1)
        assert raised.value.field == "no_such_parameter"


# --- seeding ------------------------------------------------------------------------------


def _repository(harness: Harness, spec: EntitySpec) -> InUnitOfWork:
    return harness.repository(spec.name)


def _queries(harness: Harness, spec: EntitySpec) -> list[NamedQuery]:
    """The named queries the suite can seed (where fields the caller sets)."""
    if not spec.queries:
        skip_because(spec, "declares no named query")
    found = [q for q in spec.queries if not set(q.where) & spec.stamped]
    if not found:
        skip_because(spec, "has only queries on stamped fields")
    return found


def _seed(harness: Harness, spec: EntitySpec, named: NamedQuery) -> _Seeded:
    """Entities in the query's scope (with ties and None in the order) and a few outside it."""
    scope, other = _scopes(harness, spec, named)
    single = _at_most_one(spec, named)  # the where fields are unique: one entity per value
    inside = [
        harness.create(spec.name, overrides={**scope, **_order_values(harness, spec, named, i)})
        for i in range(1 if single else _IN_SCOPE)
    ]
    for i in range(1 if single else _OUT_OF_SCOPE):
        harness.create(spec.name, overrides={**other, **_order_values(harness, spec, named, i)})
    params = {name: scope[name] for name in named.where}
    other_params = {name: other[name] for name in named.where}
    # a field of few values (a flag, an ENUM) may match entities made as references too
    matching = [
        item
        for item in harness.created[spec.name]
        if all(getattr(item, name) == value for name, value in params.items())
    ]
    assert all(item in matching for item in inside), named.name
    return _Seeded(named, params, other_params, _in_order(spec, named, matching))


def _scopes(
    harness: Harness, spec: EntitySpec, named: NamedQuery
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Values of the where fields (and their whole references) inside and outside the scope."""
    inside: dict[str, Any] = {}
    outside: dict[str, Any] = {}
    for reference in spec.references:
        if set(reference.fields) & set(named.where):
            inside.update(harness.point(reference, harness.create(reference.target)))
            outside.update(harness.point(reference, harness.create(reference.target)))
    for name in named.where:
        if name not in inside:
            inside[name] = harness.samples.value(spec.name, name, 700)
            outside[name] = different_value(harness, spec.name, name, inside[name])
    return inside, outside


def _at_most_one(spec: EntitySpec, named: NamedQuery) -> bool:
    where = set(named.where)
    return set(spec.key) <= where or any(set(u.fields) <= where for u in spec.unique)


def _order_values(harness: Harness, spec: EntitySpec, named: NamedQuery, i: int) -> dict[str, Any]:
    """Order fields the suite sets: pairs of equal values (ties), None in every third if allowed."""
    fixed = set(named.where) | set(spec.key) | spec.stamped | reference_fields(spec)
    fixed |= {name for unique in spec.unique for name in unique.fields}
    values: dict[str, Any] = {}
    for name in named.order_by:
        if name in fixed:
            continue
        if i % 3 == 1 and harness.samples.kind(spec.name, name).nullable:
            values[name] = None
        else:
            values[name] = harness.samples.value(spec.name, name, 500 + i // 2)
    return values


# --- the expected order -------------------------------------------------------------------


def _order_fields(spec: EntitySpec, named: NamedQuery) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*named.order_by, *spec.key)))


def _sort_key(spec: EntitySpec, named: NamedQuery, item: Any) -> tuple[Any, ...]:
    """The raw values an item sorts by: order_by then the key."""
    return tuple(getattr(item, name) for name in _order_fields(spec, named))


def _in_order(spec: EntitySpec, named: NamedQuery, items: list[Any]) -> list[Any]:
    """``items`` in the query's order: None first, text by code point, reversed if descending."""

    def comparable(item: Any) -> tuple[tuple[int, Any], ...]:
        return tuple((0, 0) if v is None else (1, v) for v in _sort_key(spec, named, item))

    return sorted(items, key=comparable, reverse=named.descending)


def _scope(spec: EntitySpec, named: NamedQuery, params: dict[str, Any]) -> tuple[Any, ...]:
    """What a neutral token of this listing is bound to: entity, query, parameters."""
    return (spec.name, named.name, *(params[name] for name in named.where))


def _walk(
    repository: InUnitOfWork, named: NamedQuery, params: dict[str, Any], page_size: int
) -> list[Page[Any]]:
    pages = [repository.query(named.name, page_size=page_size, **params)]
    while pages[-1].next_token is not None and len(pages) <= MAX_PAGE_SIZE:
        token = pages[-1].next_token
        pages.append(repository.query(named.name, page_size=page_size, page_token=token, **params))
    return pages


def _labels(harness: Harness, spec: EntitySpec, items: Any) -> list[Any]:
    return [harness.label(spec.name, item) for item in items]
