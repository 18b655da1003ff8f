"""Backfill, verify and repair with their segments as tasks on Dask distributed.

:func:`dask_client` connects to a scheduler (``tcp://host:8786``) or starts a
``LocalCluster`` of worker processes. :class:`DaskBackfill` splits each entity
into key ranges (kept with the checkpoints, as a one-process run does) and
submits one :func:`~dal.migrate.tasks.backfill_segment` per range;
:class:`DaskVerifier` submits one :func:`~dal.migrate.tasks.verify_segment` per
part and merges the reports, and a repair that uses it verifies on the
cluster and writes from the calling process. Tasks carry their names into the
Dask dashboard (``backfill-invoices-3-of-8``); a task that raises is retried
``retries`` times, and a task whose worker died is run again on another worker
by the scheduler; either way a backfill segment resumes from its checkpoint.

Dask is an optional dependency (``pip install 'dual-dal[dask]'``); this module
imports it only when a client is opened.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from dal.migrate.backfill import BackfillOptions, BackfillSummary, EntityResult, select_plans
from dal.migrate.checkpoints import SegmentId
from dal.migrate.identify import ItemIdentifier
from dal.migrate.plan import SourcePlan
from dal.migrate.progress import NoProgress, ProgressReporter
from dal.migrate.ranges import split_ranges
from dal.migrate.tasks import BackfillTask, VerifyTask, backfill_segment, verify_segment
from dal.migrate.tools import MigrationTools
from dal.migrate.verify import (
    EntityCounts,
    Finding,
    Kind,
    Verifier,
    VerifyOptions,
    VerifyPart,
    VerifyReport,
)
from dal.settings import Settings

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "DaskBackfill",
    "DaskUnavailable",
    "DaskVerifier",
    "check_workers",
    "dask_client",
    "default_segments",
]

T = TypeVar("T")
R = TypeVar("R")


class DaskUnavailable(RuntimeError):
    """Dask distributed is not installed, or its workers cannot run the layer's tasks."""


@contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[Client]:
    """A client of ``scheduler``, or of a LocalCluster of ``workers`` single-threaded processes.

    The local cluster's dashboard address is printed by Dask's own logging; a
    remote cluster's is the scheduler's (port 8787 by default).
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise DaskUnavailable(
            "--engine dask needs Dask distributed: pip install 'dual-dal[dask]'"
        ) from exc
    if scheduler is not None:
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]  # untyped library
            yield client
        return
    cluster = LocalCluster(  # type: ignore[no-untyped-call]  # untyped library
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield client


def default_segments(client: Client, segments: int) -> int:
    """``segments``, or when it is 1, twice the cluster's worker threads (at least 2)."""
    if segments > 1:
        return segments
    workers = client.scheduler_info()["workers"].values()
    threads = sum(int(w.get("nthreads", 1)) for w in workers)
    return max(2, 2 * threads)


def check_workers(client: Client) -> None:
    """Raise :class:`DaskUnavailable` unless every worker can import the layer's tasks.

    A worker without the package (or whose ``sys.path`` finds another module of
    the same name first) cannot unpickle a segment task and drops its
    connection, so the run would wait forever; asking first gives an error that
    names the worker instead.
    """
    try:
        client.run(importlib.import_module, "dal.migrate.tasks")
    except Exception as exc:
        raise DaskUnavailable(
            f"a Dask worker cannot import the layer ({type(exc).__name__}: {exc}); "
            "install dual-dal, at the same version, wherever the workers run"
        ) from exc


def run_tasks(
    client: Client,
    function: Callable[[T], R],
    tasks: Sequence[T],
    names: Sequence[str],
    retries: int,
    done: Callable[[R], None],
) -> list[R]:
    """Run ``function`` on every task on the cluster; ``done`` sees each result as it comes."""
    from distributed import as_completed

    check_workers(client)
    run = uuid.uuid4().hex[:8]  # a run's keys never meet a former run's results
    keys = [f"{name}-{run}" for name in names]
    futures = client.map(function, tasks, key=keys, retries=retries, pure=False)
    for future in as_completed(futures):  # type: ignore[no-untyped-call]  # untyped library
        done(future.result())
    return [future.result() for future in futures]


