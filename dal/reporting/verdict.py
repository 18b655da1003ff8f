"""The readiness verdict: may an entity move to its next migration stage?

An entity is ready when every check passes on the records given:

* ``min_comparisons``: at least this many comparisons (else the rates below
  say too little to be trusted);
* ``max_mismatch_rate``: the share of comparisons whose sides really disagreed
  (``drift``, and ``exception``: one side raised where the other answered, or
  they raised different errors); ``expected_staleness`` (denormalized
  snapshots) and ``transient`` (gone on a re-read) do not count;
* ``max_error_rate``: the share of calls to the new side (DynamoDB) that failed;
* ``max_p95_latency_ratio`` / ``max_p99_latency_ratio``: the new side's
  p95/p99 latency over the old side's, both measured on the same compared
  calls (skipped, and passed, when no call was timed on both sides).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from dal.reporting.aggregate import Aggregator, EntityStats
from dal.reporting.stats import LatencySample
from dal.reporting.thresholds import EntityThresholds
from dal.routing import Stage

__all__ = ["Check", "Readiness", "assess", "attempts", "next_stage"]

_NAMES = tuple(stage.value for stage in Stage)
_RESOLUTION_MS = 0.001  # latencies are recorded to the microsecond


def next_stage(stage: str | None) -> str | None:
    """The stage after ``stage`` (None after ``complete`` or for an unknown stage)."""
    if stage is None or stage not in _NAMES:
        return None
    index = _NAMES.index(stage)
    return _NAMES[index + 1] if index + 1 < len(_NAMES) else None


@dataclass(frozen=True, slots=True)
class Check:
    """One threshold check: the measured value (None: not measurable), the limit, the outcome."""

    name: str
    value: float | None
    limit: float
    passed: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Readiness:
    """The verdict for one entity: ``ready`` when every check passed; ``reasons`` when not."""

    properties: ClassVar[tuple[str, ...]] = ("reasons", "headline")
    """Derived values included in the report's JSON."""

    entity: str
    stage: str | None
    next_stage: str | None
    ready: bool
    checks: tuple[Check, ...]

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the entity is not ready (empty when it is)."""
        return tuple(check.detail for check in self.checks if not check.passed)

    @property
    def headline(self) -> str:
        """One line: ``ready to move from shadow to live`` or ``not ready: ...``."""
        if not self.ready:
            return "not ready: " + "; ".join(self.reasons)
        if self.next_stage is None:
            return f"ready (in {self.stage or 'an unknown stage'}: no stage follows)"
        return f"ready to move from {self.stage} to {self.next_stage}"


def attempts(aggregator: Aggregator, entity: EntityStats, side: str) -> int:
    """Calls to ``side`` of the entity: the routers' own counts, or at least what was recorded.

    The records show every compared call and every failure; the routers'
    metrics also count calls that were neither (the only side of a stage). The
    larger of the two is used, per operation.
    """
    total = 0
    for name, stats in entity.operations.items():
        recorded = stats.comparisons + stats.errors.by_origin[side]
        total += max(recorded, aggregator.calls.calls(entity.entity, name)[side])
    return total


def _percent(value: float) -> str:
    return f"{value * 100:.2f}%"


def _comparisons(count: int, limit: float) -> Check:
    passed = count >= limit
    detail = f"{count} comparisons" + ("" if passed else f", fewer than the {limit:.0f} needed")
    return Check("min_comparisons", float(count), limit, passed, detail)


def _mismatch(entity: EntityStats, limit: float) -> Check:
    comparisons, drifted = entity.total("comparisons"), entity.total("drifted")
    rate = drifted / comparisons if comparisons else 0.0
    passed = rate <= limit
    detail = f"mismatch rate {_percent(rate)} ({drifted} of {comparisons} comparisons drifted)"
    if not passed:
        detail += f", above {_percent(limit)}"
    return Check("max_mismatch_rate", rate, limit, passed, detail)


def _errors(aggregator: Aggregator, entity: EntityStats, limit: float) -> Check:
    calls = attempts(aggregator, entity, "new")
    failed = sum(stats.errors.by_origin["new"] for stats in entity.operations.values())
    rate = failed / calls if calls else 0.0
    passed = rate <= limit
    detail = f"new-side error rate {_percent(rate)} ({failed} of {calls} calls failed)"
    if not passed:
        detail += f", above {_percent(limit)}"
    return Check("max_error_rate", rate, limit, passed, detail)


def _latency(
    name: str, share: float, old: LatencySample, new: LatencySample, limit: float
) -> Check:
    label = f"p{round(share * 100)}"
    old_value, new_value = old.percentile(share), new.percentile(share)
    if old_value is None or new_value is None:
        return Check(name, None, limit, True, f"{label} latency ratio: no call timed on both sides")
    ratio = new_value / max(old_value, _RESOLUTION_MS)
    passed = ratio <= limit
    detail = f"{label} latency ratio {ratio:.2f} (new {new_value:.3g} ms / old {old_value:.3g} ms)"
    if not passed:
        detail += f", above {limit:g}"
    return Check(name, ratio, limit, passed, detail)


def assess(aggregator: Aggregator, entity: EntityStats, limits: EntityThresholds) -> Readiness:
    """Check ``entity`` against ``limits``; the verdict for moving to its next stage."""
    old, new = entity.latency_old, entity.latency_new
    checks = (
        _comparisons(entity.total("comparisons"), limits["min_comparisons"]),
        _mismatch(entity, limits["max_mismatch_rate"]),
        _errors(aggregator, entity, limits["max_error_rate"]),
        _latency("max_p95_latency_ratio", 0.95, old, new, limits["max_p95_latency_ratio"]),
        _latency("max_p99_latency_ratio", 0.99, old, new, limits["max_p99_latency_ratio"]),
    )
    return Readiness(
        entity=entity.entity,
        stage=entity.stage,
        next_stage=next_stage(entity.stage),
        ready=all(check.passed for check in checks),
        checks=checks,
    )
