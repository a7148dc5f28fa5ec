"""Sign-in, first-run administrator and own-password dialogs.

Every password check runs on the TaskRunner: scrypt costs ~0.1 s and a failure adds a
deliberate 1 s delay, which must not freeze the window. While a check runs the inputs
are disabled (no double submit) and a busy row says what is happening.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from dxdesk.i18n import Msg
from dxdesk.security.auth import AuthService, InvalidCredentialsError, PasswordPolicyError
from dxdesk.security.clerks import display_name_problem, login_problem
from dxdesk.security.permissions import Session
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.security.widgets import (
    BusyRow,
    NewPasswordFields,
    error_text,
    message_label,
    password_edit,
    show_message,
)
from dxdesk.ui.tasks import SingleCall, TaskRunner
from dxdesk.ui.theme import HEADING_PT, heading as heading_label, set_kind

log = logging.getLogger(__name__)

MSG_ENTER_BOTH = Msg(ja="ログインIDとパスワードを入力してください。", en="Enter your login name and password.")
MSG_WRONG_CURRENT = Msg(ja="現在のパスワードが違います。", en="The current password is wrong.")
MSG_ENTER_CURRENT = Msg(ja="現在のパスワードを入力してください。", en="Enter your current password.")
MSG_POLICY_UNMET = Msg(ja="パスワードが条件を満たしていません。上の説明に沿って直してください。",
                       en="The password does not meet the rules listed above.")


class TaskDialog(QDialog):
    """A dialog that runs one background job at a time and locks its inputs meanwhile."""

    def __init__(self, runner: TaskRunner, title: str, heading: str, hint: str, busy_text: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._call = SingleCall(self, runner, self.set_busy)
        self.setWindowTitle(title)
        self.setFont(ui_font(13))
        self.setMinimumWidth(560)
        self.heading = heading_label(heading, HEADING_PT, self)
        self.heading.setWordWrap(False)
        self.hint = QLabel(hint, self)
        # Explicit line breaks instead of word wrap: a wrapped label in a dialog's top-level layout
        # is sized for the wrong width (heightForWidth) and squeezes the rows below it.
        self.hint.setWordWrap(False)
        self.hint.setProperty("role", "hint")
        self.hint.setVisible(bool(hint))
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.form.setVerticalSpacing(10)
        self.error = message_label(self)
        self.busy = BusyRow(busy_text, self)
        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton("OK", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("キャンセル", QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.setDefault(True)
        set_kind(self.ok_button, "primary")  # repolished: the button box has already styled it
        for b in (self.ok_button, self.cancel_button):
            b.setMinimumHeight(44)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(self.heading)
        layout.addWidget(self.hint)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)

    # -- subclasses ---------------------------------------------------------------
    def submit(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def inputs(self) -> list[QWidget]:
        return []

    # -- background job -----------------------------------------------------------
    def is_busy(self) -> bool:
        return self._call.busy()

    def start(self, job: Callable[[], Any], on_done: Callable[[Any], None],
              on_error: Callable[[BaseException], None]) -> None:
        show_message(self.error, "")
        self._call.start(job, on_done, on_error)  # the dialog deleted meanwhile gets no answer

    def set_busy(self, busy: bool) -> None:
        for widget in self.inputs():
            widget.setEnabled(not busy)
        self.ok_button.setEnabled(not busy)
        self.busy.setVisible(busy)

    def show_error(self, text: str) -> None:
        show_message(self.error, text)

    # -- shared by the dialogs that set a password -------------------------------------
    def passwords_ready(self, passwords: NewPasswordFields) -> bool:
        """Check the new password against the policy before submitting; say what is wrong if not."""
        if passwords.is_acceptable():
            return True
        passwords.show_problems(passwords.problems())
        self.show_error(MSG_POLICY_UNMET.text())
        return False

    def show_failure(self, exc: BaseException, passwords: NewPasswordFields | None = None) -> None:
        """A refused submit: the core's policy problems go under the password fields, the reason below."""
        if passwords is not None and isinstance(exc, PasswordPolicyError):
            passwords.show_problems([p.text() for p in exc.problems])
        self.show_error(error_text(exc))

    def reject(self) -> None:
        # The check itself cannot be interrupted (it is one scrypt call); its answer is ignored.
        self._call.abandon()
        super().reject()