class DaskBackfill:
    """A backfill whose segments run as Dask tasks; the same result as one process."""

    def __init__(
        self,
        tools: MigrationTools,
        settings: Settings,
        client: Client,
        progress: ProgressReporter | None = None,
        retries: int = 2,
        threads: int = 4,
    ) -> None:
        self._tools = tools
        self._settings = settings
        self._client = client
        self._progress = progress or NoProgress()
        self._retries = retries
        self._threads = threads

    def tasks(self, options: BackfillOptions) -> list[BackfillTask]:
        """One task per segment of every chosen entity (``options.segments`` each)."""
        backfill = self._tools.backfill()
        tasks = []
        for plan in select_plans(self._tools.plans, options.entities):
            if options.reset_checkpoint:
                backfill.reset(plan, options.segments)
            ranges = backfill.split(plan, options.segments)
            for number, key_range in enumerate(ranges):
                segment = SegmentId(plan.name, number, options.segments)
                each = replace(
                    options, segment=number, workers=self._threads, reset_checkpoint=False
                )
                tasks.append(BackfillTask(self._settings, segment, key_range, each))
        return tasks

    def run(self, options: BackfillOptions) -> BackfillSummary:
        """Backfill every segment of the chosen entities on the cluster."""
        tasks = self.tasks(options)
        for plan in select_plans(self._tools.plans, options.entities):
            self._progress.start(f"{plan.name} segments", options.segments)

        def done(result: EntityResult) -> None:
            self._progress.advance(f"{result.segment.entity} segments", 1)

        results = run_tasks(
            self._client, backfill_segment, tasks, [t.name for t in tasks], self._retries, done
        )
        for plan in select_plans(self._tools.plans, options.entities):
            self._progress.finish(f"{plan.name} segments")
        return BackfillSummary(results)


class DaskVerifier(Verifier):
    """A verifier whose whole runs (:meth:`run`) go to the cluster in ``parts`` parts.

    Its other methods (by key, for repairs by entry) run in this process.
    """

    def __init__(
        self,
        tools: MigrationTools,
        settings: Settings,
        client: Client,
        parts: int,
        progress: ProgressReporter | None = None,
        retries: int = 2,
    ) -> None:
        super().__init__(tools.engine, tools.client, tools.plans, tools.tables, progress)
        self._settings = settings
        self._dask = client
        self._parts = parts
        self._retries = retries

    def tasks(self, options: VerifyOptions, chosen: Sequence[SourcePlan]) -> list[VerifyTask]:
        """One task per part: every chosen entity's key range and one scan segment per table."""
        splits = {plan.name: split_ranges(self._engine, plan.table, self._parts) for plan in chosen}
        return [
            VerifyTask(
                self._settings,
                {name: ranges[part] for name, ranges in splits.items()},
                VerifyPart(part, self._parts),
                options,
            )
            for part in range(self._parts)
        ]

    def run(self, options: VerifyOptions, chosen: Sequence[SourcePlan]) -> VerifyReport:
        """Verify ``chosen`` both ways on the cluster; the merged report of every part."""
        tasks = self.tasks(options, chosen)
        progress = self._progress
        progress.start("verify parts", len(tasks))

        def done(_report: VerifyReport) -> None:
            progress.advance("verify parts", 1)

        reports = run_tasks(
            self._dask, verify_segment, tasks, [t.name for t in tasks], self._retries, done
        )
        progress.finish("verify parts")
        merged = VerifyReport(include_denormalized=options.include_denormalized)
        merged.counts = {plan.name: EntityCounts() for plan in chosen}
        for report in reports:
            merged.merge(report)
        identifier = ItemIdentifier(self.plans.values())
        merged.findings = [_with_target(finding, identifier) for finding in merged.findings]
        return merged


def _with_target(finding: Finding, identifier: ItemIdentifier) -> Finding:
    """``finding`` with the target that made its item, found again from the item."""
    if finding.kind is not Kind.MISSING_IN_MYSQL or finding.actual is None:
        return finding
    owner = identifier.owner(finding.table, finding.actual)
    return finding if owner is None else replace(finding, target=owner.target)
