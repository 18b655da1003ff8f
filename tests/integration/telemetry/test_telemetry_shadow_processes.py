"""DAL_SHADOW_PROCESSES through the container: worker processes built from the settings
compare the container's stores and write their records next to the caller's."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from telemetry_helpers import new_ticket, numbers

from dal.container import build_container
from dal.settings import Settings


def test_the_containers_router_compares_in_worker_processes(
    settings_for: Callable[..., Settings], tmp_path: Path
) -> None:
    flags = tmp_path / "flags.toml"
    flags.write_text('[stages]\ntickets = "shadow"\n')
    records = tmp_path / "records"
    settings = settings_for(
        shadow_processes=1,
        shadow_nice=5,
        records=records,
        repair_log=tmp_path / "repair.jsonl",
        flags=flags,
    )
    container = build_container(settings)
    try:
        store = container.routed_store()
        router = container.router()
        both, only_mysql = next(numbers), next(numbers)
        with store.unit_of_work():
            store.repository("tickets").create(new_ticket(both))
        mysql = container.routed_old_store()
        with mysql.unit_of_work():
            mysql.repository("tickets").create(new_ticket(only_mysql))

        for number in (both, only_mysql):
            with store.unit_of_work():
                store.repository("tickets").get({"project_id": 1, "number": number})
        assert router.flush(120)

        stats = router.metrics.snapshot()["operations"]["tickets.get"]
        assert stats["comparisons"] == 2
        assert stats["mismatches"] == 1
        state = router.shadow_processes()
        assert state is not None
        (pid,) = state.pids
    finally:
        container.shutdown_resources()

    written = [path for path in records.glob("*.jsonl") if path.stem.endswith(f"-{pid}")]
    assert len(written) == 1
    lines = [json.loads(line) for line in written[0].read_text().splitlines()]
    comparisons = [line for line in lines if line["kind"] == "comparison"]
    assert sorted(c["matched"] for c in comparisons) == [False, True]
    assert all(c["correlation_id"] for c in comparisons)
    assert pid != os.getpid()
