"""The support log in English: entry form, list and reports show no Japanese apart from the records' data."""
from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QTableWidget, QWidget

from dxdesk.ui.support.tablemodel import weekday_names

pytestmark = pytest.mark.ui

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
TAB_LIST, TAB_REPORTS = 1, 2


def visible_texts(root: QWidget) -> list[str]:
    """Texts of the visible labels and buttons (tooltips and accessible names too) under ``root``."""
    # A rich-text label (a report tile's caption) carries its words as the accessible name too.
    texts = [t for w in root.findChildren(QLabel) if w.isVisibleTo(root) for t in (w.text(), w.accessibleName())]
    for b in root.findChildren(QAbstractButton):
        if b.isVisibleTo(root):
            texts += [b.text(), b.toolTip(), b.accessibleName()]
    return [t for t in texts if t]


def test_entry_form_in_english_has_no_japanese_left(make_page, empty_repo, english):
    page = make_page(empty_repo)
    e = page.entry
    assert page.tab_titles() == ["Record", "List", "Reports"]
    texts = visible_texts(e)
    for expected in ("Save record (Ctrl+Enter)", "Clear form", "Venue", "Topics (choose any)", "Follow-up needed",
                     "LINE and other SNS", "Android", "Resolved", "30 min", "▶ Start timer", "65–69"):
        assert any(expected in t for t in texts), expected
    assert e.duration.spin.specialValueText() == "Not set"
    assert [t for t in texts if JAPANESE.search(t)] == []


def test_missing_choices_are_explained_in_english(make_page, empty_repo, english):
    page = make_page(empty_repo)
    e = page.entry
    e.topics.toggle_index(0)
    e.duration.set_minutes(10)
    e.submit()
    assert e.errors["device"].text() == "Choose the device."
    assert e.banner.text().startswith("Please check your entries")


def test_list_headers_and_cells_in_english(qtbot, make_page, sample_repo, english):
    page = make_page(sample_repo)
    with qtbot.waitSignal(page.list.refreshed, timeout=5000):
        page.show_tab(TAB_LIST)
    model = page.list.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Date and time (2026)", "Venue", "Topics", "Device", "Age group", "Att./Help.", "Time",
                       "Result", "Follow-up", "Repeat"]
    newest = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert newest[0] == "11/25(Wed) 09:00"
    assert newest[2] == "LINE and other SNS, Calls and camera"
    assert newest[6] == "60 min"
    assert page.list.count_label.text().endswith("records")
    labels = [t for t in visible_texts(page.list) if JAPANESE.search(t)]
    assert labels == []


def test_reports_in_english(qtbot, make_page, sample_repo, english):
    page = make_page(sample_repo)
    rep = page.reports
    with qtbot.waitSignal(rep.loaded, timeout=5000):
        page.show_tab(TAB_REPORTS)
    with qtbot.waitSignal(rep.loaded, timeout=5000):
        rep.period.set_preset("this_month")
    assert rep.heading.text() == "2026-11-01 to 2026-11-30"
    assert rep.period.preset.currentText() == "This month"
    tables = {t.objectName(): t for t in rep.findChildren(QTableWidget)}
    headers = [tables["topicTable"].horizontalHeaderItem(c).text() for c in range(3)]
    assert headers == ["Topics", "Sessions", "Share"]
    # Widgets added to a shown layout appear on the next event-loop turn.
    qtbot.waitUntil(lambda: "By result" in visible_texts(rep), timeout=5000)
    texts = visible_texts(rep)
    assert "Open follow-ups" in texts and "Mean attendees per session" in texts
    assert [t for t in texts if JAPANESE.search(t)] == []


def test_weekday_names_follow_the_language():
    assert weekday_names("ja")[0] == "月" and weekday_names("ja")[6] == "日"
    assert weekday_names("en")[2] == "Wed"