class SignInDialog(TaskDialog):
    """Login + password. On success ``session`` is set, ``signed_in(Session)`` is emitted and the dialog accepts."""

    signed_in = Signal(object)

    def __init__(self, auth: AuthService, runner: TaskRunner, parent: QWidget | None = None,
                 *, desk_name: str = "") -> None:
        hint = "職員のログインIDとパスワードを入力してください。"
        if desk_name:
            hint = f"{desk_name}\n{hint}"
        super().__init__(runner, "dxdesk — サインイン", "窓口支援システム　サインイン", hint, "確認しています…", parent)
        self.auth = auth
        self.session: Session | None = None
        self.login_edit = QLineEdit(self)
        self.login_edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.login_edit.setPlaceholderText("例: tanaka")
        self.password_edit = password_edit(self)
        self.form.addRow("ログインID:", self.login_edit)
        self.form.addRow("パスワード:", self.password_edit)
        self.ok_button.setText("サインイン")
        self.login_edit.setFocus()

    def inputs(self) -> list[QWidget]:
        return [self.login_edit, self.password_edit]

    def submit(self) -> None:
        if self.is_busy():
            return
        login, password = self.login_edit.text(), self.password_edit.text()
        if not login.strip() or not password:
            self.show_error(MSG_ENTER_BOTH.text())
            return
        self.start(lambda: self.auth.sign_in(login, password), self._done, self._failed)

    def _done(self, session: Session) -> None:
        self.session = session
        self.password_edit.clear()
        self.signed_in.emit(session)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.show_error(error_text(exc))  # wrong credentials and lockout (with time) come as Msg
        self.password_edit.clear()
        self.password_edit.setFocus()


class FirstAdminDialog(TaskDialog):
    """First run (``auth.needs_first_admin()``): create the administrator, who is then signed in."""

    signed_in = Signal(object)

    def __init__(self, auth: AuthService, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(
            runner, "dxdesk — 初期設定", "システム管理者の作成",
            "この端末にはまだアカウントがありません。\n最初のシステム管理者を作成してください。\n"
            "窓口職員などのアカウントは、作成後に「管理」画面から追加します。",
            "作成しています…", parent,
        )
        self.auth = auth
        self.session: Session | None = None
        self.login_edit = QLineEdit(self)
        self.login_edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.login_edit.setPlaceholderText("半角英数字（例: admin）")
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("例: 総務課 山田")
        self.form.addRow("ログインID:", self.login_edit)
        self.form.addRow("表示名:", self.name_edit)
        self.passwords = NewPasswordFields(self, form=self.form)
        self.login_edit.textChanged.connect(self.passwords.set_login)
        self.ok_button.setText("作成してサインイン")

    def inputs(self) -> list[QWidget]:
        return [self.login_edit, self.name_edit, self.passwords.password, self.passwords.confirm]

    def submit(self) -> None:
        if self.is_busy():
            return
        login, name = self.login_edit.text(), self.name_edit.text()
        for problem in (login_problem(login), display_name_problem(name)):
            if problem is not None:
                self.show_error(problem.text())
                return
        if not self.passwords_ready(self.passwords):
            return
        password = self.passwords.value()
        self.start(lambda: self.auth.create_first_admin(login, name, password), self._done, self._failed)

    def _done(self, session: Session) -> None:
        self.session = session
        self.passwords.clear()
        self.signed_in.emit(session)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.show_failure(exc, self.passwords)


class ChangePasswordDialog(TaskDialog):
    """The signed-in clerk changes their own password (the current one is required)."""

    password_changed = Signal()

    def __init__(self, auth: AuthService, runner: TaskRunner, session: Session,
                 parent: QWidget | None = None) -> None:
        super().__init__(runner, "dxdesk — パスワード変更", "パスワードの変更",
                         f"{session.display_name}（{session.login}）のパスワードを変更します。",
                         "変更しています…", parent)
        self.auth = auth
        self.session = session
        self.current_edit = password_edit(self)
        self.form.addRow("現在のパスワード:", self.current_edit)
        self.passwords = NewPasswordFields(self, label="新しいパスワード", form=self.form)
        self.passwords.set_login(session.login)
        self.ok_button.setText("変更")

    def inputs(self) -> list[QWidget]:
        return [self.current_edit, self.passwords.password, self.passwords.confirm]

    def submit(self) -> None:
        if self.is_busy():
            return
        current = self.current_edit.text()
        if not current:
            self.show_error(MSG_ENTER_CURRENT.text())
            return
        if not self.passwords_ready(self.passwords):
            return
        new = self.passwords.value()
        self.start(lambda: self.auth.change_password(self.session, current, new), self._done, self._failed)

    def _done(self, _result: object) -> None:
        self.current_edit.clear()
        self.passwords.clear()
        self.password_changed.emit()
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.current_edit.clear()
        if isinstance(exc, InvalidCredentialsError):
            self.show_error(MSG_WRONG_CURRENT.text())  # the login is known here; say which field is wrong
            self.current_edit.setFocus()
            return
        self.show_failure(exc, self.passwords)
