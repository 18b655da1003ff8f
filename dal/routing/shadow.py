"""Shadow work off the request path: a pool bounded in size, a time budget, circuit breakers.

:class:`ShadowRunner` accepts work for its pool, which grows with queued work up to
``max_workers`` threads and shrinks back to ``workers`` when they idle (or refuses
work at once when the pool is at its bound and its queue is full: the caller never
waits). Each accepted piece of
work gets an :class:`Attempt` whose budgeted part must finish before a
deadline; a secondary slower than the budget is abandoned: its result is
discarded when it finally comes, and the timeout is reported when the deadline
passes, not when the slow call returns. :meth:`ShadowRunner.flush` waits until
every accepted piece of work has finished or been abandoned. Work and its
timeout run in a context built by :func:`~dal.routing.workcontext.work_context`:
they see the caller's span and correlation id, but not the caller's unit of
work, session or deadline.

:class:`CircuitBreaker` opens after ``threshold`` consecutive failures or
timeouts and lets a single probe through after ``cooldown`` seconds. A call
that answered, but slower than the breaker's slow-call threshold, counts as a
failure too (:meth:`CircuitBreaker.finished`), so a secondary that has become
slow is stopped like one that fails.
"""

from __future__ import annotations

import contextvars
import itertools
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from dal.routing.timers import ErrorHook, Scheduler, Timer
from dal.routing.workcontext import work_context

__all__ = [
    "SECONDARY_WRITES",
    "AdaptiveSampling",
    "Attempt",
    "Breakers",
    "CircuitBreaker",
    "PoolState",
    "ShadowRunner",
    "ShadowSettings",
]


SECONDARY_WRITES = ("inline", "deferred")
"""How the second side of a dual write is written (:attr:`ShadowSettings.secondary_writes`)."""


@dataclass(frozen=True)
class ShadowSettings:
    """Limits of shadow work.

    ``workers`` threads take work from a queue of ``queue_size``; while work is
    queued and every worker is busy the pool grows, a thread at a time, up to
    ``max_workers``, and a thread beyond ``workers`` that finds no work for
    ``idle_timeout`` seconds exits (:class:`ShadowRunner`); ``budget``
    seconds are allowed from submission until the secondary answers;
    ``breaker_threshold`` consecutive failures open an entity's breaker for
    ``breaker_cooldown`` seconds; a worker waits at most ``primary_wait``
    seconds for the caller's own answer; an eventually consistent read that
    differs is re-read once after ``reread_delay`` seconds; ``break_writes``
    also skips secondary writes (into the repair log) while a breaker is open.

    ``write_budget`` seconds (default: ``budget``) are the longest a caller
    waits for a secondary write, and for the commit of a secondary unit of
    work: the call runs within that deadline (:func:`interfaces.deadline`), and
    one that exceeds it fails and goes to the repair log. A secondary call
    slower than ``slow_call`` seconds (default: the budget of its kind, reads'
    or writes') counts as a failure for its breaker even when it answered.

    ``processes`` above 0 moves shadow reads to that many worker processes
    (:mod:`dal.routing.processes`): the caller runs the primary read, then only
    enqueues the job; besides the jobs the processes run, at most ``queue_size`` wait
    (more are dropped as ``queue_full`` and lower the adaptive sampling), each
    process runs ``process_threads`` reads at once, and lowers its priority by
    ``nice`` (:func:`os.nice`; 0 leaves it). With 0 (the default) shadow reads run
    on the thread pool above.

    Worker processes always adapt their sampling (:class:`AdaptiveSampling`) to a full
    queue; ``adaptive`` makes the thread pool adapt it too, when it refuses work
    (``pool_full``) and while at most half its queue waits.
    ``secondary_writes`` is ``inline`` (the second side is written on the caller's
    thread, as above) or ``deferred``: the caller writes the authoritative side only
    and a ``deferred`` entry goes to the repair log, which a drainer applies within
    about ``max_lag`` seconds (:mod:`dal.routing.deferred`).

    With ``index_copies`` (the default) a shadow read may be answered from an
    index's copy of the item (:mod:`interfaces.consistency`): a lookup by a field that
    is not the key then costs one request instead of two. A difference found in a
    copy is read again from the table before it counts, so a copy that lags the
    table is never recorded as a difference.
    """

    workers: int = 4
    max_workers: int = 16
    queue_size: int = 16
    idle_timeout: float = 5.0
    budget: float = 1.0
    breaker_threshold: int = 5
    breaker_cooldown: float = 30.0
    primary_wait: float = 30.0
    reread_delay: float = 0.2
    break_writes: bool = True
    write_budget: float | None = None
    slow_call: float | None = None
    processes: int = 0
    process_threads: int = 4
    nice: int = 0
    adaptive: bool = False
    secondary_writes: str = "inline"
    max_lag: float = 5.0
    index_copies: bool = True

    def __post_init__(self) -> None:
        checks = {
            "workers": self.workers >= 1,
            "queue_size": self.queue_size >= 1,
            "idle_timeout": self.idle_timeout > 0,
            "budget": self.budget > 0,
            "breaker_threshold": self.breaker_threshold >= 1,
            "breaker_cooldown": self.breaker_cooldown >= 0,
            "primary_wait": self.primary_wait > 0,
            "reread_delay": self.reread_delay >= 0,
            "write_budget": self.write_budget is None or self.write_budget > 0,
            "slow_call": self.slow_call is None or self.slow_call > 0,
            "processes": self.processes >= 0,
            "process_threads": self.process_threads >= 1,
            "nice": 0 <= self.nice <= 19,
            "max_lag": self.max_lag > 0,
        }
        wrong = [f"{name} out of range" for name, ok in checks.items() if not ok]
        if self.secondary_writes not in SECONDARY_WRITES:
            wrong.append(
                f"secondary_writes must be inline or deferred, got {self.secondary_writes!r}"
            )
        if self.max_workers < self.workers:
            wrong.append(
                f"max_workers ({self.max_workers}) must be at least workers ({self.workers})"
            )
        if wrong:
            raise ValueError(f"invalid shadow settings: {'; '.join(wrong)}")

    @property
    def secondary_write_seconds(self) -> float:
        """The budget of a secondary write: ``write_budget``, else ``budget``."""
        return self.budget if self.write_budget is None else self.write_budget

    @property
    def adapts(self) -> bool:
        """Whether shadow reads adapt their sampling: in worker processes, or ``adaptive``."""
        return self.adaptive or self.processes > 0

    def slow_call_seconds(self, kind: str) -> float:
        """How slow a secondary ``"read"`` or ``"write"`` may be before it counts as failed."""
        if self.slow_call is not None:
            return self.slow_call
        return self.secondary_write_seconds if kind == "write" else self.budget


