"""Follow a paged listing to its end."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from interfaces import Page

__all__ = ["PageFetcher", "collect_pages"]

T = TypeVar("T")
PageFetcher = Callable[[str | None], Page[T]]
"""Fetches the page that follows ``page_token`` (None for the first page)."""


def collect_pages(fetch: PageFetcher[T], max_pages: int = 1000) -> list[Page[T]]:
    """Every page of a listing, first to last; fails if it does not end in ``max_pages``."""
    pages = [fetch(None)]
    while pages[-1].next_token is not None:
        if len(pages) >= max_pages:
            raise AssertionError(f"listing did not end after {max_pages} pages")
        pages.append(fetch(pages[-1].next_token))
    return pages
