"""The admin page on a real store: permitted tabs, accounts, audit log, connection, calibration."""
from __future__ import annotations

import csv
import sqlite3
from datetime import date

import pytest
from accounts import add_ready_account

from dxdesk import i18n
from dxdesk.config import Settings, load_settings
from dxdesk.security.audit import load_records
from dxdesk.security.auditview import AuditService
from dxdesk.security.auth import MSG_LAST_ADMIN, AccountLockedError, InvalidCredentialsError
from dxdesk.security.clerks import as_utc
from dxdesk.security.permissions import Role
from dxdesk.store.connectivity import ConnectivityState
from dxdesk.store.sync import SyncResult
from dxdesk.ui.admin import AdminPage
from dxdesk.timeutil import to_desk
from dxdesk.ui.admin.accounts import AccountsTab, account_state
from dxdesk.ui.admin.connection import display_url

from .conftest import PASSWORD

pytestmark = pytest.mark.ui


@pytest.fixture
def settings() -> Settings:
    s = load_settings()
    s.store.server_url = "postgresql+psycopg://dxdesk@central.example/dxdesk"
    return s


@pytest.fixture
def sessions(auth, admin):
    result = {Role.ADMINISTRATOR: admin}
    for role in (Role.CLERK, Role.SUPERVISOR):
        add_ready_account(auth, admin, role.value, f"{role.value} user", role, PASSWORD)
        result[role] = auth.sign_in(role.value, PASSWORD)
    return result


@pytest.fixture
def make_page(qtbot, auth, db, runner, settings):
    def make(session, sync=None) -> AdminPage:
        connectivity = ConnectivityState(settings.store, db.pending_count)
        page = AdminPage(session, auth, AuditService(db, auth.audit), connectivity, settings, runner,
                         sync=sync, printers=["Counter-Printer-A"])
        qtbot.addWidget(page)
        page.resize(1000, 700)
        page.show()
        return page

    return make


def test_tabs_follow_the_role(make_page, sessions):
    assert make_page(sessions[Role.ADMINISTRATOR]).tab_titles() == ["アカウント", "接続・同期", "プリンタ調整", "表示設定",
                                                                    "復旧キー", "データ引き渡し"]
    supervisor = make_page(sessions[Role.SUPERVISOR])
    assert supervisor.tab_titles() == ["監査ログ"]
    assert supervisor.accounts_tab is None and supervisor.calibration_tab is None
    assert make_page(sessions[Role.CLERK]).tab_titles() == []


def test_add_account_through_the_dialog(qtbot, make_page, sessions, auth):
    page = make_page(sessions[Role.ADMINISTRATOR])
    tab = page.accounts_tab
    qtbot.waitUntil(lambda: tab.table.rowCount() == 3, timeout=5000)
    dialog = tab.open_add_dialog()
    dialog.login_edit.setText("tanaka")
    dialog.name_edit.setText("市民課 田中")
    dialog.role.setCurrentIndex(list(Role).index(Role.SUPPORTER))
    dialog.passwords.password.setText("initial pass 9")
    dialog.passwords.confirm.setText("initial pass 9")
    with qtbot.waitSignal(tab.changed, timeout=5000):
        dialog.ok_button.click()
    logins = [tab.table.item(r, 0).text() for r in range(tab.table.rowCount())]
    assert "tanaka" in logins
    assert tab.selected().login == "tanaka"
    assert tab.table.item(logins.index("tanaka"), 2).text() == "デジタル支援員"
    assert "tanaka" in tab.status.text()
    first = auth.sign_in("tanaka", "initial pass 9")
    assert first.role is Role.SUPPORTER and first.must_change_password  # as the dialog tells the administrator


def test_deactivate_then_last_admin_refusal_is_a_message(qtbot, make_page, sessions, auth):
    page = make_page(sessions[Role.ADMINISTRATOR])
    tab = page.accounts_tab
    tab.confirm = lambda _text: True
    qtbot.waitUntil(lambda: tab.table.rowCount() == 3, timeout=5000)
    tab.select_login("clerk")
    with qtbot.waitSignal(tab.changed, timeout=5000):
        tab.active_button.click()
    assert not next(a for a in tab.accounts if a.login == "clerk").active
    assert tab.active_button.text() == "有効にする"

    tab.select_login("admin")  # the only administrator
    tab.active_button.click()
    qtbot.waitUntil(lambda: tab.status.text() == MSG_LAST_ADMIN.ja, timeout=5000)
    assert next(a for a in auth.list_accounts(sessions[Role.ADMINISTRATOR]) if a.login == "admin").active


