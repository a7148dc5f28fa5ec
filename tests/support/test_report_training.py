"""研修モード: every page of the support KPI report carries 「見本」 (PDF text and rendered pixels)."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from dxdesk import training
from dxdesk.support.catalog import Catalog
from dxdesk.support.periods import fiscal_year_range
from dxdesk.support.report import ReportOptions, write_report_pdf

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "forms"))
from test_sample_mark import (  # noqa: E402
    grey_share_across_centre, large_mark_pages, page_texts, poppler, rendered_pages,
)


@poppler
def test_every_page_of_a_training_report_says_mihon(tmp_path, dataset):
    options = ReportOptions(period=fiscal_year_range(2026), municipality="サンプル町", generated_on=date(2027, 4, 2))
    plain = write_report_pdf(tmp_path / "plain.pdf", dataset, Catalog.seeded(), options)
    training.activate()
    sample = write_report_pdf(tmp_path / "training.pdf", dataset, Catalog.seeded(), options)

    texts = page_texts(sample)
    assert len(texts) >= 2  # a multi-page report: the mark must be on each page, not just the first
    assert all("見本" in text for text in texts)
    assert large_mark_pages(sample) == [True] * len(texts)
    assert all("見本" not in text for text in page_texts(plain))
    (tmp_path / "p").mkdir()
    (tmp_path / "t").mkdir()
    for before, after in zip(rendered_pages(plain, tmp_path / "p"), rendered_pages(sample, tmp_path / "t")):
        assert grey_share_across_centre(after) > grey_share_across_centre(before) + 0.05, after.name
