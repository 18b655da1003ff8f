"""`dal report` over a million records: its time and peak memory against just parsing the lines.

Generates ``--records`` realistic router records (default 1,000,000) with the
router's own serializer (``dal.routing.recording.to_json_line``): several
entities and operations moving through every stage, comparisons of every
category (some with differing field paths), errors of both sides, shadow drops
and periodic metrics snapshots, spread over ``--processes`` per-process files
of which all but the newest segment are rotated and gzip-compressed, as the
router's recorder leaves them. Then, in one run:

* **raw**: read every line of the same files (gzip included) and ``json.loads`` it,
  nothing more: the floor any report must pay;
* **report**: ``dal.reporting.report_from_files`` over the glob, then the three
  renderings (JSON, Markdown, HTML with its charts) written to a folder.

Each runs in a process of its own, forked after the imports, so that its peak
resident memory (``resource.getrusage``) is its own. It prints each one's wall
time and peak memory, the report's records per second, and the ratios report / raw.

Run: ``.venv/bin/python bench/bench_report.py [--records 1000000] [--processes 4]
[--keep DIR]``.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import multiprocessing
import random
import resource
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from dal.reporting import report_from_files, resolve_thresholds, write_report
from dal.routing.recording import (
    Category,
    Comparison,
    Difference,
    DropRecord,
    ErrorRecord,
    MetricsRecord,
    Record,
    to_json_line,
)
from dal.routing.stages import Stage

ENTITIES = {
    "accounts": ("get", "create", "update", "by_email"),
    "invoices": ("get", "create", "by_account", "delete"),
    "shipments": ("get", "update", "by_invoice"),
    "ledger_lines": ("get", "create", "by_invoice"),
}
STAGES = (Stage.DUAL_WRITE, Stage.SHADOW, Stage.LIVE, Stage.RAMPDOWN)
SEGMENT_LINES = 60_000
"""Lines per rotated segment (the recorder rotates by size; this is about 20 MB)."""


def _category(rng: random.Random) -> Category:
    roll = rng.random()
    if roll < 0.96:
        return Category.MATCH
    if roll < 0.98:
        return Category.DRIFT
    if roll < 0.99:
        return Category.EXPECTED_STALENESS
    return Category.TRANSIENT if roll < 0.997 else Category.EXCEPTION


def _comparison(rng: random.Random, entity: str, operation: str, stage: Stage, at: datetime):
    category = _category(rng)
    differences: tuple[Difference, ...] = ()
    if category in (Category.DRIFT, Category.EXPECTED_STALENESS, Category.TRANSIENT):
        path = rng.choice(("total", "status", f"lines[{rng.randrange(5)}].price", "updated_at"))
        differences = (Difference(path, rng.randrange(100), rng.randrange(100), category),)
    old = rng.lognormvariate(0.5, 0.4)
    return Comparison(
        entity=entity,
        operation=operation,
        stage=stage,
        matched=category is Category.MATCH,
        category=category,
        differences=differences,
        op_kind="command" if operation in ("create", "update", "delete") else "query",
        old_latency_ms=old,
        new_latency_ms=old * rng.uniform(0.6, 1.6),
        at=at,
    )


def _metrics(counts: dict[str, int], at: datetime) -> MetricsRecord:
    operations = {
        name: {
            "entity": name.split(".")[0],
            "operation": name.split(".")[1],
            "latency_ms": {"old": {"count": count}, "new": {"count": count}},
        }
        for name, count in counts.items()
    }
    return MetricsRecord(metrics={"operations": operations}, at=at)


def generate(records: int, seed: int = 7) -> Iterator[Record]:
    """``records`` records of one process, in time order, every stage in turn."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    counts: dict[str, int] = {}
    for number in range(records):
        at = start + timedelta(milliseconds=number * 3)
        stage = STAGES[min(len(STAGES) - 1, number * len(STAGES) // records)]
        entity = rng.choice(tuple(ENTITIES))
        operation = rng.choice(ENTITIES[entity])
        counts[f"{entity}.{operation}"] = counts.get(f"{entity}.{operation}", 0) + 1
        roll = rng.random()
        if number % 5000 == 4999:
            yield _metrics(counts, at)
        elif roll < 0.01:
            error = TimeoutError("read timed out after 5.0 s")
            origin = "new" if rng.random() < 0.7 else "old"
            yield ErrorRecord(origin, entity, operation, stage, error, str(error), at=at)
        elif roll < 0.015:
            reason = rng.choice(("pool_full", "timeout", "circuit_open"))
            yield DropRecord(entity, operation, stage, reason, rng.randrange(1, 4), at=at)
        else:
            yield _comparison(rng, entity, operation, stage, at)


def write_files(folder: Path, records: int, processes: int) -> list[Path]:
    """Per-process files in ``folder``: rotated, gzip-compressed segments and a current one."""
    written: list[Path] = []
    share = records // processes
    for process in range(processes):
        lines = [to_json_line(r) + "\n" for r in generate(share, seed=process)]
        segments = [lines[i : i + SEGMENT_LINES] for i in range(0, len(lines), SEGMENT_LINES)]
        stem = f"host-{1000 + process}"
        for number, segment in enumerate(segments[:-1], start=1):
            path = folder / f"{stem}.{number:06d}.jsonl.gz"
            with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as stream:
                stream.writelines(segment)
            written.append(path)
        current = folder / f"{stem}.jsonl"
        current.write_text("".join(segments[-1]), encoding="utf-8")
        written.append(current)
    return written


def raw_parse(paths: list[Path]) -> int:
    """The floor: open every file (gzip too), json.loads every line; the number of lines."""
    count = 0
    for path in paths:
        opener: Callable[..., Any] = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as stream:
            for line in stream:
                json.loads(line)
                count += 1
    return count


def _child(work: Callable[[], Any], answer: Connection) -> None:
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    answer.send((elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(label: str, work: Callable[[], Any]) -> tuple[float, float]:
    """Run ``work`` in a process of its own (forked after the imports); print and return
    its wall time and that process's peak resident memory (MiB)."""
    receive, send = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("fork").Process(target=_child, args=(work, send))
    process.start()
    elapsed, peak = receive.recv()
    process.join()
    print(f"{label:<8} {elapsed:8.2f} s   peak RSS {peak:8.1f} MiB")
    return elapsed, peak


def main() -> None:
    """Generate, then time the raw parse and the report in the same run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-report-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        paths = write_files(folder, args.records, args.processes)
        size = sum(p.stat().st_size for p in paths)
        print(
            f"generated {args.records} records in {len(paths)} files ({size / 2**20:.0f} MiB on "
            f"disk, gzip included) in {time.perf_counter() - started:.1f} s"
        )
        pattern = str(folder / "*.jsonl*")
        assert sorted(glob.glob(pattern)) == sorted(map(str, paths))
        thresholds = resolve_thresholds(None)
        raw_time, raw_peak = measure("raw", lambda: raw_parse(paths))
        out = folder / "report"

        def report() -> None:
            write_report(report_from_files([pattern], thresholds), out)

        report_time, report_peak = measure("report", report)
        print(f"report   {args.records / report_time:,.0f} records/s")
        print(
            f"ratio report/raw: time {report_time / raw_time:.2f}x, "
            f"peak RSS {report_peak / raw_peak:.2f}x"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