# --- circuit breaker ---------------------------------------------------------------------


class BreakerState(Enum):
    """The states of a circuit breaker."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


_OPENNESS = {
    BreakerState.CLOSED.value: 0,
    BreakerState.HALF_OPEN.value: 1,
    BreakerState.OPEN.value: 2,
}


def most_open(*sources: Mapping[str, str]) -> dict[str, str]:
    """Breaker states by name (``{"users.read": "open"}``) from several sources, each at
    its most open state among them, sorted by name."""
    states: dict[str, str] = {}
    for source in sources:
        for name, state in source.items():
            known = states.get(name)
            if known is None or _OPENNESS.get(state, 0) > _OPENNESS.get(known, 0):
                states[name] = state
    return dict(sorted(states.items()))


class CircuitBreaker:
    """Stops calling a failing (or slow) secondary; thread-safe.

    ``slow_call`` seconds: a call that took longer counts as a failure in
    :meth:`finished`; None counts failures only.
    """

    def __init__(
        self,
        threshold: int,
        cooldown: float,
        clock: Callable[[], float] = time.monotonic,
        slow_call: float | None = None,
    ) -> None:
        self._threshold = threshold
        self._cooldown = cooldown
        self._clock = clock
        self._slow_call = slow_call
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False

    @property
    def state(self) -> BreakerState:
        """The current state (an open breaker past its cool-down still reads open)."""
        return self._state

    def allow(self) -> bool:
        """Whether a call may go to the secondary now (in half-open: one probe at a time)."""
        with self._lock:
            if self._state is BreakerState.CLOSED:
                return True
            if self._state is BreakerState.OPEN:
                if self._clock() - self._opened_at < self._cooldown:
                    return False
                self._state = BreakerState.HALF_OPEN
            if self._probing:
                return False
            self._probing = True
            return True

    def success(self) -> None:
        """The secondary answered: close the breaker."""
        with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._probing = False

    def failure(self) -> None:
        """The secondary failed or timed out."""
        with self._lock:
            self._failures += 1
            self._probing = False
            half_open = self._state is BreakerState.HALF_OPEN
            if half_open or self._failures >= self._threshold:
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()

    def is_slow(self, seconds: float) -> bool:
        """Whether a call that took ``seconds`` is slower than the slow-call threshold."""
        return self._slow_call is not None and seconds > self._slow_call

    def finished(self, seconds: float, *, failed: bool = False) -> None:
        """A call ended after ``seconds``: a failure if it ``failed`` or was slow, else success."""
        if failed or self.is_slow(seconds):
            self.failure()
        else:
            self.success()

    def release(self) -> None:
        """A call :meth:`allow` let through never ran (the pool was full)."""
        with self._lock:
            self._probing = False


class Breakers:
    """One breaker per (entity, ``"read"``/``"write"``), created on first use."""

    def __init__(self, settings: ShadowSettings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._breakers: dict[tuple[str, str], CircuitBreaker] = {}

    def get(self, entity: str, kind: str) -> CircuitBreaker:
        """The breaker of ``entity``'s secondary reads or writes."""
        key = (entity, kind)
        breaker = self._breakers.get(key)
        if breaker is None:
            with self._lock:
                breaker = self._breakers.get(key)
                if breaker is None:
                    settings = self._settings
                    breaker = CircuitBreaker(
                        settings.breaker_threshold,
                        settings.breaker_cooldown,
                        slow_call=settings.slow_call_seconds(kind),
                    )
                    self._breakers[key] = breaker
        return breaker

    def states(self) -> dict[str, str]:
        """``{"users.read": "closed", ...}`` for every breaker used so far."""
        with self._lock:
            items = sorted(self._breakers.items())
        return {f"{entity}.{kind}": b.state.value for (entity, kind), b in items}


