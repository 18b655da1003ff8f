"""Records at fleet scale: one file per process, rotated and gzip-compressed, read back whole.

A real writer process records through ``JsonlRecorder`` into a folder with a small
rotation size; reports read the folder, a glob and the files, gzip included, while
it writes and after, and count every record exactly once.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from support.records_writer import start_writer as _write
from typer.testing import CliRunner

from dal.cli import app
from dal.reporting import aggregate_files
from dal.reporting.sources import expand_sources, total_bytes
from dal.routing.recording import JsonlRecorder, MetricsRecord


def test_a_writer_process_rotates_and_compresses_and_every_record_is_read_once(tmp_path: Path):
    folder = tmp_path / "records"
    writer = _write(folder, 600)
    current, _ = writer.communicate(timeout=60)
    assert writer.returncode == 0

    files = sorted(p.name for p in folder.iterdir())
    stem = Path(current.strip()).name.removesuffix(".jsonl")
    assert f"{stem}.jsonl" in files
    rotated = [name for name in files if name.endswith(".jsonl.gz")]
    assert len(rotated) >= 5, files
    assert not [name for name in files if name.startswith(".")], "no partial file left"
    with gzip.open(folder / rotated[0], "rt") as first:
        assert first.readline().startswith('{"kind":"comparison"')
    assert oct((folder / rotated[0]).stat().st_mode & 0o777) == "0o600"

    for sources in ([str(folder)], [str(folder / "*.jsonl*")], expand_sources([str(folder)])):
        aggregator = aggregate_files(sources)
        stats = aggregator.entities["accounts"].operations["get"]
        assert stats.comparisons == 600
        assert stats.latency_new.count == 600
        assert stats.latency_new.percentile(1.0) == 600.0
        # the segments are one writer's stream: its cumulative counts are not added up
        assert aggregator.calls.calls("accounts", "get") == {"old": 600, "new": 600}
    ordered = expand_sources([str(folder / "*")])
    assert ordered[-1].endswith(f"{stem}.jsonl"), "the current file is read last"
    assert ordered[:-1] == sorted(ordered[:-1]), "segments in the order they were written"


def test_a_report_during_rotation_never_counts_a_record_twice(tmp_path: Path):
    folder = tmp_path / "records"
    folder.mkdir()
    writer = _write(folder, 3000)
    seen: list[int] = []
    try:
        while writer.poll() is None:
            if any(folder.iterdir()):
                aggregator = aggregate_files([str(folder / "*.jsonl*")])
                stats = aggregator.entities.get("accounts")
                seen.append(stats.total("comparisons") if stats else 0)
    finally:
        writer.communicate(timeout=60)
    assert writer.returncode == 0
    assert all(count <= 3000 for count in seen)
    assert aggregate_files([str(folder)]).entities["accounts"].total("comparisons") == 3000


def test_many_files_of_many_processes_and_plain_or_gzip_are_read_alike(tmp_path: Path):
    folders = [tmp_path / f"host{n}" for n in range(3)]
    writers = [_write(folder, 200) for folder in folders]
    for writer in writers:
        writer.communicate(timeout=60)
    plain = tmp_path / "plain.jsonl"
    with gzip.open(next(folders[0].glob("*.gz")), "rb") as stream:
        plain.write_bytes(stream.read())
    hidden = tmp_path / "renamed.log"  # gzip is told by its first bytes, not its name
    hidden.write_bytes(next(folders[0].glob("*.gz")).read_bytes())

    aggregator = aggregate_files([str(tmp_path / "host*"), str(plain), str(hidden)])

    segment = plain.read_text().count('"kind":"comparison"')
    assert aggregator.entities["accounts"].total("comparisons") == 600 + 2 * segment
    fleet = aggregate_files([str(tmp_path / "host*")])
    assert fleet.calls.calls("accounts", "get") == {"old": 600, "new": 600}


def test_report_and_gate_take_a_glob_and_count_progress_in_bytes_on_disk(tmp_path: Path):
    folder = tmp_path / "records"
    writer = _write(folder, 600)
    writer.communicate(timeout=60)
    advanced: list[int] = []

    aggregate_files([str(folder / "*.jsonl*")], progress=advanced.append)

    assert sum(advanced) == total_bytes(expand_sources([str(folder)]))
    glob = str(folder / "*.jsonl*")
    gated = CliRunner().invoke(app, ["gate", "--entity", "accounts", "--from", glob, "--json"])
    assert gated.exit_code == 1, gated.output  # not ready: the new side took 1..600 ms
    assert json.loads(gated.output)["checks"][0]["value"] == 600
    reported = CliRunner().invoke(app, ["report", "--from", glob, "--out", str(tmp_path / "out")])
    assert reported.exit_code == 0, reported.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["entities"][0]["comparisons"] == 600
    assert len(report["sources"]) == len(expand_sources([str(folder)]))
    assert report["entities"][0]["timeline"]["points"], "the charts' series are in the JSON"


def test_a_forked_child_records_into_a_file_of_its_own(tmp_path: Path):
    folder = tmp_path / "records"
    recorder = JsonlRecorder(folder)
    recorder.record(MetricsRecord({"operations": {}}))
    child = os.fork()
    if child == 0:  # as a pre-forking server's worker would
        try:
            recorder.record(MetricsRecord({"operations": {}}))
            recorder.close()
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    recorder.record(MetricsRecord({"operations": {}}))
    recorder.close()

    lines = {path.name: len(path.read_text().splitlines()) for path in folder.iterdir()}
    host = recorder.file.stem.rsplit("-", 1)[0]
    assert lines == {recorder.file.name: 2, f"{host}-{child}.jsonl": 1}
