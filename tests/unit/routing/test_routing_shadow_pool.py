"""The shadow pool grows with queued work up to ``max_workers`` and shrinks back when idle."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from dal.routing import PoolState, ShadowSettings
from dal.routing.shadow import Attempt, ShadowRunner

DEADLINE = 30.0  # seconds: a generous bound on waiting for a condition on a loaded machine


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail after :data:`DEADLINE` seconds."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DEADLINE:g} s: {what}")
        time.sleep(0.01)


class Blocking:
    """Work that reports its start and then blocks until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Semaphore(0)
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, attempt: Attempt) -> None:
        with self._lock:
            self.threads.add(threading.current_thread().name)
        self.started.release()
        assert self.release.wait(DEADLINE)

    def wait_started(self, count: int) -> None:
        """Wait until ``count`` more pieces of work have started."""
        for _ in range(count):
            assert self.started.acquire(timeout=DEADLINE), "work did not start"


@pytest.fixture
def runner_factory() -> Iterator[Callable[[ShadowSettings], ShadowRunner]]:
    runners: list[ShadowRunner] = []

    def make(settings: ShadowSettings) -> ShadowRunner:
        runner = ShadowRunner(settings, lambda _operation, error: None)
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        runner.close(timeout=DEADLINE)


def _submit(runner: ShadowRunner, work: Blocking) -> Attempt:
    attempt = runner.submit(work, budget=None, on_timeout=lambda: None)
    assert attempt is not None, "the runner refused work"
    return attempt


def test_the_pool_starts_at_workers_and_does_not_grow_while_a_worker_is_free(runner_factory):
    runner = runner_factory(ShadowSettings(workers=2, max_workers=6))
    assert runner.pool() == PoolState(workers=0, busy=0, queued=0, largest=0)
    work = Blocking()
    try:
        _submit(runner, work)
        work.wait_started(1)
        assert runner.pool() == PoolState(workers=2, busy=1, queued=0, largest=2)
        _submit(runner, work)  # the second worker is free: it takes this one
        work.wait_started(1)
        assert runner.pool() == PoolState(workers=2, busy=2, queued=0, largest=2)
    finally:
        work.release.set()
    assert runner.flush(DEADLINE)


def test_queued_work_with_every_worker_busy_starts_another_worker_up_to_max(runner_factory):
    runner = runner_factory(ShadowSettings(workers=2, max_workers=4, queue_size=8))
    work = Blocking()
    try:
        for _ in range(2):
            _submit(runner, work)
        work.wait_started(2)  # both first workers busy
        for _ in range(2):
            _submit(runner, work)  # each starts a worker of its own
        work.wait_started(2)
        assert runner.pool() == PoolState(workers=4, busy=4, queued=0, largest=4)
        for _ in range(3):
            _submit(runner, work)  # the pool is at its bound: these wait in the queue
        assert runner.pool() == PoolState(workers=4, busy=4, queued=3, largest=4)
        assert len(work.threads) == 4
    finally:
        work.release.set()
    assert runner.flush(DEADLINE)
    assert runner.pool().queued == 0
    assert len(work.threads) == 4  # the queued work ran on the same four workers


def test_work_beyond_the_queue_is_refused_at_once_when_the_pool_is_at_its_bound(runner_factory):
    runner = runner_factory(ShadowSettings(workers=1, max_workers=2, queue_size=1))
    work = Blocking()
    try:
        for _ in range(2):
            _submit(runner, work)
        work.wait_started(2)
        _submit(runner, work)  # queued
        assert runner.submit(work, budget=None, on_timeout=lambda: None) is None
        assert runner.pool() == PoolState(workers=2, busy=2, queued=1, largest=2)
    finally:
        work.release.set()
    assert runner.flush(DEADLINE)


def test_workers_beyond_workers_exit_after_idle_timeout_and_the_pool_can_grow_again(
    runner_factory,
):
    settings = ShadowSettings(workers=1, max_workers=3, queue_size=4, idle_timeout=0.2)
    runner = runner_factory(settings)
    work = Blocking()
    for _ in range(3):
        _submit(runner, work)
    work.wait_started(3)
    assert runner.pool().workers == 3
    work.release.set()
    assert runner.flush(DEADLINE)
    _wait_until(lambda: runner.pool().workers == 1, "the pool shrinks back to its workers")
    assert runner.pool() == PoolState(workers=1, busy=0, queued=0, largest=3)
    _wait_until(lambda: len(_shadow_threads_of(work)) == 1, "the idle workers' threads end")

    again = Blocking()
    try:
        for _ in range(2):
            _submit(runner, again)
        again.wait_started(2)  # the remaining worker took one, a new one the other
        assert runner.pool() == PoolState(workers=2, busy=2, queued=0, largest=3)
    finally:
        again.release.set()
    assert runner.flush(DEADLINE)


def _shadow_threads_of(work: Blocking) -> set[str]:
    alive = {thread.name for thread in threading.enumerate()}
    return work.threads & alive


