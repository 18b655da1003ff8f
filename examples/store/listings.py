"""The paged listings of the Protocols: each one's token scope and domain sort order.

Every backend takes a listing's scope and order from here, so a page token
produced by one backend resumes the same listing on another:

* ``products.list(filters)``: ``("products.list", filters or ProductFilter())``, :data:`BY_NAME`;
* ``products.list_by_seller(seller_id)``: ``("products.list_by_seller", seller_id)``,
  :data:`BY_NAME`;
* ``products.list_by_category(category_id)``: ``("products.list_by_category", category_id)``,
  :data:`BY_NAME`;
* ``products.search(text)``: ``("products.search", text)``, :data:`BY_NAME`;
* ``orders.list_by_user(user_id)``: ``("orders.list_by_user", user_id)``, :data:`NEWEST_FIRST`;
* ``orders.list_by_status(status)``: ``("orders.list_by_status", status)``, :data:`NEWEST_FIRST`.

A call opens a :class:`PageRequest` (:meth:`Listing.request`): the page size is
checked, the token decoded for the call's scope and its key checked against
the listing's order. The backend then fetches the items that follow
:attr:`PageRequest.after` in that order and hands them back to
:meth:`PageRequest.page` or :meth:`PageRequest.cut`, which encode the next token.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from examples.store.models import Product, ProductFilter
from interfaces.errors import InvalidPageToken
from interfaces.paging import Page, SortKey, check_page_size, decode_token, encode_token

__all__ = [
    "BY_NAME",
    "NEWEST_FIRST",
    "ORDERS_BY_STATUS",
    "ORDERS_BY_USER",
    "PRODUCTS",
    "PRODUCTS_BY_CATEGORY",
    "PRODUCTS_BY_SELLER",
    "PRODUCT_SEARCH",
    "Listing",
    "PageRequest",
    "SortOrder",
    "product_matches",
]

T = TypeVar("T")


@dataclass(frozen=True)
class SortOrder:
    """A listing's domain order: the model fields of its sort key, their types, the direction."""

    fields: tuple[str, ...]
    types: tuple[type, ...]
    descending: bool = False

    def key(self, item: object) -> SortKey:
        """The sort key of ``item`` (a domain model)."""
        return tuple(getattr(item, name) for name in self.fields)

    def sort(self, items: Iterable[T]) -> list[T]:
        """``items`` in this order."""
        return sorted(items, key=self.key, reverse=self.descending)

    def follows(self, item: object, after: SortKey) -> bool:
        """Whether ``item`` comes strictly after the item whose key is ``after``."""
        key = self.key(item)
        return key < after if self.descending else key > after

    def check(self, key: SortKey) -> SortKey:
        """``key`` if it has this order's shape; InvalidPageToken otherwise."""
        if len(key) != len(self.types) or not all(map(_is_a, key, self.types)):
            raise InvalidPageToken("page token does not hold a key of this listing")
        return key


def _is_a(value: object, kind: type) -> bool:
    if isinstance(value, bool) and kind is not bool:
        return False
    if isinstance(value, datetime):
        return kind is datetime and value.utcoffset() is not None
    return isinstance(value, kind)


BY_NAME = SortOrder(fields=("name", "id"), types=(str, int))
"""``(name, id)`` ascending, names compared by code point: product listings, category lists."""

NEWEST_FIRST = SortOrder(fields=("created_at", "id"), types=(datetime, int), descending=True)
"""``(created_at, id)`` descending: order listings."""


@dataclass(frozen=True)
class PageRequest:
    """One call of a paged listing: its scope, order, page size and the key it resumes after."""

    scope: tuple[object, ...]
    order: SortOrder
    page_size: int
    after: SortKey | None

    def wants(self, item: object) -> bool:
        """Whether ``item`` comes after the token's key (every item does on the first page)."""
        return self.after is None or self.order.follows(item, self.after)

    def page(self, items: Sequence[T], more: bool) -> Page[T]:
        """The page of ``items`` (at most ``page_size``); a next token when ``more`` follow."""
        token = encode_token(self.scope, self.order.key(items[-1])) if more else None
        return Page(items=tuple(items), next_token=token)

    def cut(self, ordered: Sequence[T]) -> Page[T]:
        """The page that starts ``ordered`` (items in order, all after the token's key)."""
        return self.page(ordered[: self.page_size], more=len(ordered) > self.page_size)

    def select(self, items: Iterable[T]) -> Page[T]:
        """The page among ``items`` given in any order: sorted, resumed after the key, cut."""
        return self.cut([item for item in self.order.sort(items) if self.wants(item)])


@dataclass(frozen=True)
class Listing:
    """A paged listing of the Protocols: its name (the first element of its scope) and order."""

    name: str
    order: SortOrder

    def scope(self, argument: object) -> tuple[object, ...]:
        """The token scope of a call with ``argument``: ``(name, argument)``."""
        return (self.name, argument)

    def request(self, argument: object, page_size: int, page_token: str | None) -> PageRequest:
        """Open a call: ValidationFailed(field="page_size"), then InvalidPageToken for a token
        of another listing, a malformed one or one whose key does not fit the order.
        """
        check_page_size(page_size)
        scope = self.scope(argument)
        after = None if page_token is None else self.order.check(decode_token(scope, page_token))
        return PageRequest(scope, self.order, page_size, after)


PRODUCTS = Listing("products.list", BY_NAME)
"""``products.list``; its argument is the filter given (``ProductFilter()`` for none)."""

PRODUCTS_BY_SELLER = Listing("products.list_by_seller", BY_NAME)
"""``products.list_by_seller``; its argument is the seller id."""

PRODUCTS_BY_CATEGORY = Listing("products.list_by_category", BY_NAME)
"""``products.list_by_category``; its argument is the category id."""

PRODUCT_SEARCH = Listing("products.search", BY_NAME)
"""``products.search``; its argument is the text as given."""

ORDERS_BY_USER = Listing("orders.list_by_user", NEWEST_FIRST)
"""``orders.list_by_user``; its argument is the user id."""

ORDERS_BY_STATUS = Listing("orders.list_by_status", NEWEST_FIRST)
"""``orders.list_by_status``; its argument is the :class:`~interfaces.OrderStatus`."""


def product_matches(product: Product, filters: ProductFilter) -> bool:
    """Whether ``product`` passes every filter set in ``filters``.

    Ids match exactly, price bounds are inclusive, ``text`` is a ``str.lower``
    substring of the name or the description.
    """
    f = filters
    return (
        (f.category_id is None or product.category_id == f.category_id)
        and (f.seller_id is None or product.seller_id == f.seller_id)
        and (f.min_price is None or product.price >= f.min_price)
        and (f.max_price is None or product.price <= f.max_price)
        and (f.text is None or _contains_text(product, f.text))
    )


def _contains_text(product: Product, text: str) -> bool:
    needle = text.lower()
    return needle in product.name.lower() or needle in (product.description or "").lower()
