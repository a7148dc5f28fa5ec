"""#14 item 12: a KPI is worded the same on the レポート tab, in the PDF report and in the summary CSV
(the screen said 支援件数 where the PDF said セッション数). The PDF is read back with pdftotext."""
from __future__ import annotations

import csv
import re
import shutil
import subprocess

import pytest
from PySide6.QtWidgets import QLabel, QTableWidget

from dxdesk.support import kpilabels
from test_reports import open_reports

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")


def _screen_labels(rep) -> list[str]:
    """The KPI names on the tiles: each title, and the name part of each 「name　value」 note."""
    # The tile captions are rich text (for their line height): their words are the accessible name.
    titles = [w.accessibleName() for w in rep.findChildren(QLabel, "kpiTitle")]
    notes = [w.accessibleName().split("　")[0] for w in rep.findChildren(QLabel, "kpiNote") if "　" in w.accessibleName()]
    return titles + notes


def test_the_screen_the_pdf_and_the_csv_use_one_wording(qtbot, make_page, sample_repo, as_supervisor, tmp_path):
    page = make_page(as_supervisor(sample_repo))
    rep, _ = open_reports(qtbot, page, "this_month")
    rep.ask_path = lambda parent, title, suggested, name_filter: tmp_path / suggested
    with qtbot.waitSignal(rep.file_written, timeout=30000) as written:
        rep.pdf_button.click()
    [pdf] = written.args[0]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    pdf_lines = [" ".join(line.split()) for line in text.splitlines()]

    shown = _screen_labels(rep)
    catalogue = {label.ja for label in kpilabels.SUMMARY_LABELS.values()}
    assert len(shown) == 9 and set(shown) == catalogue, shown  # every KPI on the tiles, named by the catalogue
    for label in shown:
        assert any(line.startswith(label) for line in pdf_lines), f"{label!r} is not a row of the PDF's 概要"
    assert "支援件数" not in text and "支援件数" not in " ".join(shown)

    # The breakdowns: each section title on the tab starts a heading or chart title of the PDF (charts stand
    # side by side, so a title may start mid-line in pdftotext's layout), and each
    # column header of the tab's tables is a header of the PDF's (the PDF has more columns, never other words).
    titles = [w.text() for w in rep.findChildren(QLabel) if w.text() in {
        m.ja for m in (kpilabels.BY_TOPIC, kpilabels.BY_VENUE_TYPE, kpilabels.BY_AGE, kpilabels.BY_OUTCOME,
                       kpilabels.BY_CLASS)}]
    assert len(titles) == 5, titles
    for title in titles:
        assert re.search(rf"(^|\s){re.escape(title)}", text, re.MULTILINE), f"section {title!r} is not in the PDF"
    headers = {table.horizontalHeaderItem(c).text() for table in rep.findChildren(QTableWidget)
               for c in range(table.columnCount())}
    for header in headers - {kpilabels.SHARE_HEADER.ja}:  # the PDF draws shares as bars, not a column
        assert header in text, f"column {header!r} is not in the PDF"
    assert "トピック" not in text  # the screen's word (相談内容) throughout

    with qtbot.waitSignal(rep.file_written, timeout=10000) as written:
        rep.csv_button.click()
    _sessions, summary_csv = written.args[0]
    items = {row[2] for row in csv.reader(summary_csv.read_text(encoding="utf-8-sig").splitlines()[1:])}
    assert catalogue <= items  # the summary CSV names each KPI the same way