def test_the_pool_never_shrinks_below_workers(runner_factory):
    runner = runner_factory(ShadowSettings(workers=2, max_workers=2, idle_timeout=0.05))
    work = Blocking()
    work.release.set()
    _submit(runner, work)
    assert runner.flush(DEADLINE)
    never = threading.Event()
    assert not never.wait(0.5)  # ten idle timeouts pass with nothing to do
    assert runner.pool().workers == 2


def test_close_joins_every_worker_including_grown_ones(runner_factory):
    runner = runner_factory(ShadowSettings(workers=1, max_workers=3, queue_size=4))
    work = Blocking()
    for _ in range(3):
        _submit(runner, work)
    work.wait_started(3)
    queued = _submit(runner, work)
    assert runner.pool() == PoolState(workers=3, busy=3, queued=1, largest=3)
    threads = [t for t in threading.enumerate() if t.name in work.threads]
    assert len(threads) == 3
    closing = threading.Thread(target=runner.close, kwargs={"timeout": DEADLINE})
    closing.start()
    _wait_until(lambda: runner.closed, "close starts")
    assert runner.submit(work, budget=None, on_timeout=lambda: None) is None
    work.release.set()
    closing.join(DEADLINE)
    assert not closing.is_alive()
    assert not any(thread.is_alive() for thread in threads)
    assert runner.pool().workers == 0
    assert runner.flush(DEADLINE)  # the queued work was dropped and settled
    assert queued is not None


def test_close_gives_up_on_a_worker_still_running_its_work(runner_factory):
    runner = runner_factory(ShadowSettings(workers=1, max_workers=1))
    work = Blocking()
    try:
        _submit(runner, work)
        work.wait_started(1)
        assert runner.close(timeout=0.1) is False  # the work has not returned
    finally:
        work.release.set()
    assert runner.close(timeout=DEADLINE) is True


def test_many_submitters_at_once_keep_the_accounting_exact(runner_factory):
    settings = ShadowSettings(workers=2, max_workers=8, queue_size=64, idle_timeout=0.1)
    runner = runner_factory(settings)
    done = threading.Semaphore(0)
    ran: list[int] = []
    lock = threading.Lock()

    def quick(attempt: Attempt) -> None:
        with lock:
            ran.append(1)
        done.release()

    accepted = [0] * 8

    def submitter(number: int) -> None:
        for _ in range(50):
            if runner.submit(quick, budget=None, on_timeout=lambda: None) is not None:
                accepted[number] += 1

    submitters = [threading.Thread(target=submitter, args=(n,)) for n in range(8)]
    for thread in submitters:
        thread.start()
    for thread in submitters:
        thread.join(DEADLINE)
    assert runner.flush(DEADLINE)
    assert len(ran) == sum(accepted) > 0
    state = runner.pool()
    assert state.busy == 0
    assert state.queued == 0
    assert settings.workers <= state.workers <= state.largest <= settings.max_workers
    _wait_until(lambda: runner.pool().workers == settings.workers, "the pool shrinks back")


def test_max_workers_below_workers_is_refused_naming_both() -> None:
    with pytest.raises(ValueError, match=r"max_workers \(2\) must be at least workers \(4\)"):
        ShadowSettings(workers=4, max_workers=2)
    with pytest.raises(ValueError, match="idle_timeout out of range"):
        ShadowSettings(idle_timeout=0)
    assert ShadowSettings(workers=5, max_workers=5).max_workers == 5


class _Unstartable(threading.Thread):
    """A thread class whose shadow workers cannot start while ``refuse`` is set."""

    refuse = threading.Event()

    def start(self) -> None:
        if self.name.startswith("dal-shadow-") and self.refuse.is_set():
            raise RuntimeError("can't start new thread")
        super().start()


def test_a_worker_that_cannot_start_is_reported_and_never_reaches_the_caller(monkeypatch):
    monkeypatch.setattr(threading, "Thread", _Unstartable)
    errors: list[tuple[str, BaseException]] = []
    runner = ShadowRunner(
        ShadowSettings(workers=1, max_workers=2, queue_size=2),
        lambda operation, error: errors.append((operation, error)),
    )
    work = Blocking()
    try:
        _Unstartable.refuse.set()
        assert runner.submit(work, budget=None, on_timeout=lambda: None) is None  # no worker
        assert runner.flush(DEADLINE)  # the refused work is not pending
        _Unstartable.refuse.clear()
        _submit(runner, work)
        work.wait_started(1)
        _Unstartable.refuse.set()
        _submit(runner, work)  # no second worker, but the first will take it: queued
        assert runner.pool() == PoolState(workers=1, busy=1, queued=1, largest=1)
        assert [operation for operation, _ in errors] == ["shadow pool", "shadow pool"]
    finally:
        _Unstartable.refuse.clear()
        work.release.set()
        runner.close(timeout=DEADLINE)
    assert runner.flush(DEADLINE)
    assert len(work.threads) == 1
