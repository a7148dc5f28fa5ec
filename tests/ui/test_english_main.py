"""The main window, home page and app-wide texts in English, and Qt's own translations following the language."""
from __future__ import annotations

import re
from datetime import date

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from dxdesk import i18n
from dxdesk.ui import crash_dialog
from dxdesk.ui.app import apply_language, build_main_window, create_application
from dxdesk.ui.home import HomePage, HomeSources, format_duration
from dxdesk.app.dashboard import HomeSummary
from dxdesk.ui.main_window import MainWindow, PageSpec

pytestmark = pytest.mark.ui

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")


def visible_texts(root: QWidget) -> list[str]:
    """The window title and the texts of the visible labels and buttons (tooltips too) under ``root``."""
    texts = [root.windowTitle()]
    texts += [w.text() for w in root.findChildren(QLabel) if w.isVisibleTo(root)]
    for b in root.findChildren(QAbstractButton):
        if b.isVisibleTo(root):
            texts += [b.text(), b.toolTip()]
    return [t for t in texts if t]


def test_home_page_in_english_has_no_japanese_left(qtbot, english):
    sources = HomeSources(summary=lambda: None, store_mode=lambda: "Online",
                          show_visits=True, show_support=True)
    home = HomePage("Shiraoi Town", "Counter 1", user="Hanako", sources=sources, today=lambda: date(2026, 11, 25))
    window = MainWindow([PageSpec("home", i18n.tr("ホーム"), home), PageSpec("support", i18n.tr("支援記録"), QWidget())])
    qtbot.addWidget(window)
    home.show_summary(HomeSummary(day=date(2026, 11, 25), visits_closed=3, visits_cancelled=1, mean_visit_seconds=754, support_sessions=2,
                                  pending_sync=4))
    texts = visible_texts(window)
    assert "dxdesk Counter Assistant" in window.windowTitle()
    assert "Welcome, Hanako." in texts
    assert any("2026-11-25" in t for t in texts)
    assert "Completed today (this counter)" in texts
    assert "4 unsent" in texts
    assert "Support log\nCtrl+2" in texts  # the big page button with its shortcut
    assert home.mean_value.text() == "12 min 34 s"
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == ["Home", "Support log"]
    assert [t for t in texts if JAPANESE.search(t)] == []


def test_home_page_stays_japanese_by_default(qtbot):
    home = HomePage("白老町", "1番窓口", user="花子", today=lambda: date(2026, 11, 25))
    qtbot.addWidget(home)
    assert "花子 さん、おつかれさまです。" in visible_texts(home)
    assert format_duration(754) == "12分34秒"


def test_signed_in_window_menus_and_pages_in_english(qtbot, services, runner, session_for, english):
    supporter = session_for(services, "supporter")
    window = build_main_window(services, supporter, runner)
    qtbot.addWidget(window)
    try:
        assert [window.nav.item(i).text() for i in range(window.nav.count())] == ["Home", "Support log"]
        assert window.card_label.text().endswith("(Supporter)")
        support = window._pages[1].widget
        assert support.tab_titles() == ["Record", "List"]  # a supporter has no reports tab
    finally:
        window.status_poll.stop()
        for page in window.closables:
            page.shutdown()


def test_crash_dialog_text_in_english(english):
    crash_dialog.set_open_visit_probe(lambda: True)
    try:
        text = crash_dialog.crash_message()
    finally:
        crash_dialog.set_open_visit_probe(None)
    assert text.startswith("An unexpected error occurred.\nThe open visit has been saved automatically")
    assert not JAPANESE.search(text)


def test_qt_translations_follow_the_language(qapp):
    """Qt's own buttons are Japanese only in a Japanese UI; switching to English removes the translator."""
    try:
        i18n.set_language("en")
        app = create_application([])
        assert getattr(app, "_dxdesk_translator", None) is None
        assert app.applicationDisplayName() == "dxdesk Counter Assistant"
        i18n.set_language("ja")
        apply_language(app)
        if getattr(app, "_dxdesk_translator", None) is None:
            pytest.skip("Qt's Japanese translations are not installed here")
        assert app.applicationDisplayName() == "dxdesk 窓口支援システム"
        i18n.set_language("en")
        apply_language(app)
        assert app._dxdesk_translator is None
    finally:
        i18n.set_language("ja")
        apply_language(qapp)