class AdaptiveSampling:
    """A factor on the configured sampling ratio: multiplicative decrease, additive increase.

    :meth:`full` (the queue refused a job) multiplies it by ``decrease``; :meth:`room`
    (the queue is at most half full) adds ``increase``; each at most once per
    ``cooldown`` seconds (a burst of refusals is one decrease; the factor climbs back
    at a pace set by time, not by how many reads it lets through), never below
    ``floor`` nor above 1. :meth:`admit` lets a read through with the factor's
    probability.
    """

    def __init__(
        self,
        *,
        floor: float = 0.01,
        decrease: float = 0.5,
        increase: float = 0.05,
        cooldown: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.floor = floor
        self._decrease = decrease
        self._increase = increase
        self._cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._factor = 1.0
        self._last_decrease = float("-inf")
        self._last_increase = float("-inf")

    @property
    def factor(self) -> float:
        """The share of sampled reads let through now, from ``floor`` to 1."""
        return self._factor

    def admit(self) -> bool:
        """Whether this read is let through."""
        factor = self._factor
        return factor >= 1.0 or random.random() < factor

    def full(self) -> None:
        """The queue was full: lower the factor."""
        with self._lock:
            now = self._clock()
            if now - self._last_decrease < self._cooldown:
                return
            self._last_decrease = now
            self._factor = max(self.floor, self._factor * self._decrease)

    def room(self) -> None:
        """The queue has room: raise the factor towards 1."""
        if self._factor >= 1.0:
            return
        with self._lock:
            now = self._clock()
            if now - self._last_increase < self._cooldown or now - self._last_decrease < (
                self._cooldown
            ):
                return
            self._last_increase = now
            self._factor = min(1.0, self._factor + self._increase)


# --- attempts ----------------------------------------------------------------------------


class _Phase(Enum):
    QUEUED = "queued"
    BUDGETED = "budgeted"
    FREE = "free"
    EXPIRED = "expired"
    SETTLED = "settled"


class Attempt:
    """One piece of shadow work and its deadline; exactly one of finishing or expiring wins."""

    def __init__(
        self,
        runner: ShadowRunner,
        on_timeout: Callable[[], None],
        on_settled: Callable[[], None] | None = None,
    ) -> None:
        self._runner = runner
        self._on_timeout = on_timeout
        self._on_settled = on_settled
        self._lock = threading.Lock()
        self._phase = _Phase.QUEUED
        self._timer: Timer | None = None
        self._deadline: float | None = None

    def begin(self) -> bool:
        """Start the budgeted part; False if the deadline passed while queued."""
        with self._lock:
            if self._phase is not _Phase.QUEUED:
                return False
            self._phase = _Phase.BUDGETED
            return True

    def time_left(self) -> float | None:
        """Seconds left of the current budgeted part (None: no deadline)."""
        deadline = self._deadline
        return None if deadline is None else max(0.0, deadline - time.monotonic())

    def end_budget(self) -> bool:
        """End the budgeted part; False if it was abandoned (its result must be dropped)."""
        with self._lock:
            if self._phase is not _Phase.BUDGETED:
                return False
            self._phase = _Phase.FREE
            if self._timer is not None:
                self._timer.cancel()
            return True

    def rearm(self, seconds: float) -> bool:
        """Start another budgeted part of ``seconds`` (a re-read); False once abandoned."""
        with self._lock:
            if self._phase is not _Phase.FREE:
                return False
            self._phase = _Phase.BUDGETED
            self._deadline = time.monotonic() + seconds
            self._timer = self._runner.scheduler.call_later(seconds, self._expire)
        return True

    def _arm(self, seconds: float) -> None:
        with self._lock:
            self._timer = self._runner.scheduler.call_later(seconds, self._expire)

    def _expire(self) -> None:
        with self._lock:
            if self._phase not in (_Phase.QUEUED, _Phase.BUDGETED):
                return
            self._phase = _Phase.EXPIRED
        try:
            self._on_timeout()
        finally:
            self._finished()

    def settle(self) -> None:
        """The work is over (called by the runner); idempotent, a no-op once expired."""
        with self._lock:
            if self._phase in (_Phase.EXPIRED, _Phase.SETTLED):
                return
            self._phase = _Phase.SETTLED
            if self._timer is not None:
                self._timer.cancel()
        self._finished()

    def _finished(self) -> None:
        """Tell the runner (and ``on_settled``) that this attempt is over (exactly once)."""
        try:
            if self._on_settled is not None:
                self._on_settled()
        finally:
            self._runner._settled()


Work = Callable[[Attempt], None]
_Queued = tuple[Attempt, Work, contextvars.Context]


@dataclass(frozen=True)
class PoolState:
    """A snapshot of a :class:`ShadowRunner`'s pool.

    ``workers`` threads are in the pool now, ``busy`` of them running work;
    ``queued`` pieces of work wait for a worker; ``largest`` is the most workers
    the pool has had at once since it started.
    """

    workers: int
    busy: int
    queued: int
    largest: int


class ShadowRunner:
    """A pool of daemon workers that grows with load, plus deadlines and flush accounting.

    The pool starts ``settings.workers`` threads with the first piece of work.
    When work is queued and no worker is free to take it, another thread starts,
    up to ``settings.max_workers``; a worker that has waited ``settings.idle_timeout``
    seconds without work exits while the pool holds more than ``settings.workers``.
    Once the pool is at ``max_workers``, at most ``settings.queue_size`` pieces of work
    wait (beyond those free workers are about to take); more are refused at once.
    """

    def __init__(self, settings: ShadowSettings, on_error: ErrorHook) -> None:
        self.settings = settings
        self.scheduler = Scheduler("dal-shadow-timer", on_error)
        self._on_error = on_error
        self._lock = threading.Lock()
        self._work_ready = threading.Condition(self._lock)
        self._queue: deque[_Queued] = deque()
        self._threads: list[threading.Thread] = []  # started and not yet joined
        self._size = 0  # workers in the pool (a retiring worker has left it)
        self._free = 0  # workers waiting for work
        self._largest = 0
        self._numbers = itertools.count()
        self._idle = threading.Condition()
        self._pending = 0
        self._closed = False

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def pool(self) -> PoolState:
        """The pool's size, busy workers, queued work and largest size so far."""
        with self._lock:
            return PoolState(self._size, self._size - self._free, len(self._queue), self._largest)

    def submit(
        self,
        work: Work,
        *,
        budget: float | None,
        on_timeout: Callable[[], None],
        on_settled: Callable[[], None] | None = None,
    ) -> Attempt | None:
        """Queue ``work``; None (at once) when the pool is at its bound and its queue is
        full, when the runner is closed, or when no worker thread can be started.

        ``budget`` seconds, counted from now, are allowed until the work calls
        :meth:`Attempt.end_budget`; past them ``on_timeout`` runs and the work's
        result is dropped. ``budget=None`` means no deadline. ``on_settled`` runs once
        when the work is over (finished, abandoned or dropped at close).
        """
        if self._closed:
            return None
        context = work_context()
        attempt = Attempt(self, lambda: context.copy().run(on_timeout), on_settled)
        if budget is not None:
            attempt._deadline = time.monotonic() + budget  # before a worker can take it
        with self._lock:
            if self._closed or self._full():
                return None
            with self._idle:
                self._pending += 1
            self._queue.append((attempt, work, context.copy()))
            failure = self._grow()
            unserved = failure is not None and self._size == 0
            if unserved:
                self._queue.pop()
            else:
                self._work_ready.notify()
        if failure is not None:
            self._on_error("shadow pool", failure)
        if unserved:
            self._settled()
            return None
        if budget is not None:
            attempt._arm(budget)
        return attempt

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until all accepted work has finished or been abandoned; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float | None = 5.0) -> bool:
        """Stop accepting work, drop what is queued, stop the workers and the timer thread.

        Waits up to ``timeout`` seconds (None: no limit) for every worker to exit:
        idle ones exit at once, busy ones when their work returns. False when a
        worker was still running work at the end (a hung secondary call); it exits
        when the call returns.
        """
        with self._lock:
            self._closed = True
            dropped = list(self._queue)
            self._queue.clear()
            self._work_ready.notify_all()
            threads = list(self._threads)
        for attempt, _, _ in dropped:
            attempt.settle()
        self.scheduler.close()
        deadline = None if timeout is None else time.monotonic() + timeout
        current = threading.current_thread()
        for thread in threads:
            if thread is not current:
                thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        with self._lock:
            self._threads = [thread for thread in self._threads if thread.is_alive()]
            return not self._threads

    def _settled(self) -> None:
        with self._idle:
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()

    def _full(self) -> bool:
        """Whether work must be refused: the pool is at ``max_workers`` and ``queue_size``
        pieces of work wait beyond those the free workers are about to take (lock held)."""
        settings = self.settings
        unclaimed = len(self._queue) - self._free
        return self._size >= settings.max_workers and unclaimed >= settings.queue_size

    def _grow(self) -> RuntimeError | None:
        """Start the first workers, or one more when queued work outnumbers free workers.

        Called with the lock held. Returns the error of a thread that could not start
        (the pool stays as it was), else None.
        """
        settings = self.settings
        wanted = settings.workers if self._size < settings.workers else self._size + 1
        if self._size >= settings.workers and (
            len(self._queue) <= self._free or self._size >= settings.max_workers
        ):
            return None
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        while self._size < wanted:
            worker = threading.Thread(
                target=self._work, name=f"dal-shadow-{next(self._numbers)}", daemon=True
            )
            try:
                worker.start()
            except RuntimeError as error:  # the process cannot start another thread
                return error
            self._size += 1
            self._free += 1
            self._largest = max(self._largest, self._size)
            self._threads.append(worker)
        return None

    def _take(self) -> _Queued | None:
        """The next piece of work for this worker; None when it must exit.

        A free worker waits for work; past ``idle_timeout`` seconds without any it
        leaves the pool, unless the pool is at its ``workers``.
        """
        settings = self.settings
        with self._lock:
            idle_since = time.monotonic()
            while not self._queue:
                if self._closed:
                    self._leave()
                    return None
                left = idle_since + settings.idle_timeout - time.monotonic()
                if left <= 0:
                    if self._size > settings.workers:
                        self._leave()
                        return None
                    idle_since = time.monotonic()
                    left = settings.idle_timeout
                self._work_ready.wait(left)
            self._free -= 1
            return self._queue.popleft()

    def _leave(self) -> None:
        """This free worker leaves the pool (called with the lock held)."""
        self._size -= 1
        self._free -= 1

    def _done(self) -> None:
        with self._lock:
            self._free += 1

    def _work(self) -> None:
        while True:
            item = self._take()
            if item is None:
                return
            attempt, work, context = item
            try:
                context.run(work, attempt)
            except BaseException as exc:  # a worker must survive whatever the work raises
                self._on_error("shadow work", exc)
            finally:
                self._done()  # free before settled: once flushed, no worker is busy
                attempt.settle()
