"""Sign-in, first administrator and password-change dialogs on a real store."""
from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt

from dxdesk import i18n
from dxdesk.security.auth import MSG_BAD_CREDENTIALS
from dxdesk.security.passwords import MSG_COMMON, MSG_ONE_CHARACTER, MSG_SAME_AS_LOGIN, MSG_TOO_SHORT, MIN_PASSWORD_LENGTH
from dxdesk.security.permissions import MSG_MUST_CHANGE_PASSWORD, Role
from dxdesk.timeutil import to_desk
from dxdesk.ui.security.signin import (
    MSG_ENTER_BOTH,
    MSG_WRONG_CURRENT,
    ChangePasswordDialog,
    FirstAdminDialog,
    SignInDialog,
)
from dxdesk.ui.security.widgets import MSG_CONFIRM_MISMATCH

from .conftest import PASSWORD

pytestmark = pytest.mark.ui


def _sign_in_dialog(qtbot, auth, runner) -> SignInDialog:
    dialog = SignInDialog(auth, runner, desk_name="窓口1")
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_first_admin_dialog_lists_policy_problems_then_creates_and_signs_in(qtbot, auth, runner):
    assert auth.needs_first_admin()
    dialog = FirstAdminDialog(auth, runner)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.login_edit.setText("yamada")
    dialog.name_edit.setText("総務課 山田")
    dialog.passwords.password.setText("yamada")
    problems = dialog.passwords.problems_label.text()
    assert MSG_TOO_SHORT.format(min=MIN_PASSWORD_LENGTH).ja in problems
    assert MSG_SAME_AS_LOGIN.ja in problems
    dialog.passwords.confirm.setText("something else")
    assert MSG_CONFIRM_MISMATCH.ja in dialog.passwords.problems_label.text()

    dialog.ok_button.click()  # refused in the dialog: nothing reaches the service
    assert dialog.error.isVisible() and auth.needs_first_admin()

    dialog.passwords.password.setText(PASSWORD)
    dialog.passwords.confirm.setText(PASSWORD)
    assert dialog.passwords.problems_label.text() == ""
    with qtbot.waitSignal(dialog.signed_in, timeout=5000) as blocker:
        dialog.ok_button.click()
    session = blocker.args[0]
    assert session is dialog.session
    assert (session.login, session.role) == ("yamada", Role.ADMINISTRATOR)
    assert not auth.needs_first_admin()
    assert dialog.result() == FirstAdminDialog.DialogCode.Accepted


def test_first_admin_dialog_shows_service_refusal_when_accounts_appeared(qtbot, auth, runner, admin):
    # Another desk window created the administrator meanwhile: the service's answer is shown.
    dialog = FirstAdminDialog(auth, runner)
    qtbot.addWidget(dialog)
    dialog.login_edit.setText("second")
    dialog.name_edit.setText("二人目")
    dialog.passwords.password.setText(PASSWORD)
    dialog.passwords.confirm.setText(PASSWORD)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: "既にアカウントがあります" in dialog.error.text(), timeout=5000)
    assert dialog.session is None


def test_sign_in_success_exposes_session(qtbot, auth, runner, admin):
    dialog = _sign_in_dialog(qtbot, auth, runner)
    dialog.login_edit.setText("ADMIN")  # logins are case-insensitive
    dialog.password_edit.setText(PASSWORD)
    with qtbot.waitSignal(dialog.signed_in, timeout=5000):
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    assert dialog.session is not None and dialog.session.clerk_id == admin.clerk_id
    assert dialog.password_edit.text() == ""


def test_sign_in_needs_both_fields(qtbot, auth, runner, admin):
    dialog = _sign_in_dialog(qtbot, auth, runner)
    dialog.login_edit.setText("admin")
    dialog.ok_button.click()
    assert dialog.error.text() == MSG_ENTER_BOTH.ja
    assert not dialog.is_busy()


def test_wrong_password_shows_japanese_message_busy_meanwhile(qtbot, auth, runner, admin, sleep):
    dialog = _sign_in_dialog(qtbot, auth, runner)
    dialog.login_edit.setText("admin")
    dialog.password_edit.setText("wrong password")
    sleep.gate.clear()  # hold the failure delay so the busy state can be observed
    dialog.ok_button.click()
    assert sleep.entered.wait(5)
    assert dialog.busy.isVisible()
    assert not dialog.ok_button.isEnabled() and not dialog.login_edit.isEnabled()
    sleep.gate.set()
    qtbot.waitUntil(lambda: dialog.error.text() == MSG_BAD_CREDENTIALS.ja, timeout=5000)
    assert not dialog.busy.isVisible()
    assert dialog.ok_button.isEnabled() and dialog.password_edit.isEnabled()
    assert dialog.password_edit.text() == "" and dialog.session is None
    assert dialog.isVisible()  # still open for another try


