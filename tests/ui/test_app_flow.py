"""run_app end to end: first-run administrator, a clerk account, sign out, the clerk signs in, sign out, quit.

The real bootstrap runs its own modal loops (sign-in dialogs, app.exec), so the test is a
step machine on a QTimer (tests/runapp.py) that acts whenever the expected window is on screen:
the same thing a person would do, without sleeping. A deadline ends the run if a step never comes.
"""
from __future__ import annotations

from typing import Callable

import pytest
from runapp import drive_run_app, visible

import dxdesk.ui.app as app_module
from dxdesk.ui import crash_dialog

ADMIN_PW = "correct horse 1"
CLERK_PW = "correct horse 2"  # what the administrator gives the new clerk
CLERK_OWN_PW = "counter river 8"  # what the clerk must choose at the first sign-in


def _menu_action(window, text: str):
    assert window.menuBar().actions()[0].text() == "操作(&I)"  # Alt+I opens it without a mouse (Alt+O is 結果)
    menu = window.menuBar().actions()[0].menu()
    return next(a for a in menu.actions() if a.text() == text)


@pytest.fixture
def no_excepthook(monkeypatch):
    # run_app installs the crash dialog hook; a failure in the test must surface, not open a box.
    monkeypatch.setattr(crash_dialog, "install_excepthook", lambda: None)
    monkeypatch.setattr(app_module, "install_excepthook", lambda: None)


def test_first_run_to_clerk_sign_out(qapp, no_excepthook):
    seen: dict[str, object] = {}

    def start_alone() -> bool:
        dialog = visible("StartChoiceDialog")  # the first-start choice: join the town's server, or alone
        if dialog is None:
            return False
        dialog.alone_button.click()
        return True

    def first_admin() -> bool:
        dialog = visible("FirstAdminDialog")
        if dialog is None:
            return False
        dialog.login_edit.setText("admin")
        dialog.name_edit.setText("総務課 山田")
        dialog.passwords.password.setText(ADMIN_PW)
        dialog.passwords.confirm.setText(ADMIN_PW)
        dialog.ok_button.click()
        return True

    def admin_window() -> bool:
        window = visible("MainWindow")
        if window is None:
            return False
        assert window.stack.currentWidget() is window._pages[-1].widget  # the admin lands on 管理
        tab = window.stack.currentWidget().accounts_tab
        if not tab.accounts or tab.calls.busy():
            return False
        dialog = tab.open_add_dialog()
        dialog.login_edit.setText("clerk1")
        dialog.name_edit.setText("市民課 髙橋")
        dialog.passwords.password.setText(CLERK_PW)
        dialog.passwords.confirm.setText(CLERK_PW)
        dialog.ok_button.click()
        seen["admin_window"] = window
        return True

    def clerk_created_then_sign_out() -> bool:
        window = seen["admin_window"]
        tab = window.stack.currentWidget().accounts_tab
        if not any(a.login == "clerk1" for a in tab.accounts):
            return False
        _menu_action(window, "サインアウト").trigger()
        return True

    def clerk_signs_in() -> bool:
        dialog = visible("SignInDialog")
        if dialog is None:
            return False
        dialog.login_edit.setText("clerk1")
        dialog.password_edit.setText(CLERK_PW)
        dialog.ok_button.click()
        return True

    def clerk_must_choose_a_password_first() -> bool:
        dialog = visible("ChangePasswordDialog")
        if dialog is None:
            return False
        assert dialog.forced and visible("MainWindow") is None  # nothing else opens before it is done
        dialog.passwords.password.setText(CLERK_OWN_PW)
        dialog.passwords.confirm.setText(CLERK_OWN_PW)
        dialog.ok_button.click()
        return True

    def counter_page_then_password_dialog() -> bool:
        window = visible("MainWindow")
        if window is None or "髙橋" not in window.card_label.text():
            return False
        assert [p.key for p in window._pages] == ["home", "counter"]
        assert window.stack.currentWidget() is window._pages[1].widget
        _menu_action(window, "パスワード変更…").trigger()
        seen["clerk_window"] = window
        return True

    def password_dialog_then_sign_out() -> bool:
        dialog = visible("ChangePasswordDialog")
        if dialog is None or dialog.forced:
            return False
        dialog.reject()
        window = seen["clerk_window"]
        seen["counter"] = window._pages[1].widget
        seen["poll"] = window.status_poll
        _menu_action(window, "サインアウト").trigger()
        return True

    def back_at_sign_in() -> bool:
        dialog = visible("SignInDialog")
        if dialog is None:
            return False
        seen["signed_out"] = True
        dialog.reject()  # nobody signs in: run_app returns
        return True

    steps: list[Callable[[], bool]] = [start_alone, first_admin, admin_window, clerk_created_then_sign_out,
                                       clerk_signs_in, clerk_must_choose_a_password_first,
                                       counter_page_then_password_dialog, password_dialog_then_sign_out,
                                       back_at_sign_in]

    assert drive_run_app(steps) == 0
    assert seen.get("signed_out")
    # Sign-out stopped what the session started.
    assert seen["counter"]._monitor is None
    assert seen["poll"]._stopped