def test_service_refusal_is_shown_not_raised(qtbot, sessions, auth, runner):
    # A tab built for the wrong role (a wiring mistake) still cannot list accounts.
    tab = AccountsTab(sessions[Role.SUPERVISOR], auth, runner)
    qtbot.addWidget(tab)
    tab.refresh()
    qtbot.waitUntil(lambda: "管理監督者" in tab.status.text(), timeout=5000)
    assert "権限では行えません" in tab.status.text()
    assert tab.table.rowCount() == 0


def test_audit_tab_lists_events_and_verifies(qtbot, make_page, sessions, db, tmp_path):
    page = make_page(sessions[Role.SUPERVISOR])
    tab = page.audit_tab
    qtbot.waitUntil(lambda: tab.table.rowCount() > 0, timeout=5000)
    kinds = {tab.table.item(r, 2).text() for r in range(tab.table.rowCount())}
    assert {"サインイン", "アカウント変更"} <= kinds
    details = [tab.table.item(r, 6).text() for r in range(tab.table.rowCount())]
    assert "操作: 作成、対象: supervisor、役割: 管理監督者" in details  # ids shown by login, in Japanese
    with qtbot.waitSignal(tab.verified, timeout=5000) as blocker:
        tab.verify_button.click()
    ok, text = blocker.args
    assert ok and text.startswith("検証OK") and tab.verify_label.text() == text

    out = tmp_path / "audit.csv"
    tab.export_to(out)
    qtbot.waitUntil(lambda: "件を" in tab.status.text(), timeout=5000)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == tab.table.rowCount()


def test_audit_verify_reports_the_tampered_event(qtbot, make_page, sessions, db):
    page = make_page(sessions[Role.SUPERVISOR])
    tab = page.audit_tab
    qtbot.waitUntil(lambda: not tab.calls.busy(), timeout=5000)  # the initial listing
    conn = sqlite3.connect(db.path, isolation_level=None)
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_events'"):
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE audit_events SET reason='edited' WHERE seq=2")
    conn.close()
    with qtbot.waitSignal(tab.verified, timeout=5000) as blocker:
        tab.verify()
    ok, text = blocker.args
    assert not ok
    assert "検証NG" in text and "2 番目" in text  # the edited event first; the missing triggers next


def test_audit_verify_reports_dropped_triggers(qtbot, make_page, sessions, db):
    page = make_page(sessions[Role.SUPERVISOR])
    tab = page.audit_tab
    qtbot.waitUntil(lambda: not tab.calls.busy(), timeout=5000)
    conn = sqlite3.connect(db.path, isolation_level=None)
    conn.execute("DROP TRIGGER audit_events_no_delete")
    conn.close()
    with qtbot.waitSignal(tab.verified, timeout=5000) as blocker:
        tab.verify()
    ok, text = blocker.args
    assert not ok and "トリガー" in text and "repair-triggers" in text


def test_audit_date_range_must_be_ordered(make_page, sessions):
    page = make_page(sessions[Role.SUPERVISOR])
    tab = page.audit_tab
    tab.set_range(date(2026, 5, 2), date(2026, 5, 1))
    assert tab.date_range() is None
    assert "期間" in tab.status.text()


def test_calibration_saved_to_settings_and_test_page_previewed(qtbot, make_page, sessions, db):
    page = make_page(sessions[Role.ADMINISTRATOR])
    tab = page.calibration_tab
    tab.printer.setCurrentText("Counter-Printer-A")
    tab.dx.setValue(-1.5)
    tab.dy.setValue(2.0)
    tab.scale_y.setValue(1.004)
    with qtbot.waitSignal(tab.saved, timeout=5000):
        tab.save_button.click()
    stored = load_settings().forms.calibrations["Counter-Printer-A"]
    assert (stored.dx_mm, stored.dy_mm, stored.scale_x, stored.scale_y) == (-1.5, 2.0, 1.0, 1.004)
    assert tab.show_test_page() and tab.preview.page_count() == 1

    with db.session() as orm:
        assert any(r.event_type == "settings.change" for r in load_records(orm))

    tab.printer.setCurrentText("Other printer")  # unknown printer starts from the identity
    assert tab.values().dx_mm == 0.0
    tab.printer.setCurrentText("Counter-Printer-A")
    assert tab.values().dx_mm == -1.5


