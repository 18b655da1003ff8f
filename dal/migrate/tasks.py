"""Segment tasks: plain, picklable functions that backfill or verify one segment.

A distributed engine (Dask here, :mod:`dal.migrate.distributed`; a Spark or Ray
job alike) runs :func:`backfill_segment` or :func:`verify_segment` once per
segment, on any machine that reaches both databases. Each task builds its own
connections from the :class:`~dal.settings.Settings` it is given (no
configuration is read from its environment), works on its own key range and
returns a picklable result. A backfill task resumes its segment's checkpoint,
so running it again after a failure (a retry, a lost worker) repeats at most
the pages that were in flight, which are then found written and counted as
skipped, never copied into a newer version.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from dal.migrate.backfill import BackfillOptions, EntityResult
from dal.migrate.checkpoints import SegmentId
from dal.migrate.ranges import KeyRange
from dal.migrate.tools import open_tools
from dal.migrate.verify import VerifyOptions, VerifyPart, VerifyReport
from dal.settings import Settings

__all__ = ["BackfillTask", "VerifyTask", "backfill_segment", "verify_segment"]


@dataclass(frozen=True)
class BackfillTask:
    """One segment of a backfill: where to connect, which rows, how to write them.

    ``options.workers`` is the number of writer threads within the task.
    """

    settings: Settings
    segment: SegmentId
    key_range: KeyRange
    options: BackfillOptions

    @property
    def name(self) -> str:
        """The task's name (``backfill-invoices-3-of-8``), unique within a run."""
        segment = self.segment
        return f"backfill-{segment.entity}-{segment.segment}-of-{segment.segments}"


@dataclass(frozen=True)
class VerifyTask:
    """One part of a verification: each entity's key range and one scan segment per table."""

    settings: Settings
    ranges: dict[str, KeyRange]
    part: VerifyPart
    options: VerifyOptions

    @property
    def name(self) -> str:
        """The task's name (``verify-3-of-8``)."""
        return f"verify-{self.part.part}-of-{self.part.parts}"


def backfill_segment(task: BackfillTask) -> EntityResult:
    """Copy one segment's rows (resuming its checkpoint) and return its result."""
    with open_tools(task.settings, workers=task.options.workers) as tools:
        return tools.backfill().run_segment(task.segment, task.key_range, task.options)


def verify_segment(task: VerifyTask) -> VerifyReport:
    """Verify one part: the key ranges forward, one scan segment of each table back.

    The findings travel without their ``target`` (the contract's layout objects,
    which the caller has too): :func:`~dal.migrate.distributed.DaskVerifier`
    finds it again from the item.
    """
    with open_tools(task.settings, workers=task.options.workers) as tools:
        chosen = [tools.plans[name] for name in task.ranges]
        report = tools.verifier().run_part(task.options, chosen, task.ranges, task.part)
    report.findings = [replace(finding, target=None) for finding in report.findings]
    return report
