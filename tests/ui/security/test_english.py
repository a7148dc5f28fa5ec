"""The sign-in, lock and admin screens in English, the sign-in language toggle and the 表示設定 tab."""
from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QTableWidget, QWidget

from dxdesk import i18n
from dxdesk.app.settings import SettingsChanges
from dxdesk.config import load_settings
from dxdesk.security.audit import load_records
from dxdesk.security.auditview import AuditService
from dxdesk.security.permissions import Role
from dxdesk.store.connectivity import ConnectivityState
from dxdesk.ui.admin import AdminPage
from dxdesk.ui.admin.display import DisplayTab
from dxdesk.ui.admin.page import TAB_DISPLAY
from dxdesk.ui.security.idle import LockScreen
from dxdesk.ui.security.signin import SignInDialog

from .conftest import PASSWORD

pytestmark = pytest.mark.ui

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")


@pytest.fixture
def ja_after():
    """For tests that switch the language themselves: never leak English into the next test."""
    try:
        yield
    finally:
        i18n.set_language("ja")


def visible_texts(root: QWidget) -> list[str]:
    """Texts of the visible labels, buttons and table headers under ``root`` (the window title too)."""
    texts = [root.windowTitle()]
    for w in root.findChildren(QLabel):
        if w.isVisibleTo(root):
            texts.append(w.text())
    for w in root.findChildren(QAbstractButton):
        if w.isVisibleTo(root):
            texts += [w.text(), w.toolTip()]
    for table in root.findChildren(QTableWidget):
        if table.isVisibleTo(root):
            texts += [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return [t for t in texts if t]


def japanese_in(texts: list[str], allowed: tuple[str, ...] = ()) -> list[str]:
    return [t for t in texts if JAPANESE.search(t) and t not in allowed]


def test_sign_in_dialog_in_english_has_no_japanese_left(qtbot, auth, runner, admin, english):
    dialog = SignInDialog(auth, runner, desk_name="Desk 1")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.windowTitle() == "dxdesk — Sign in"
    assert dialog.ok_button.text() == "Sign in" and dialog.cancel_button.text() == "Cancel"
    assert dialog.login_label.text() == "Login name:"
    # The toggle speaks the other language (label and tooltip): the only Japanese on purpose.
    assert japanese_in(visible_texts(dialog), allowed=("日本語", "日本語で表示します")) == []

    dialog.login_edit.setText("admin")
    dialog.password_edit.setText("wrong password")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=5000)
    assert not JAPANESE.search(dialog.error.text())  # the core's Msg, in English


def test_language_toggle_switches_the_dialog_and_the_session(qtbot, auth, runner, admin, ja_after):
    dialog = SignInDialog(auth, runner, desk_name="窓口1", language="ja")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.ok_button.text() == "サインイン" and dialog.language_button.text() == "English"
    dialog.login_edit.setText("admin")
    with qtbot.waitSignal(dialog.language_changed, timeout=1000) as blocker:
        dialog.language_button.click()
    assert blocker.args == ["en"] and i18n.current_language() == "en"
    assert dialog.ok_button.text() == "Sign in" and dialog.language_button.text() == "日本語"
    assert dialog.hint.text() == "窓口1\nEnter your staff login name and password."  # desk name is data
    assert dialog.login_edit.text() == "admin"  # what was typed survives the switch

    dialog.password_edit.setText(PASSWORD)
    with qtbot.waitSignal(dialog.signed_in, timeout=5000):
        dialog.ok_button.click()
    assert i18n.current_language() == "en"  # the screens built for this session come up in English

    # The next sign-in starts again in the desk's language.
    second = SignInDialog(auth, runner, language="ja")
    qtbot.addWidget(second)
    assert i18n.current_language() == "ja" and second.ok_button.text() == "サインイン"
    second.language_button.click()
    second.language_button.click()
    assert i18n.current_language() == "ja" and second.windowTitle() == "dxdesk — サインイン"


def test_lock_screen_in_english(qtbot, admin, english):
    lock = LockScreen(admin)
    qtbot.addWidget(lock)
    assert lock.unlock_button.text() == "Unlock"
    assert lock.who.text().startswith("管理 太郎 (admin) is signed in.")  # the name is data
    assert japanese_in(visible_texts(lock), allowed=(lock.who.text(),)) == []


@pytest.fixture
def admin_page(qtbot, auth, db, runner, admin):
    def make(session) -> AdminPage:
        settings = load_settings()
        connectivity = ConnectivityState(settings.store, db.pending_count)
        page = AdminPage(session, auth, AuditService(db, auth.audit), connectivity, settings, runner,
                         printers=["Counter-Printer-A"])
        qtbot.addWidget(page)
        page.resize(1100, 700)
        page.show()
        return page

    return make


def test_admin_accounts_tab_in_english(qtbot, auth, admin, admin_page, english):
    auth.create_account(admin, "tanaka", "Tanaka", Role.CLERK, PASSWORD)
    page = admin_page(auth.sign_in("admin", PASSWORD))
    assert page.tab_titles() == ["Accounts", "Connection and sync", "Printer calibration", "Display",
                                 "Recovery key", "Data hand-off"]
    tab = page.accounts_tab
    qtbot.waitUntil(lambda: tab.table.rowCount() == 2, timeout=5000)
    tab.select_login("tanaka")
    row = [a.login for a in tab.accounts].index("tanaka")
    assert [tab.table.item(row, c).text() for c in range(5)] == ["tanaka", "Tanaka", "Clerk", "0", "Active"]
    # Only data may be Japanese: the first administrator's display name from the fixture.
    assert japanese_in(visible_texts(tab), allowed=("管理 太郎",)) == []
    assert page.show_tab(TAB_DISPLAY)  # the Japanese msgid finds the English tab
    assert page.tabs.currentWidget() is page.display_tab


def test_display_tab_saves_and_audits_the_language_for_the_next_sign_in(qtbot, auth, admin, admin_page, db):
    page = admin_page(admin)
    tab = page.display_tab
    assert tab.language.currentData() == "ja"
    with qtbot.waitSignal(tab.language_saved, timeout=5000) as blocker:
        tab.set_language("en")
    assert blocker.args == ["en"]
    assert load_settings().general.language == "en"
    assert i18n.current_language() == "ja"  # the running session keeps its language
    assert "次回のサインイン" in tab.status.text()
    with db.session() as orm:
        changes = [r.details for r in load_records(orm, event_type="settings.change")]
    assert changes == [{"setting": "general.language", "value": "en"}]


def test_display_tab_refuses_without_manage_settings(qtbot, auth, admin, runner):
    auth.create_account(admin, "clerk", "Clerk One", Role.CLERK, PASSWORD)
    clerk = auth.sign_in("clerk", PASSWORD)
    settings = load_settings()
    tab = DisplayTab(clerk, settings, runner, changes=SettingsChanges(auth.audit, settings))
    qtbot.addWidget(tab)
    tab.set_language("en")
    assert tab.status.isVisibleTo(tab) and tab.status.text()
    assert settings.general.language == "ja" and tab.language.currentData() == "ja"
    assert load_settings().general.language == "ja"
