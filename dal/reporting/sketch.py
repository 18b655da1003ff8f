"""A mergeable quantile sketch for latencies: counts in logarithmic buckets.

A value ``v`` > 0 falls in bucket ``ceil(log(v) / log(gamma))`` with ``gamma =
(1 + a) / (1 - a)``; every value of a bucket is within the relative accuracy
``a`` of the bucket's representative, so any percentile is too (the idea of
DDSketch). Memory grows with the logarithm of the spread of the values (a few
hundred buckets from microseconds to minutes), never with their number, and two
sketches merge by adding their counts, which is what time buckets and pooled
percentiles need.
"""

from __future__ import annotations

import math

__all__ = ["RELATIVE_ACCURACY", "LogHistogram"]

RELATIVE_ACCURACY = 0.005
"""Every percentile is within 0.5% of the exact one (nearest rank)."""

_GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_PER_LOG = 1 / math.log(_GAMMA)
_SMALLEST = 0.001
"""Values at or below this (ms: the recording's resolution) are counted as zero."""


class LogHistogram:
    """Counts of latencies (ms) in logarithmic buckets; percentiles within 0.5%."""

    __slots__ = ("buckets", "count", "zeros")

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.zeros = 0
        self.count = 0

    def add(self, value: float, times: int = 1) -> None:
        """Count ``value`` (``times`` times)."""
        self.count += times
        if value <= _SMALLEST:
            self.zeros += times
            return
        index = math.ceil(math.log(value) * _PER_LOG)
        buckets = self.buckets
        buckets[index] = buckets.get(index, 0) + times

    def merge(self, other: LogHistogram) -> None:
        """Add the counts of ``other``."""
        self.count += other.count
        self.zeros += other.zeros
        buckets = self.buckets
        for index, count in other.buckets.items():
            buckets[index] = buckets.get(index, 0) + count

    def percentile(self, share: float) -> float | None:
        """The nearest-rank percentile ``share`` (0..1], rounded to 0.001 ms; None if empty."""
        if not self.count:
            return None
        rank = min(self.count, max(1, math.ceil(share * self.count)))
        if rank <= self.zeros:
            return 0.0
        seen = self.zeros
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                return round(2 * _GAMMA**index / (_GAMMA + 1), 3)
        return None  # not reached: the counts add up to count