@pytest.mark.parametrize("language, locked_text", [("ja", "一時的にロックしています。{time} 以降に"),
                                                   ("en", "Too many failed sign-ins; try again after {time}.")])
def test_lockout_message_names_the_retry_time_and_its_zone(qtbot, auth, runner, admin, clock, utc_pc, language,
                                                          locked_text):
    i18n.set_language(language)
    try:
        dialog = _sign_in_dialog(qtbot, auth, runner)
        for attempt in range(3):  # max_failed_signins=3 in the fixture
            dialog.login_edit.setText("admin")
            dialog.password_edit.setText(f"wrong {attempt}")
            dialog.ok_button.click()
            qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=5000)
        # The desk's clock (JST, dxdesk.timeutil), named: the PC's own zone is UTC here.
        retry = to_desk(clock() + timedelta(seconds=120)).strftime("%H:%M") + " JST"
        assert locked_text.format(time=retry) in dialog.error.text()
        # Even the right password is refused while locked, with the same message.
        dialog.password_edit.setText(PASSWORD)
        dialog.ok_button.click()
        qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=5000)
        assert locked_text.format(time=retry) in dialog.error.text() and dialog.session is None
    finally:
        i18n.set_language("ja")


def test_change_password_wrong_current_then_success(qtbot, auth, runner, admin):
    dialog = ChangePasswordDialog(auth, runner, admin)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.current_edit.setText("not my password")
    dialog.passwords.password.setText("a new secret 2")
    dialog.passwords.confirm.setText("a new secret 2")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.error.text() == MSG_WRONG_CURRENT.ja, timeout=5000)

    dialog.current_edit.setText(PASSWORD)
    with qtbot.waitSignal(dialog.password_changed, timeout=5000):
        dialog.ok_button.click()
    assert auth.sign_in("admin", "a new secret 2").clerk_id == admin.clerk_id


def test_first_sign_in_of_a_new_account_must_set_a_new_password(qtbot, auth, runner, admin):
    auth.create_account(admin, "newbie", "新人 さん", Role.CLERK, "issued pass 7")
    dialog = _sign_in_dialog(qtbot, auth, runner)
    dialog.login_edit.setText("newbie")
    dialog.password_edit.setText("issued pass 7")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: getattr(dialog, "change_dialog", None) is not None, timeout=5000)
    change = dialog.change_dialog
    assert dialog.session is None  # nothing to work with yet
    assert "管理者が設定したパスワード" in change.hint.text()
    assert not change.current_edit.isVisibleTo(change)  # the password just typed is the current one
    # The issued password again is refused with the reason.
    change.passwords.password.setText("issued pass 7")
    change.passwords.confirm.setText("issued pass 7")
    change.ok_button.click()
    qtbot.waitUntil(lambda: "別のもの" in change.error.text(), timeout=5000)
    # Giving up leaves the sign-in dialog open without a session and says why.
    change.reject()
    assert dialog.session is None and dialog.isVisible()
    assert dialog.error.text() == MSG_MUST_CHANGE_PASSWORD.ja

    dialog.login_edit.setText("newbie")
    dialog.password_edit.setText("issued pass 7")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.change_dialog is not change, timeout=5000)
    change = dialog.change_dialog
    change.passwords.password.setText("counter river 8")
    change.passwords.confirm.setText("counter river 8")
    with qtbot.waitSignal(dialog.signed_in, timeout=5000):
        change.ok_button.click()
    assert dialog.session is not None and not dialog.session.must_change_password
    assert not auth.sign_in("newbie", "counter river 8").must_change_password


def test_weak_passwords_are_listed_as_they_are_typed(qtbot, auth, runner, admin):
    dialog = ChangePasswordDialog(auth, runner, admin)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.passwords.password.setText("password")
    assert MSG_COMMON.ja in dialog.passwords.problems()
    dialog.passwords.password.setText("aaaaaaaa")
    assert MSG_ONE_CHARACTER.ja in dialog.passwords.problems()


def test_first_field_has_the_focus_and_a_typed_space_is_text_not_cancel(qtbot, auth, runner, admin):
    """初期設定 and アカウント追加 open with the cursor in the first field (a space on キャンセル quit the app)."""
    from dxdesk.ui.admin.accounts import AddAccountDialog

    first = FirstAdminDialog(auth, runner)
    add = AddAccountDialog(auth, runner, admin)
    for dialog in (first, add):
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.activateWindow()
        qtbot.waitUntil(lambda d=dialog: d.focusWidget() is d.login_edit, timeout=3000)
        qtbot.keyClick(dialog.login_edit, Qt.Key.Key_Space)
        assert dialog.isVisible() and dialog.login_edit.text() == " "
