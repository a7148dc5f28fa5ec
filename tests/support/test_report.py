"""The PDF report: embedded Japanese font, expected headings and numbers, a rendered page.

docs/screenshots/support/report-page1.png is produced by this file:
``DXDESK_SCREENSHOT_DIR=docs/screenshots/support .venv/bin/pytest tests/support/test_report.py``
"""
from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from tools.bench.support import bench_report, synthetic_sessions
from dxdesk.support.catalog import Catalog
from dxdesk.support.periods import fiscal_year_range, month_range
from dxdesk.support.report import ReportOptions, time_series, write_report_pdf
from dxdesk.support.repository import SessionQuery

poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout


@pytest.fixture
def fy_report(tmp_path, dataset) -> Path:
    options = ReportOptions(period=fiscal_year_range(2026), municipality="サンプル町", generated_on=date(2027, 4, 2))
    return write_report_pdf(tmp_path / "report.pdf", dataset, Catalog.seeded(), options)


@poppler
def test_fonts_are_embedded_bizud_only(fy_report):
    lines = _run("pdffonts", str(fy_report)).splitlines()[2:]
    assert lines, "no fonts listed"
    for line in lines:
        name, emb = line.split()[0], line.split()[-5]
        assert "BIZUDGothic" in name and emb == "yes", line


@poppler
def test_text_has_headings_and_numbers(fy_report):
    text = _run("pdftotext", "-layout", str(fy_report), "-")
    for expected in ("サンプル町 デジタル活用支援 実施報告", "2026年4月1日〜2027年3月31日", "作成日: 2027年4月2日",
                     "相談内容別セッション数", "月別セッション数", "年齢層別", "結果別", "会場別", "1 / 2"):
        assert expected in text, expected
    flat = " ".join(text.split())
    assert "セッション数 12" in flat
    assert "参加者数（延べ） 39" in flat
    assert "1回あたり平均参加者数 3.25" in flat
    assert "参加者1人の回の割合 58.3%" in flat  # 7/12
    assert "参加者1人あたり支援者数 0.46" in flat  # 18/39
    assert "体制基準未満の回数 ※2 4" in flat
    assert "LINE・SNS" in text and "マイナンバーカード利用(マイナポータル等)" in text


def test_time_series_weeks_for_a_month_months_for_a_year(dataset):
    title, labels, values = time_series(dataset, month_range(2026, 5))
    assert title.startswith("週別")
    # May 2026: weeks starting Mon 4/27 (has 5/2 x2), 5/4, 5/11, 5/18 (5/20, 5/21), 5/25.
    assert labels == ["4/27〜", "5/4〜", "5/11〜", "5/18〜", "5/25〜"]
    assert values == [2, 0, 0, 2, 0]
    title, labels, values = time_series(dataset, fiscal_year_range(2026))
    assert title == "月別セッション数" and labels[0] == "4月" and labels[-1] == "3月"
    assert values == [4, 4, 3, 0, 0, 0, 0, 0, 0, 0, 0, 1]


def test_empty_period_still_produces_a_report(tmp_path):
    options = ReportOptions(period=month_range(2026, 8), municipality="サンプル町", venue="中央公民館")
    pdf = write_report_pdf(tmp_path / "empty.pdf", [], Catalog.seeded(), options)
    assert pdf.read_bytes().startswith(b"%PDF") and not (tmp_path / "empty.pdf.part").exists()


@poppler
def test_render_page_one(tmp_path):
    """A realistic month (synthetic, seeded) rendered to PNG; optionally kept as the docs screenshot."""
    catalog = Catalog.seeded()
    october = SessionQuery(*month_range(2026, 10))
    sessions = [s for s in synthetic_sessions(800, seed=0, catalog=catalog) if october.matches(s)]
    options = ReportOptions(period=month_range(2026, 10), municipality="サンプル町", generated_on=date(2026, 11, 2))
    pdf = write_report_pdf(tmp_path / "october.pdf", sessions, catalog, options)
    _run("pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page"))
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    target = os.environ.get("DXDESK_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, Path(target) / "report-page1.png")


def test_bench_report_small(tmp_path):
    result = bench_report(200, out_dir=tmp_path)
    assert result.n_sessions == 200 and result.pdf_bytes > 10_000
    assert (tmp_path / "bench-report.pdf").exists() and (tmp_path / "bench-sessions_summary.csv").exists()
    assert len(result.lines()) == 4
