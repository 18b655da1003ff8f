"""Deferred secondary writes: the repair log is the queue, a drainer applies it.

With ``secondary_writes="deferred"`` (``DAL_SECONDARY_WRITES=deferred``) a dual write
writes the authoritative side only, then appends a ``deferred`` entry (entity, key,
the authoritative value's version, both sides, stage) to the durable repair log
before the caller gets its answer. Inside ``with store.unit_of_work():`` the entries
are appended once the unit of work has committed, in one write; a unit of work that
rolls back appends nothing, so a rolled-back write never reaches the second side.

A :class:`Drainer` (a thread of the router's process) follows the log
(:class:`~dal.routing.repairlog.LogTail`), takes the open ``deferred`` entries in log
order, a batch at a time, and hands them to its ``apply`` function: the repair by
entry of ``dal repair --from-log`` (:func:`dal.migrate.replay.deferred_drain`), which
makes the second side equal to what the authoritative side holds *now* for each
entry's key. The entries it reports done are marked done in the log. Replaying reads
the committed state, so replaying one key twice, or late, is harmless, and the last
replay of a key comes after its last write: the order per key is kept. A batch runs
under the log's drain lock (:meth:`RepairLog.drain_lock`), so two drainers (two
processes, or ``dal repair --from-log``) never replay at once.

The lag (:meth:`Drainer.lag`, gauge ``dal.secondary.lag``) is the age of the oldest
open deferred entry. A writer whose entity's lag is over ``max_lag`` waits
(:meth:`Drainer.throttle`) until the drainer is back under it, at most ``max_lag``
seconds; it never waits while the entity's write breaker is open. A batch that fails
(the second side down) counts as a failure for the breakers of its entities and is
retried with a growing pause: the entries stay in the log, writes go on, and a
warning says the lag is over its bound. An entry the replay leaves open (a newer
version on the second side, a redacted key...) is retried ``attempts`` times, then
handed over to ``dal repair --from-log`` as a ``deferred_unrepaired`` entry.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace

from dal.routing.repairlog import LogTail, RepairEntry, RepairLog
from dal.routing.shadow import Breakers, BreakerState, CircuitBreaker

__all__ = ["DEFERRED", "UNREPAIRED", "DrainFunction", "DrainState", "Drainer"]

log = logging.getLogger("dal.routing.deferred")

DEFERRED = "deferred"
"""The reason of an entry that carries a deferred secondary write."""
UNREPAIRED = "deferred_unrepaired"
"""The reason of a deferred entry the drainer gave up on, left to ``dal repair --from-log``."""

DrainFunction = Callable[[Sequence[RepairEntry]], Collection[str]]
"""Replays entries (in order) and returns the ids of those that are done."""

ErrorHook = Callable[[str, BaseException], None]


@dataclass(frozen=True)
class DrainState:
    """A snapshot of a drainer: open entries, lag, what it did so far."""

    pending: int
    lag: float
    drained: int
    failed_batches: int
    handed_over: int
    throttled: int


class Drainer:
    """Applies the ``deferred`` entries of ``repair_log`` with ``apply``; see the module.

    ``apply=None`` makes an observer: it follows the log (lag, backpressure) while
    another process drains it (``dal repair --from-log LOG --follow``).

    ``batch`` entries at most per call of ``apply``; the log is read every ``poll``
    seconds (default: a tenth of ``max_lag``, at most 0.25 s), so that one replay covers
    the writes of that time; ``attempts`` replays of an entry
    that stays open before it is handed over; a failing batch is retried after
    ``retry`` seconds, doubling up to ``max_retry``.
    """

    def __init__(
        self,
        repair_log: RepairLog,
        apply: DrainFunction | None,
        *,
        max_lag: float = 5.0,
        breakers: Breakers | None = None,
        on_error: ErrorHook | None = None,
        batch: int = 500,
        poll: float | None = None,
        attempts: int = 3,
        retry: float = 0.2,
        max_retry: float = 5.0,
        warn_interval: float = 10.0,
    ) -> None:
        poll = min(0.25, max_lag / 10) if poll is None else poll
        if max_lag <= 0 or batch < 1 or poll <= 0 or attempts < 1 or retry <= 0:
            raise ValueError("invalid drainer settings: max_lag, batch, poll, attempts, retry")
        self.log = repair_log
        self._apply = apply
        self.max_lag = max_lag
        self._breakers = breakers
        self._on_error = on_error
        self._batch = batch
        self._poll = poll
        self._attempts = attempts
        self._retry = retry
        self._max_retry = max(retry, max_retry)
        self._warn_interval = warn_interval
        self._tail = LogTail(repair_log)
        self._pending: dict[str, RepairEntry] = {}
        self._tries: dict[str, int] = {}
        self._oldest: float | None = None  # wall-clock time of the oldest open entry
        self._unread = 0  # entries appended by this process since the last read
        self._read_at = time.monotonic()
        self._lock = threading.Lock()  # one drain at a time in this process
        self._state = threading.Condition()  # guards the figures below; writers wait on it
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drained = 0
        self._failed = 0
        self._handed_over = 0
        self._throttled = 0
        self._warned_at = float("-inf")
        self._since_compaction = 0
        self._has_more = False

    # --- the thread ------------------------------------------------------------------------

    def start(self) -> Drainer:
        """Start the background thread (once); entries already in the log are drained first."""
        with self._state:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="dal-deferred-drainer", daemon=True
                )
                self._thread.start()
        return self

    @property
    def running(self) -> bool:
        """Whether the background thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def close(self, timeout: float | None = 5.0) -> bool:
        """Drain what is open (for up to ``timeout`` seconds), then stop the thread.

        Returns False when entries were left open: they stay in the log, for the next
        start or ``dal repair --from-log``.
        """
        drained = self.wait_drained(timeout) if self.running else self.state().pending == 0
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._state:
            self._state.notify_all()
        return drained

    def stop(self) -> None:
        """Stop the thread at once, leaving open entries in the log (tests: a process gone)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        with self._state:
            self._state.notify_all()

    def _run(self) -> None:
        pause = self._retry
        while not self._stop.is_set():
            try:
                self.drain_once()
            except Exception as exc:
                self._report("deferred drain", exc)
                self._stop.wait(pause)
                pause = min(pause * 2, self._max_retry)
                continue
            pause = self._retry
            if self.state().pending and self._has_more:
                continue  # a full batch was taken: go on at once
            self._wake.wait(self._poll)
            self._wake.clear()

    # --- draining --------------------------------------------------------------------------

    def appended(self, count: int) -> None:
        """``count`` entries were appended by this process (read at the next poll, so that
        a batch gathers the writes of ``poll`` seconds)."""
        with self._state:
            if not self._unread:
                self._read_at = time.monotonic()
            self._unread += count

    def drain_once(self) -> int:
        """Read the log, replay one batch of open entries; return how many are now done.

        Raises what ``apply`` raised (the batch stays open; its entities' write
        breakers count a failure).
        """
        with self._lock:
            self._read()
            if not self._pending or self._apply is None:
                return 0
            with self.log.drain_lock(wait=False) as held:
                if not held:
                    return 0  # another drainer is at it; its done lines arrive by reading
                self._read()  # what the other drainer finished meanwhile
                batch = list(self._pending.values())[: self._batch]
                self._has_more = len(self._pending) > len(batch)
                if not batch:
                    return 0
                try:
                    done = set(self._apply(batch))
                except Exception:
                    with self._state:
                        self._failed += 1
                    self._breaker_says(batch, failed=True)
                    raise
                self._breaker_says(batch, failed=False)
                finished = [entry.id for entry in batch if entry.id in done]
                finished += self._hand_over([e for e in batch if e.id not in done])
                self.log.mark_done(*finished, check=False)
                self._since_compaction += len(finished)
                if self._since_compaction >= 50_000:
                    self._compact()
            self._finish(finished, drained=len(done))
            return len(finished)

    def drain_all(self, timeout: float | None = None) -> bool:
        """Drain on the calling thread until nothing is open (the CLI, tests); False if
        ``timeout`` seconds passed first. A failing batch raises."""
        limit = None if timeout is None else time.monotonic() + timeout
        while True:
            self.drain_once()
            if not self._pending:
                return True
            if limit is not None and time.monotonic() >= limit:
                return False
            time.sleep(min(self._poll, 0.01))

    def wait_drained(self, timeout: float | None = None) -> bool:
        """Wait until the background thread has drained every open entry (and every entry
        this process appended); False when ``timeout`` seconds passed first."""
        return self._wait_while(lambda: bool(self._pending or self._unread), timeout)

    def _wait_while(self, busy: Callable[[], bool], timeout: float | None) -> bool:
        """Wake the drainer until ``busy()`` (read under ``_state``) is False; False when
        ``timeout`` seconds passed first or no drainer thread runs."""
        limit = None if timeout is None else time.monotonic() + timeout
        self._wake.set()
        with self._state:
            while busy():
                if not self.running:
                    return False
                left = None if limit is None else limit - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._state.wait(0.05 if left is None else min(left, 0.05))
                self._wake.set()
        return True

    def writes_open(self, entity: str, before: float) -> bool:
        """Whether a deferred write of ``entity`` made before ``before`` (wall-clock
        seconds, :func:`time.time`) may not be applied yet: an open entry of the entity
        written by then, or entries this process appended that are not read yet.

        An observer (another process appends and drains) reads the log first."""
        if self._apply is None:
            with self._lock:
                self._read()
        with self._state:
            return self._writes_open(entity, before)

    def _writes_open(self, entity: str, before: float) -> bool:
        """The caller holds ``_state``."""
        if self._unread and self._read_at <= time.monotonic() - (time.time() - before):
            return True
        return any(
            e.entity == entity and e.at.timestamp() <= before for e in self._pending.values()
        )

    def wait_applied(self, entity: str, before: float, timeout: float) -> bool:
        """Wait until every deferred write of ``entity`` made before ``before`` is applied
        (:meth:`writes_open` is False); False when ``timeout`` seconds passed first or no
        drainer runs in this process (an observer waits for the log's done marks)."""
        return self._wait_while(lambda: self._writes_open(entity, before), timeout)

    def _read(self) -> None:
        """Take in what was appended to the log since the last read."""
        with self._state:
            unread, read_at = self._unread, time.monotonic()
        entries, done = self._tail.read()
        with self._state:
            for entry in entries:
                if entry.reason == DEFERRED and entry.id not in done:
                    self._pending.setdefault(entry.id, entry)
            for entry_id in done:
                self._pending.pop(entry_id, None)
                self._tries.pop(entry_id, None)
            self._unread = max(0, self._unread - unread)
            self._read_at = read_at
            self._update_oldest()
            self._state.notify_all()

    def _finish(self, finished: Sequence[str], drained: int) -> None:
        with self._state:
            for entry_id in finished:
                self._pending.pop(entry_id, None)
                self._tries.pop(entry_id, None)
            self._drained += drained
            self._update_oldest()
            self._state.notify_all()

    def _update_oldest(self) -> None:
        """The caller holds ``_state``."""
        if not self._pending:
            self._oldest = None
            return
        self._oldest = min(entry.at.timestamp() for entry in self._pending.values())

    def _hand_over(self, left: Sequence[RepairEntry]) -> list[str]:
        """Entries left open ``attempts`` times: append them as ``deferred_unrepaired`` (for
        ``dal repair --from-log``) and return their ids, to be marked done."""
        given_up = []
        for entry in left:
            tries = self._tries.get(entry.id, 0) + 1
            self._tries[entry.id] = tries
            if tries >= self._attempts:
                given_up.append(entry)
        if not given_up:
            return []
        copies = [replace(entry, reason=UNREPAIRED, id=_new_id(), done=False) for entry in given_up]
        self.log.append_many(copies)
        for entry in given_up:
            log.warning(
                "deferred write of %s %s left to dal repair --from-log: it stays open after "
                "%d replays",
                entry.entity,
                entry.entity_key,
                self._attempts,
            )
        with self._state:
            self._handed_over += len(given_up)
        return [entry.id for entry in given_up]

    def _compact(self) -> None:
        """Rewrite the log without finished entries; read it again from its start."""
        self.log.compact()
        self._since_compaction = 0
        self._tail.reset()
        with self._state:
            self._pending.clear()

    def _breaker_says(self, batch: Sequence[RepairEntry], *, failed: bool) -> None:
        if self._breakers is None:
            return
        for entity in sorted({entry.entity for entry in batch}):
            breaker = self._breakers.get(entity, "write")
            if failed:
                breaker.failure()
            else:
                breaker.success()

    def _report(self, operation: str, error: BaseException) -> None:
        if self._on_error is not None:
            self._on_error(operation, error)
        else:
            log.warning("%s failed: %s: %s", operation, type(error).__name__, error)

    # --- lag and backpressure --------------------------------------------------------------

    def lag(self) -> float:
        """Seconds since the oldest open deferred entry was written (0 when none is open).

        Entries this process appended that the drainer has not read yet count from the
        last read of the log.
        """
        with self._state:
            return self._lag()

    def _lag(self) -> float:
        lag = 0.0 if self._oldest is None else max(0.0, time.time() - self._oldest)
        if self._unread:
            lag = max(lag, time.monotonic() - self._read_at)
        return lag

    def throttle(self, entity: str) -> float:
        """Backpressure before a deferred write of ``entity``: wait while the lag is over
        ``max_lag``, at most ``max_lag`` seconds; return the seconds waited.

        No wait while the entity's write breaker is open (the second side is down:
        entries pile up in the log) or while no drainer thread runs; a warning then
        says so, at most every ``warn_interval`` seconds.
        """
        with self._state:
            if self._lag() <= self.max_lag:
                return 0.0
            breaker = None if self._breakers is None else self._breakers.get(entity, "write")
            if not self.running or (breaker is not None and not _closed(breaker)):
                self._warn_over()
                return 0.0
            started = time.monotonic()
            limit = started + self.max_lag
            self._throttled += 1
            self._wake.set()
            while self._lag() > self.max_lag and self.running:
                left = limit - time.monotonic()
                if left <= 0:
                    self._warn_over()
                    break
                self._state.wait(min(left, 0.05))
            return time.monotonic() - started

    def _warn_over(self) -> None:
        """The caller holds ``_state``."""
        now = time.monotonic()
        if now - self._warned_at < self._warn_interval:
            return
        self._warned_at = now
        log.warning(
            "deferred secondary writes lag %.1f s behind, over their bound of %g s; "
            "%d entries wait in the repair log %s",
            self._lag(),
            self.max_lag,
            len(self._pending) + self._unread,
            self.log.path,
        )

    def state(self) -> DrainState:
        """What the drainer holds and did so far."""
        with self._state:
            return DrainState(
                pending=len(self._pending) + self._unread,
                lag=self._lag(),
                drained=self._drained,
                failed_batches=self._failed,
                handed_over=self._handed_over,
                throttled=self._throttled,
            )


def _closed(breaker: CircuitBreaker) -> bool:
    return breaker.state is BreakerState.CLOSED


def _new_id() -> str:
    return uuid.uuid4().hex
