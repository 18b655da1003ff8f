"""Paged listings: a page of results and an opaque, backend-neutral page token.

A token encodes the *domain* sort key of the last item returned (for example
``(created_at, id)`` of the last order), never a backend's own cursor, so a
token produced by one backend resumes the same listing on the other: the
router can hand the caller's token to both sides of a shadow read. Tokens are
bound to the listing that produced them (its name and arguments); a token used
with another listing raises :class:`~interfaces.errors.InvalidPageToken`. The
scope and sort order of each listing of the Protocols are in
:mod:`examples.store.listings`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from interfaces.errors import InvalidPageToken, ValidationFailed

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Page",
    "SortKey",
    "check_page_size",
    "decode_token",
    "encode_token",
]

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

T = TypeVar("T")
SortKey = tuple[Any, ...]
"""The domain sort key of one item, e.g. ``(name, id)`` of a product."""


class Page(BaseModel, Generic[T]):
    """One page of a listing; ``next_token`` is ``None`` on the last page."""

    model_config = ConfigDict(frozen=True)

    items: tuple[T, ...]
    next_token: str | None = None


def check_page_size(page_size: int) -> int:
    """Return ``page_size`` if it is within 1..MAX_PAGE_SIZE, else raise ValidationFailed."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValidationFailed(f"must be between 1 and {MAX_PAGE_SIZE}", field="page_size")
    return page_size


def _scope_digest(scope: Sequence[object]) -> str:
    raw = json.dumps([_to_json(v) for v in scope], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _to_json(value: object) -> object:
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return value.value  # enums
    return value


def _from_json(value: object) -> object:
    if isinstance(value, dict):
        if "t" in value:
            return datetime.fromisoformat(value["t"])
        if "d" in value:
            return Decimal(value["d"])
    return value


def encode_token(scope: Sequence[object], last_key: SortKey) -> str:
    """Encode the sort key of the last item of a page, bound to ``scope``.

    ``scope`` names the listing and its arguments, e.g.
    ``("tickets", "by_project", project_id)``.
    """
    payload = {"s": _scope_digest(scope), "k": [_to_json(v) for v in last_key]}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(scope: Sequence[object], token: str) -> SortKey:
    """Decode a token produced by :func:`encode_token` for the same ``scope``."""
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        digest, key = payload["s"], payload["k"]
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidPageToken("page token is malformed") from exc
    if digest != _scope_digest(scope) or not isinstance(key, list):
        raise InvalidPageToken()
    return tuple(_from_json(v) for v in key)