def test_connection_tab_offline_switch_and_sync_now(qtbot, make_page, sessions, db):
    calls: list[int] = []

    def sync() -> SyncResult:
        calls.append(1)
        return SyncResult(sent=3, pulled=1, pending=0)

    page = make_page(sessions[Role.ADMINISTRATOR], sync=sync)
    tab = page.connection_tab
    assert "central.example" in tab.server_label.text()
    # The status (a database read) arrives from the runner, not synchronously.
    qtbot.waitUntil(lambda: tab.mode_label.text().startswith("オフライン"), timeout=5000)  # not reached yet
    with qtbot.waitSignal(tab.synced, timeout=5000) as blocker:
        tab.sync_button.click()
    assert blocker.args[0].sent == 3 and calls == [1]
    assert "送信 3件" in tab.status.text()

    tab.offline_box.setChecked(True)
    qtbot.waitUntil(lambda: "オフライン作業" in tab.status.text(), timeout=5000)
    qtbot.waitUntil(lambda: tab.mode_label.text().startswith("オフライン（手動）"), timeout=5000)
    assert load_settings().store.work_offline is True
    assert not tab.sync_button.isEnabled()
    from dxdesk.security.audit import load_records

    with db.session() as orm:  # the same use case and event as `dxdesk db work-offline on --as ADMIN`
        last = load_records(orm)[-1]
    assert (last.event_type, last.actor, last.details) == (
        "db.work_offline", sessions[Role.ADMINISTRATOR].clerk_id, {"offline": True})

    tab.notes_box.setChecked(True)
    qtbot.waitUntil(lambda: "この端末だけ" in tab.status.text(), timeout=5000)
    assert load_settings().store.keep_support_notes_on_desk is True


def test_locked_account_shown_and_unlocked_from_the_tab(qtbot, make_page, sessions, auth):
    for attempt in range(3):  # max_failed_signins=3 in the fixture
        with pytest.raises((InvalidCredentialsError, AccountLockedError)):
            auth.sign_in("clerk", f"wrong {attempt}")
    page = make_page(sessions[Role.ADMINISTRATOR])
    tab = page.accounts_tab
    qtbot.waitUntil(lambda: tab.table.rowCount() == 3, timeout=5000)
    tab.select_login("clerk")
    row = [a.login for a in tab.accounts].index("clerk")
    clerk = tab.accounts[row]
    until = to_desk(as_utc(clerk.locked_until)).strftime("%H:%M")
    assert tab.table.item(row, 4).text() == f"ロック中（{until} JST まで）"  # the desk's clock, the zone named
    i18n.set_language("en")
    try:
        assert account_state(clerk, auth.clock()) == f"Locked (until {until} JST)"
    finally:
        i18n.set_language("ja")
    assert tab.unlock_button.isEnabled()
    with qtbot.waitSignal(tab.changed, timeout=5000):
        tab.unlock_button.click()
    row = [a.login for a in tab.accounts].index("clerk")
    assert tab.table.item(row, 4).text() == "有効"
    assert auth.sign_in("clerk", PASSWORD).login == "clerk"


def test_role_change_and_password_reset(qtbot, make_page, sessions, auth):
    page = make_page(sessions[Role.ADMINISTRATOR])
    tab = page.accounts_tab
    qtbot.waitUntil(lambda: tab.table.rowCount() == 3, timeout=5000)
    with qtbot.waitSignal(tab.changed, timeout=5000):
        tab.change_role("clerk", Role.SUPERVISOR)
    assert next(a for a in tab.accounts if a.login == "clerk").role is Role.SUPERVISOR

    tab.select_login("clerk")
    dialog = tab.open_reset_dialog()
    dialog.passwords.password.setText("clerk")  # same as the login: refused in the dialog
    dialog.passwords.confirm.setText("clerk")
    dialog.ok_button.click()
    assert "ログインIDと同じ" in dialog.passwords.problems_label.text() and dialog.isVisible()
    dialog.passwords.password.setText("fresh secret 5")
    dialog.passwords.confirm.setText("fresh secret 5")
    with qtbot.waitSignal(tab.changed, timeout=5000):
        dialog.ok_button.click()
    reset = auth.sign_in("clerk", "fresh secret 5")
    assert reset.role is Role.SUPERVISOR and reset.must_change_password


def test_server_url_never_shows_a_password():
    shown = display_url("postgresql+psycopg://dxdesk:s3cret@central/dxdesk")
    assert "s3cret" not in shown and "central" in shown
    assert "s3cret" not in display_url("not a url dxdesk:s3cret@central")
    assert "未設定" in display_url("")
