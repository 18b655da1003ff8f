"""What the other side answered, for the second write of a dual write.

The router writes the authoritative side first, then the other side inside
``with known_result(answer):``, where ``answer`` is what the first side returned
(the entity as it now is, for a create or an update). An adapter may use it to
write without reading first: the DynamoDB repositories put the whole item of an
update, conditioned on the version before it, in one request, and fall back to
their usual read-then-write when that condition fails. An adapter that ignores
it behaves exactly as before. Like a deadline, it lives in a context variable
and applies to the calls of the context that set it only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["known_result", "result_known"]

_KNOWN: ContextVar[object | None] = ContextVar("dal_known_result", default=None)


@contextmanager
def known_result(answer: object) -> Iterator[None]:
    """Within the block, :func:`result_known` is ``answer``."""
    token = _KNOWN.set(answer)
    try:
        yield
    finally:
        _KNOWN.reset(token)


def result_known() -> object | None:
    """The other side's answer of the write being mirrored, or None outside a mirrored write."""
    return _KNOWN.get()
