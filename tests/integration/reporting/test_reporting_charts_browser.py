"""The HTML report's charts, rendered by headless Chromium: laid out, drawn, and inked.

A report over records of two entities moving through the stages is opened in
Chromium (over the DevTools protocol). For every chart the browser must give a
box of real size, a non-empty bounding box for every plotted mark, and, when
the chart is rasterized onto a canvas, a share of non-white pixels: the chart was
drawn, not just written into the markup.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from servers import servers_required
from support.chromium import Chromium, find_chromium

from dal.reporting import Thresholds, report_from_files, write_report
from dal.routing.recording import (
    Category,
    Comparison,
    Difference,
    ErrorRecord,
    JsonlRecorder,
)
from dal.routing.stages import Stage

MEASURE = """
(async () => {
  const charts = [];
  for (const svg of document.querySelectorAll('svg.chart')) {
    const box = svg.getBoundingClientRect();
    const marks = [...svg.querySelectorAll('.mark')];
    const drawn = marks.filter(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; });
    const view = svg.viewBox.baseVal;
    const image = new Image();
    image.src = 'data:image/svg+xml;charset=utf-8,' +
      encodeURIComponent(new XMLSerializer().serializeToString(svg));
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = view.width; canvas.height = view.height;
    const context = canvas.getContext('2d');
    context.fillStyle = '#fff'; context.fillRect(0, 0, view.width, view.height);
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, view.width, view.height).data;
    let inked = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i] < 230 || pixels[i + 1] < 230 || pixels[i + 2] < 230) inked++;
    }
    charts.push({
      chart: svg.dataset.chart, width: box.width, height: box.height, marks: marks.length,
      drawn: drawn.length, inked: inked / (view.width * view.height),
      changes: svg.querySelectorAll('.stage-change').length,
    });
  }
  return charts;
})()
"""


@pytest.fixture(scope="module")
def chromium_binary() -> str:
    found = find_chromium()
    if found is None:
        reason = (
            "no Chromium: install the chromium package (make chromium) or set DAL_TEST_CHROMIUM"
        )
        if servers_required():
            pytest.fail(f"{reason} (DAL_TEST_REQUIRE_SERVERS=1)", pytrace=False)
        pytest.skip(reason)
    return found


def _records(folder: Path) -> None:
    recorder = JsonlRecorder(folder)
    start = datetime(2026, 3, 1, 9, tzinfo=UTC)
    stages = (Stage.DUAL_WRITE, Stage.SHADOW, Stage.LIVE)
    for number in range(900):
        at = start + timedelta(seconds=number * 4)
        stage = stages[number * len(stages) // 900]
        for entity, drifting in (("accounts", number % 37 == 0), ("invoices", number % 11 == 0)):
            difference = Difference(f"lines[{number % 3}].price", 1, 2, Category.DRIFT)
            recorder.record(
                Comparison(
                    entity=entity,
                    operation="get",
                    stage=stage,
                    matched=not drifting,
                    category=Category.DRIFT if drifting else Category.MATCH,
                    differences=(difference,) if drifting else (),
                    old_latency_ms=1.0 + number % 7,
                    new_latency_ms=1.5 + number % 5,
                    at=at,
                )
            )
        if number % 50 == 0:
            error = TimeoutError("timed out")
            recorder.record(ErrorRecord("new", "invoices", "get", stage, error, "timed out", at=at))
    recorder.close()


def test_the_report_charts_render_in_headless_chromium(tmp_path: Path, chromium_binary: str):
    _records(tmp_path / "records")
    files = write_report(report_from_files([str(tmp_path / "records")], Thresholds()), tmp_path)
    assert "<script" not in files.html.read_text()

    with Chromium(chromium_binary) as browser:
        browser.open(files.html)
        charts = browser.evaluate(MEASURE)

    kinds = sorted(chart["chart"] for chart in charts)
    assert kinds == ["comparisons"] * 2 + ["latency"] * 2 + ["paths"] * 2 + ["stages"]
    for chart in charts:
        assert chart["width"] > 300, chart
        assert chart["height"] > 60, chart
        assert chart["marks"] > 0, chart
        assert chart["drawn"] == chart["marks"], chart
        assert chart["inked"] > 0.01, chart
    over_time = [chart for chart in charts if chart["chart"] in ("comparisons", "latency")]
    assert all(chart["changes"] == 2 for chart in over_time), "dual_write -> shadow -> live"
    stages = next(chart for chart in charts if chart["chart"] == "stages")
    assert stages["marks"] == 6, "three stages for each of two entities"
