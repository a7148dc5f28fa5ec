"""The supervisor's and the administrator's pages on one screen size, in Japanese and English: does every text
show whole, and is every text a human label (no event codes, item names, role or permission ids)?

Not collected on its own (no test_ prefix): test_supervisor_fit.py runs it in a child pytest on an offscreen
screen of the size under test (screens.py). With DXDESK_FIT_SHOTS=DIR it saves a PNG of every step.
The desk is seeded through the services by signed-in people (tests/supervisor_data.py).
"""
from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QScrollArea, QWidget

from dxdesk.security.auditlabels import items_text
from dxdesk.ui.admin.page import (
    TAB_ACCOUNTS, TAB_AUDIT, TAB_CALIBRATION, TAB_CONNECTION, TAB_DISPLAY, TAB_HANDOFF, TAB_RECOVERY,
)
from dxdesk.ui.app import build_main_window, create_application
from dxdesk.ui.support.page import TAB_LIST, TAB_REPORTS
from fitcheck import save_shots, settled_windows, window_problems
from supervisor_data import LONG_NOTE, seed_desk
from supervisorkeys import leaked_names

SCREEN = os.environ.get("DXDESK_FIT_SCREEN", "")
pytestmark = pytest.mark.skipif(not SCREEN, reason="run by test_supervisor_fit.py on a sized offscreen screen")


class PageChecker:
    """Checks (and, when asked, photographs) the window and every open dialog at each step."""

    def __init__(self, window: QWidget, language: str, role: str) -> None:
        self.window, self.language, self.role = window, language, role
        self.problems: list[str] = []

    def __call__(self, step: str) -> None:
        available, windows = settled_windows(self.window)
        where = f"[{self.language} {self.role} {step}]"
        for w in windows:
            self.problems += [f"{where} {p}" for p in window_problems(w, available)]
            self.problems += [f"{where} internal name on screen: {leak}" for leak in leaked_names(w, self.language)]
        save_shots(windows, f"{self.language}-{self.role}-{step}")

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def desk(qtbot, services, runner, language):
    """open(role) -> (window, check) for a signed-in person of the seeded desk, the window shown."""
    create_application()  # the app's theme and font, as the real window has them
    people = seed_desk(services)
    windows = []

    def open_window(role: str):
        window = build_main_window(services, people[role], runner)
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        return window, PageChecker(window, language, role)

    yield open_window
    for window in windows:
        window.status_poll.stop()
        for page in window.closables:
            page.shutdown()


def _page(window, key: str):
    return next(p.widget for p in window._pages if p.key == key)


def _wait_home(qtbot, window) -> None:
    home = _page(window, "home")
    qtbot.waitUntil(lambda: home.sync_value.text() not in ("", "…"), timeout=10_000)


def _close_dialogs() -> None:
    for w in QApplication.topLevelWidgets():
        if isinstance(w, QDialog) and w.isVisible():
            w.close()


def test_supervisor_pages(qtbot, desk):
    window, check = desk("supervisor")
    support = _page(window, "support")
    lst = support.list
    assert support.tabs.currentIndex() == TAB_LIST
    qtbot.waitUntil(lambda: lst.model.rowCount() > 0 and lst.count_label.text() != "", timeout=10_000)
    check("01-list")

    row = next(r for r in range(lst.model.rowCount()) if lst.model.session_at(r).note == LONG_NOTE)
    lst.table.selectRow(row)
    check("02-list-selected-long-note")
    lst.table.setFocus()
    qtbot.keyClick(lst.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: lst.detail_dialog is not None and lst.detail_dialog.isVisible())
    check("03-list-detail")
    _close_dialogs()

    with qtbot.waitSignal(lst.refreshed, timeout=10_000) as empty:
        lst.period.set_preset("last_month")  # the seeded records are all this month's
    assert empty.args == [0]
    check("04-list-empty-filter")

    with qtbot.waitSignal(support.reports.loaded, timeout=10_000):
        support.show_tab(TAB_REPORTS)
    with qtbot.waitSignal(support.reports.loaded, timeout=10_000):
        support.reports.period.set_preset("this_month")
    check("05-reports")
    scroll = support.reports.findChild(QScrollArea)
    if scroll is not None:
        scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
        check("06-reports-bottom")

    window.show_page("admin")
    admin = _page(window, "admin")
    assert admin.show_tab(TAB_AUDIT)
    audit = admin.audit_tab
    qtbot.waitUntil(lambda: audit.table.rowCount() > 0 and not audit.calls.busy(), timeout=10_000)
    check("07-audit")
    row = next(i for i, r in enumerate(audit.rows) if r.record.items and "pinless" in r.record.items)
    audit.table.selectRow(row)
    window.activateWindow()
    audit.table.setFocus()
    qtbot.waitUntil(audit.table.hasFocus)
    qtbot.keyClick(audit.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: audit.detail_dialog is not None and audit.detail_dialog.isVisible())
    assert items_text(["basic4", "pinless"]) in audit.detail_dialog.text()  # 基本4情報、照合番号Bで読取
    check("08-audit-detail-code-b-read")
    _close_dialogs()
    with qtbot.waitSignal(audit.verified, timeout=20_000):
        audit.verify()
    check("09-audit-verified")

    window.show_page("home")
    _wait_home(qtbot, window)
    home = _page(window, "home")
    qtbot.waitUntil(lambda: home.error.isVisible(), timeout=10_000)  # the failed purge reaches the supervisor
    assert "doctor" in home.error.text()
    check("10-home-failed-purge")
    check.assert_clean()


def test_administrator_pages(qtbot, desk):
    window, check = desk("administrator")
    admin = _page(window, "admin")
    assert admin.show_tab(TAB_ACCOUNTS)
    qtbot.waitUntil(lambda: admin.accounts_tab.table.rowCount() >= 4, timeout=10_000)
    admin.accounts_tab.select_login("tanaka")
    check("01-accounts")
    dialog = admin.accounts_tab.open_add_dialog()  # an account that exists already: the service refuses
    dialog.login_edit.setText("tanaka")
    dialog.name_edit.setText("市民課 田中")
    for edit in (dialog.passwords.password, dialog.passwords.confirm):
        edit.setText("maple harbour 58")
    dialog.submit()
    qtbot.waitUntil(lambda: not dialog.is_busy() and dialog.error.text() != "", timeout=10_000)
    check("02-add-account-refused")
    _close_dialogs()
    for step, tab in (("03-connection", TAB_CONNECTION), ("04-calibration", TAB_CALIBRATION),
                      ("05-display", TAB_DISPLAY), ("06-recovery-key", TAB_RECOVERY)):
        assert admin.show_tab(tab)
        check(step)
    window.show_page("home")
    _wait_home(qtbot, window)
    check("07-home")
    window.show_page("admin")
    assert admin.show_tab(TAB_HANDOFF)
    qtbot.waitUntil(lambda: not admin.handoff_tab.calls.busy(), timeout=10_000)  # the waiting files counted
    check("08-handoff")
    handoff = admin.handoff_tab
    handoff.enabled_check.setChecked(True)  # turned on, in the default folder: the saved state and its message
    with qtbot.waitSignal(handoff.saved, timeout=10_000):
        handoff.save_button.click()
    check("09-handoff-on")
    check.assert_clean()
