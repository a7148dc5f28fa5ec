"""Sessions whose age band or outcome is no longer a choice still count, under その他・不明.

Records keep the code they were saved with; when a choice is retired (or a newer desk synced a
code this one does not know), the totals count those sessions, so the per-band and per-outcome
tables must too, or their shares stop adding up to 100%.
"""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
from datetime import date

import pytest

from dxdesk.support import kpi
from dxdesk.support.catalog import AGE_BAND_LABELS, OUTCOME_LABELS, UNKNOWN_CHOICE, Catalog
from dxdesk.support.csv_import import import_csv_text
from dxdesk.support.csvio import summary_rows
from dxdesk.support.periods import fiscal_year_range
from dxdesk.support.report import ReportOptions, write_report_pdf
from dxdesk.support.repository import InMemoryRepository

from .conftest import sid


@pytest.fixture
def with_retired_codes(dataset):
    """The dataset with #1 (75-79, resolved) and #3 (80+, partly) carrying codes no longer offered."""
    retired = {sid(1): ("90+", "consulted"), sid(3): ("85-89", "postponed")}
    return [dataclasses.replace(s, age_band=retired[s.id][0], outcome=retired[s.id][1]) if s.id in retired else s
            for s in dataset]


def test_retired_codes_count_under_other_unknown(with_retired_codes):
    ages = kpi.age_band_counts(with_retired_codes)
    assert ages == {"<65": 1, "65-69": 2, "70-74": 3, "75-79": 3, "80+": 1, UNKNOWN_CHOICE: 2}
    outcomes = kpi.outcome_counts(with_retired_codes)
    assert outcomes == {"resolved": 7, "partly": 2, "referred": 1, UNKNOWN_CHOICE: 2}
    total = kpi.total_sessions(with_retired_codes)
    assert sum(ages.values()) == sum(outcomes.values()) == total == 12
    for shares in (kpi.age_band_shares(with_retired_codes), kpi.outcome_shares(with_retired_codes)):
        assert shares[UNKNOWN_CHOICE] == pytest.approx(2 / 12)
        assert sum(shares.values()) == pytest.approx(1.0)


def test_no_unknown_bucket_when_every_code_is_current(dataset):
    assert UNKNOWN_CHOICE not in kpi.age_band_counts(dataset)
    assert UNKNOWN_CHOICE not in kpi.outcome_shares(dataset)


def test_summary_csv_labels_the_bucket(with_retired_codes):
    rows = summary_rows(kpi.summarize(with_retired_codes), Catalog.seeded(), "ja")
    by_code = {(section, code): (label, value) for section, code, label, value in rows}
    assert by_code[("年齢層別", UNKNOWN_CHOICE)] == ("その他・不明", "2")
    assert by_code[("結果別", f"share:{UNKNOWN_CHOICE}")][0] == "その他・不明の割合"
    assert AGE_BAND_LABELS[UNKNOWN_CHOICE].en == OUTCOME_LABELS[UNKNOWN_CHOICE].en == "Other / unknown"


def test_the_bucket_is_not_a_choice_for_import():
    text = ("ID,開始日時,会場,会場種別,トピック,端末,年齢層,参加者数,支援者数,所要時間(分),結果\r\n"
            ",2026-10-04 10:00,中央公民館,community_hall,power,android,その他・不明,1,1,20,resolved\r\n")
    result = import_csv_text(text, InMemoryRepository())
    assert [(e.row, e.column) for e in result.errors] == [(2, "年齢層")]
    assert result.imported == []


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_report_pdf_shows_the_bucket(tmp_path, with_retired_codes):
    options = ReportOptions(period=fiscal_year_range(2026), municipality="サンプル町", generated_on=date(2027, 4, 2))
    pdf = write_report_pdf(tmp_path / "report.pdf", with_retired_codes, Catalog.seeded(), options)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True,
                          timeout=60).stdout
    assert text.count("その他・不明") == 2  # one bar under 年齢層別, one under 結果別
