"""The レポート tab: period presets, KPI summary on screen, PDF and CSV through the core's writers."""
from __future__ import annotations

import csv
from datetime import date

import pytest
import support_ui_sample as sample
from PySide6.QtWidgets import QLabel, QTableWidget

from dxdesk.support import kpi

pytestmark = pytest.mark.ui

TAB_REPORTS = 2


def open_reports(qtbot, page, preset="this_month"):
    rep = page.reports
    with qtbot.waitSignal(rep.loaded, timeout=5000):
        page.show_tab(TAB_REPORTS)
    with qtbot.waitSignal(rep.loaded, timeout=5000) as loaded:
        rep.period.set_preset(preset)
    return rep, loaded.args[0]


def test_default_is_last_month_and_kpis_match_the_core(qtbot, make_page, sample_repo):
    page = make_page(sample_repo)
    rep = page.reports
    assert rep.period.preset_key() == "last_month"
    assert rep.period.range() == (date(2026, 10, 1), date(2026, 10, 31))
    rep, data = open_reports(qtbot, page, "this_month")
    november = [s for s in sample.sessions() if s.started_at.month == 11]
    assert data.summary == kpi.summarize(november)
    values = [w.text() for w in rep.findChildren(QLabel, "kpiValue")]
    assert values[0] == f"{len(november)}件"
    assert values[4] == "2件"  # open follow-ups in November
    topic_table = rep.findChild(QTableWidget, "topicTable")
    counted = {topic_table.item(r, 0).text(): int(topic_table.item(r, 1).text()) for r in range(topic_table.rowCount())}
    assert counted["LINE・SNS"] == sum("line" in s.topics for s in november)
    assert rep.heading.text() == "2026年11月1日〜2026年11月30日"


def test_venue_filter_narrows_the_summary(qtbot, make_page, sample_repo):
    page = make_page(sample_repo)
    rep, _ = open_reports(qtbot, page, "this_fy")
    with qtbot.waitSignal(rep.loaded, timeout=5000) as loaded:
        rep.venue.setCurrentIndex(rep.venue.findData("駅前携帯ショップ"))
    data = loaded.args[0]
    assert data.venue == "駅前携帯ショップ"
    assert data.summary.sessions == sum(s.venue == "駅前携帯ショップ" for s in sample.sessions())


def test_writes_csv_pair_and_pdf(qtbot, make_page, sample_repo, as_supervisor, tmp_path):
    page = make_page(as_supervisor(sample_repo))
    rep, _ = open_reports(qtbot, page, "this_month")
    asked = []
    rep.ask_path = lambda parent, title, suggested, name_filter: asked.append(suggested) or tmp_path / suggested

    with qtbot.waitSignal(rep.file_written, timeout=10000) as written:
        rep.csv_button.click()
    sessions_csv, summary_csv = written.args[0]
    assert asked[-1] == "支援記録_20261101-20261130.csv"
    assert sessions_csv.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel opens it correctly
    assert summary_csv.name == "支援記録_20261101-20261130_summary.csv"
    rows = sessions_csv.read_text(encoding="utf-8-sig").splitlines()
    assert len(rows) == 1 + sum(s.started_at.month == 11 for s in sample.sessions())
    assert "090-0000-1234" not in sessions_csv.read_text(encoding="utf-8-sig")
    assert rep.banner.kind == "ok" and rep.csv_button.isEnabled()

    with qtbot.waitSignal(rep.file_written, timeout=30000) as written:
        rep.pdf_button.click()
    [pdf] = written.args[0]
    assert pdf.read_bytes().startswith(b"%PDF")


def test_unwritable_destination_is_reported_in_japanese(qtbot, make_page, sample_repo, as_supervisor, tmp_path):
    page = make_page(as_supervisor(sample_repo))
    rep, _ = open_reports(qtbot, page, "this_month")
    rep.ask_path = lambda *a: tmp_path / "missing-dir" / "out.csv"
    rep.csv_button.click()
    qtbot.waitUntil(lambda: rep.banner.kind == "error", timeout=5000)
    assert "ファイルを読み書きできませんでした" in rep.banner.text()
    assert rep.csv_button.isEnabled()


def test_a_repository_without_a_signed_in_person_writes_no_file(qtbot, make_page, sample_repo, tmp_path):
    """Reports and exports leave the PC: only a SupportService (role checked, audited) may write them."""
    page = make_page(sample_repo)
    rep, _ = open_reports(qtbot, page, "this_month")
    rep.ask_path = lambda *a: tmp_path / "out.csv"
    rep.csv_button.click()
    qtbot.waitUntil(lambda: rep.banner.kind == "error", timeout=5000)
    assert "サインインしてください" in rep.banner.text()
    assert list(tmp_path.iterdir()) == []


def test_the_class_view_matches_the_core_and_flags_understaffed_classes(qtbot, make_page, sample_repo):
    from dxdesk.support import classes

    page = make_page(sample_repo)
    rep, data = open_reports(qtbot, page, "this_fy")
    first, last = rep.period.range()
    expected = classes.summarize(s for s in sample.sessions() if first <= s.started_at.date() <= last)
    assert data.classes == expected and expected.total.classes > 0
    table = rep.findChild(QTableWidget, "classTable")
    assert table.rowCount() == len(expected.per_topic) + 1
    total = [table.item(table.rowCount() - 1, c).text() for c in range(5)]
    below = expected.total.below_ratio
    assert total == ["合計（コマ単位）", str(expected.total.classes), str(expected.total.participants),
                     str(expected.total.staff), ("▲ " if below else "") + str(below)]


def test_writes_the_classes_csv_through_the_service(qtbot, make_page, sample_repo, as_supervisor, tmp_path):
    page = make_page(as_supervisor(sample_repo))
    rep, data = open_reports(qtbot, page, "this_fy")
    # Reloads replace the class section: one title and one button stay, never the previous ones beside them.
    assert len(rep.findChildren(type(rep.classes_button), "classesCsvButton")) == 1
    asked = []
    rep.ask_path = lambda parent, title, suggested, name_filter: asked.append(suggested) or tmp_path / suggested
    with qtbot.waitSignal(rep.file_written, timeout=10000) as written:
        rep.classes_button.click()
    [out] = written.args[0]
    assert asked == ["講座_20260401-20270331.csv"]
    rows = list(csv.reader(out.open(encoding="utf-8-sig", newline="")))
    assert rows[0][:3] == ["ID", "開始日時", "会場"] and len(rows) == 1 + data.classes.total.classes
    assert sum(row[10] == "1" for row in rows[1:]) == data.classes.total.below_ratio
    assert rep.banner.kind == "ok"

