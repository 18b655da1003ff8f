"""Property tests: search agrees with ``str.lower`` containment; prices keep their cents.

Examples accumulate in one store (no reset between them), so the expected
answer is computed from every product created so far. Example counts stay
modest: each example talks to a real server.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.factories import Seeder
from support.paging import collect_pages

from conformance.backends import Backend
from examples.store import Product, Store

ALPHABET = "aAbBzZéÉöÖßжЖΩω山🦄%_\\ -"
names = st.text(alphabet=ALPHABET, min_size=1, max_size=10)
descriptions = st.none() | st.text(alphabet=ALPHABET, max_size=10)
needles = st.text(alphabet=ALPHABET, min_size=1, max_size=3)
prices = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2)

store_settings = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def created() -> list[Product]:
    """The products one property test has created so far."""
    return []


def by_name(product: Product) -> tuple[str, int]:
    return (product.name, product.id)


def assert_listed(found: list[Product], expected: list[Product], backend: Backend) -> None:
    """``found`` is ``expected`` in (name, id) order; ties in any order if the backend says so."""
    if not backend.ties_ordered_by_id:
        assert [p.name for p in found] == [p.name for p in expected]
        found = sorted(found, key=by_name)
    assert found == expected


def contains(product: Product, text: str) -> bool:
    needle = text.lower()
    return needle in product.name.lower() or needle in (product.description or "").lower()


@store_settings
@given(name=names, description=descriptions, text=needles)
def test_search_agrees_with_lowercase_containment(
    store: Store,
    seed: Seeder,
    backend: Backend,
    created: list[Product],
    name: str,
    description: str | None,
    text: str,
) -> None:
    created.append(seed.product(name=name, description=description))
    with store.unit_of_work():
        pages = collect_pages(lambda token: store.products.search(text, 7, token))
        listing = collect_pages(lambda token: store.products.list(None, 7, token))
    found = [p for page in pages for p in page.items]
    assert_listed(found, sorted((p for p in created if contains(p, text)), key=by_name), backend)
    everything = [p for page in listing for p in page.items]
    assert_listed(everything, sorted(created, key=by_name), backend)


@store_settings
@given(price=prices)
def test_prices_keep_their_value_and_two_places(store: Store, seed: Seeder, price: Decimal) -> None:
    product = seed.product(price=price)
    with store.unit_of_work():
        stored = store.products.get(product.id)
    assert stored.price == price
    assert stored.price.as_tuple().exponent == -2
