"""Nothing lost under faults: each stage's writes while one side fails, then repair and verify.

For each case, three threads write through the routed store of the store example
(users, products, cart lines, orders) for a moment, then, while a fault is on one
side, for a little longer than the budget lets a caller wait; then the fault heals.
The case then checks that

* no acknowledged write is missing from the authoritative side;
* after ``dal repair`` (from the repair log, then of whole entities if needed)
  ``dal verify`` finds nothing, and no acknowledged write is missing from either side;
* the 99th percentile of the callers' waits, over the writes in flight during the
  fault, stays within what :data:`~fault_harness.BUDGET` allows.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fault_figures import Row
from fault_harness import (
    AUTHORITATIVE,
    BUDGET,
    WRITTEN,
    Backend,
    Backends,
    plain_stores,
    repair_log_entries,
    repair_then_verify,
    role,
    routed_store,
)
from fault_workload import Workload, p99, seed, states
from support.proxy import FaultProxy

from dal.local.dynamodb_local import DynamoDBLocal

pytestmark = [pytest.mark.mysql, pytest.mark.dynamodb, pytest.mark.timeout(90)]

WARMUP_SECONDS = 0.4
LONGER_THAN_BUDGET = 1.0
"""A fault lasts this much longer than the longest wait the budget allows, so that an
unbounded wait shows in the callers' latencies."""
RESET_EVERY = 0.3
LATENCY = {"mysql": 0.3, "dynamodb": 0.4}
"""Seconds each chunk is held, both ways: slow but within the read timeouts."""


@dataclass(frozen=True)
class Case:
    stage: str
    backend: Backend
    fault: str

    @property
    def id(self) -> str:
        return f"{self.stage}-{self.backend}-{self.fault}"

    @property
    def role(self) -> str:
        return role(self.stage, self.backend) or "unused"

    @property
    def described(self) -> str:
        what = "killed, restarted" if self.fault == "kill" else self.fault
        return f"{self.backend} ({self.role}) {what}"


CASES = [
    Case("off", "mysql", "reset"),
    Case("dual_write", "dynamodb", "latency"),
    Case("dual_write", "mysql", "freeze"),
    Case("shadow", "dynamodb", "kill"),
    Case("shadow", "mysql", "cut"),
    Case("live", "mysql", "latency"),
    Case("live", "dynamodb", "reset"),
    Case("rampdown", "mysql", "cut"),
    Case("rampdown", "dynamodb", "freeze"),
    Case("complete", "dynamodb", "cut"),
]


class Fault:
    """Switches one fault on a backend on, keeps it on, and heals it."""

    def __init__(self, case: Case, proxy: FaultProxy, dynamodb: DynamoDBLocal) -> None:
        self.case = case
        self.proxy = proxy
        self.dynamodb = dynamodb

    def on(self) -> None:
        kind = self.case.fault
        if kind == "latency":
            self.proxy.latency(LATENCY[self.case.backend])
        elif kind == "freeze":
            self.proxy.freeze()
        elif kind == "reset":
            self.proxy.reset()
        elif kind == "cut":
            self.proxy.cut()
        elif kind == "kill":
            self.dynamodb.kill()
        else:
            raise ValueError(kind)

    def hold(self, seconds: float) -> None:
        """Keep the fault on; a reset is repeated, so connections keep breaking."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(min(RESET_EVERY, max(0.0, deadline - time.monotonic())))
            if self.case.fault == "reset":
                self.proxy.reset()

    def heal(self) -> None:
        if self.case.fault == "kill":
            self.dynamodb.start()
        self.proxy.heal()


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_nothing_is_lost_under_the_fault(
    case: Case,
    make_backends: Callable[[str], Backends],
    mysql_proxy: FaultProxy,
    dynamodb_proxy: FaultProxy,
    fault_dynamodb: DynamoDBLocal,
    figures: list[Row],
) -> None:
    backends = make_backends(case.stage)
    proxy = mysql_proxy if case.backend == "mysql" else dynamodb_proxy
    fault = Fault(case, proxy, fault_dynamodb)
    limit = BUDGET.limit(case.backend, role(case.stage, case.backend))

    with routed_store(backends) as routed:
        start = seed(routed.store, f"{case.stage[:2]}{secrets.token_hex(3)}", threads=3)
        workload = Workload(routed.store, start)
        workload.start()
        time.sleep(WARMUP_SECONDS)
        fault_started = time.monotonic()
        fault.on()
        fault.hold(limit + LONGER_THAN_BUDGET)
        workload.stop()
        fault_ended = time.monotonic()
        fault.heal()
        settled = workload.join(timeout=30)
        routed.flush(timeout=10)
    assert not workload.crashed, workload.crashed
    assert settled, "a caller was still waiting 30 s after the fault healed"

    ledger = workload.ledger
    authoritative = AUTHORITATIVE[case.stage]
    with plain_stores(backends) as sides:
        missing_first = ledger.lost(states(sides[authoritative]))
    lost_first = {key for key, *_ in missing_first}
    logged = repair_log_entries(backends)
    reconciled = repair_then_verify(backends)
    with plain_stores(backends) as sides:
        lost_after = {side: ledger.lost(states(sides[side])) for side in ("mysql", "dynamodb")}
    lost = lost_first | {key for found in lost_after.values() for key, *_ in found}

    during = [call.seconds for call in ledger.calls_during(fault_started, fault_ended)]
    waited = p99(during)
    figures.append(
        Row(
            case=case.id,
            stage=case.stage,
            fault=case.described,
            attempted=workload.attempted,
            acknowledged=workload.acknowledged,
            lost=len(lost),
            logged=logged,
            divergences=len(reconciled.divergences),
            p99_ms=waited * 1000,
            budget_ms=limit * 1000,
        )
    )

    assert workload.acknowledged > 0, "no write was acknowledged at all"
    assert not missing_first, (
        f"acknowledged writes missing on {authoritative} (key, found, expected): {missing_first}"
    )
    assert not reconciled.divergences, (
        f"after {reconciled.steps}, dal verify still finds "
        f"{len(reconciled.divergences)}: {reconciled.divergences[:5]}"
    )
    missing = {side: found[:5] for side, found in lost_after.items() if found}
    assert not missing, f"acknowledged writes missing after repair: {missing}"
    assert waited <= limit, (
        f"caller p99 {waited:.3f} s over {len(during)} writes in flight during the fault, "
        f"budget {limit:.3f} s ({case.described}; sides written: {WRITTEN[case.stage]})"
    )
