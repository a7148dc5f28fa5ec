"""``python -m tools.bench print`` runs both paths and reports what it measured (numbers, not pass/fail)."""
from __future__ import annotations

import re

import pytest

from tools.bench.printing import bench_print
from tools.cupsd import missing_reason

pytestmark = [pytest.mark.ui, pytest.mark.skipif(missing_reason() is not None,
                                                 reason=f"no private CUPS: {missing_reason()}")]


def test_the_print_bench_measures_both_paths_and_the_bands_made_ahead(monkeypatch, tmp_path):
    monkeypatch.setenv("DXDESK_HOME", str(tmp_path / "home"))  # bench_print sets its own; restored after
    timings = bench_print(dpi=150)  # 150 dpi: quick; the recorded numbers are at 600
    assert [t.path for t in timings] == ["cups", "raster", "raster"]  # PDF file, then Qt's CUPS engine
    for timing in timings:
        assert timing.pages == 3 and timing.seconds > 0 and timing.peak_mb > 50
        assert re.fullmatch(r"\w+ +\d+\.\d{3} s +\d+ MB  3 pages  .+", timing.line())
    for raster in timings[1:]:
        made = re.search(r"bands made ahead during the preview \(CPU [\d.]+ s\): [\d.]+ s, \d+ MB kept; "
                         r"with nothing made ahead [\d.]+ s, [\d.]+ s", raster.detail)
        assert made, raster.detail
        assert "handed over: mono" in raster.detail
