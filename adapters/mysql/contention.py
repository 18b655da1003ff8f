"""Transactions the layer opens itself, run again when MySQL gave up on them under contention.

A deadlock (MySQL error 1213) rolls the whole transaction back on the server; a
lock wait timeout (1205) gives up on the statement after waiting
``innodb_lock_wait_timeout`` seconds. Either way the same transaction, started
again a moment later, most likely succeeds. :func:`in_own_transaction` runs a
function in a transaction of its own on an engine (``engine.begin()``), and on
one of those two errors rolls back, waits a jittered while and runs it again, a
bounded number of times; the layer's bookkeeping transactions (id blocks,
backfill checkpoints) go through it. When the attempts run out, the translated
:class:`~interfaces.errors.Throttled` is raised with
:attr:`~interfaces.errors.Throttled.attempts` set.

The caller's own transaction, a unit of work, cannot be run again from inside:
run its body with :func:`interfaces.run_in_unit_of_work`, which retries it as a
whole on the same errors (as :class:`~interfaces.errors.Throttled`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from adapters.mysql.errors import translate
from interfaces.errors import Throttled
from interfaces.retry import DEFAULT_ATTEMPTS, Backoff

__all__ = ["CONTENTION_CODES", "in_own_transaction", "is_contention"]

T = TypeVar("T")

CONTENTION_CODES = frozenset({1213, 1205})
"""MySQL's deadlock (1213) and lock wait timeout (1205)."""


def is_contention(error: BaseException) -> bool:
    """Whether ``error`` is a MySQL deadlock or lock wait timeout (on a connection still usable)."""
    if not isinstance(error, DBAPIError) or error.connection_invalidated:
        return False
    args: tuple[Any, ...] = getattr(error.orig, "args", ())
    return bool(args) and args[0] in CONTENTION_CODES


def in_own_transaction(
    engine: Engine,
    work: Callable[[Connection], T],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: Backoff | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``work(connection)`` in a transaction of its own, committed when it returns.

    A deadlock or a lock wait timeout rolls the transaction back and, after a
    jittered wait, runs ``work`` again in a new one, up to ``attempts`` in all;
    then it raises :class:`~interfaces.errors.Throttled` (with ``attempts``). Any
    other database error is raised translated (:func:`~adapters.mysql.errors.translate`)
    at once; errors that are not the database's pass unchanged.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    chosen = backoff if backoff is not None else Backoff()
    failed = 0
    while True:
        try:
            with engine.begin() as connection:
                return work(connection)
        except SQLAlchemyError as exc:
            if not is_contention(exc):
                raise translate(exc) from exc
            failed += 1
            if failed >= attempts:
                error = translate(exc)
                if isinstance(error, Throttled):
                    error.attempts = failed
                raise error from exc
        sleep(chosen.delay(failed))
