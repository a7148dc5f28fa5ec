"""Sign-in, first-run administrator and own-password dialogs.

Every password check runs on the TaskRunner: scrypt costs ~0.1 s and a failure adds a
deliberate 1 s delay, which must not freeze the window. While a check runs the inputs
are disabled (no double submit) and a busy row says what is happening.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dxdesk import i18n
from dxdesk.i18n import Msg, tr
from dxdesk.security.autherrors import InvalidCredentialsError, PasswordPolicyError
from dxdesk.security.permissions import MSG_MUST_CHANGE_PASSWORD, Session
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.errors import error_text
from dxdesk.ui.security.widgets import (
    BusyRow,
    NewPasswordFields,
    message_label,
    password_edit,
    show_message,
)
from dxdesk.ui.tasks import SingleCall, TaskRunner
from dxdesk.ui.training_band import add_training_band
from dxdesk.ui.theme import HEADING_PT, heading as heading_label, set_kind

if TYPE_CHECKING:  # the account service is imported where it is used: it loads SQLAlchemy, which the sign-in
    # dialog shown at start-up does without (dxdesk.ui.app opens the database while the dialog is on screen)
    from dxdesk.security.auth import AuthService

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
        self.setFont(ui_font(13))
        self.setMinimumWidth(560)
        self.heading = heading_label("", HEADING_PT, self)
        self.heading.setWordWrap(False)
        self.hint = QLabel(self)
        # Explicit line breaks instead of word wrap: a wrapped label in a dialog's top-level layout
        # is sized for the wrong width (heightForWidth) and squeezes the rows below it.
        self.hint.setWordWrap(False)
        self.hint.setProperty("role", "hint")
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.form.setVerticalSpacing(10)
        self.error = message_label(self)
        self.busy = BusyRow("", self)
        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton("OK", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(tr("キャンセル"), QDialogButtonBox.ButtonRole.RejectRole)
        self.ok_button.setDefault(True)
        set_kind(self.ok_button, "primary")  # repolished: the button box has already styled it
        for b in (self.ok_button, self.cancel_button):
            b.setMinimumHeight(44)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        self.top_row = QHBoxLayout()  # heading, and room on the right for a small control
        self.top_row.addWidget(self.heading, 1)
        layout.addLayout(self.top_row)
        layout.addWidget(self.hint)
        add_training_band(layout, self)  # 研修モード: said before anyone signs in
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.set_texts(title, heading, hint, busy_text)

    def set_texts(self, title: str, heading: str, hint: str, busy_text: str) -> None:
        """The dialog's own texts, already in the current language (again after a language switch)."""
        self.setWindowTitle(title)
        self.heading.setText(heading)
        self.heading.setAccessibleName(heading)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        self.busy.label.setText(busy_text)
        self.cancel_button.setText(tr("キャンセル"))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        # Focus starts in the first field, never on a button: a typed space on キャンセル closed the
        # 初期設定 dialog (and quit the app) without a word.
        fields = [w for w in self.inputs() if w.isEnabled() and w.isVisibleTo(self)]
        if fields and self.focusWidget() not in fields:
            fields[0].setFocus(Qt.FocusReason.OtherFocusReason)

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
    """Login + password. On success ``session`` is set, ``signed_in(Session)`` is emitted and the dialog accepts.

    ``language`` is the desk's setting (settings.general.language): each sign-in starts in it,
    so a visitor's switch with the language button lasts for their session only.
    """

    signed_in = Signal(object)
    language_changed = Signal(str)

    def __init__(self, auth: AuthService, runner: TaskRunner, parent: QWidget | None = None,
                 *, desk_name: str = "", language: str | None = None) -> None:
        if language is not None:
            i18n.set_language(language)
        self.desk_name = desk_name
        super().__init__(runner, "", "", "", "", parent)
        self.auth = auth
        self.session: Session | None = None
        self.login_edit = QLineEdit(self)
        self.login_edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.password_edit = password_edit(self)
        self.login_label = QLabel(self)
        self.password_label = QLabel(self)
        self.form.addRow(self.login_label, self.login_edit)
        self.form.addRow(self.password_label, self.password_edit)
        # Names the *other* language in that language, so a visitor finds it without reading this one.
        self.language_button = QPushButton(self)
        self.language_button.setProperty("kind", "secondary")
        self.language_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.language_button.setAutoDefault(False)  # Enter in the password field still signs in
        self.language_button.clicked.connect(self.toggle_language)
        self.top_row.addWidget(self.language_button, 0, Qt.AlignmentFlag.AlignTop)
        self.retranslate()
        self.login_edit.setFocus()

    def retranslate(self) -> None:
        hint = tr("職員のログインIDとパスワードを入力してください。")
        if self.desk_name:
            hint = f"{self.desk_name}\n{hint}"
        self.set_texts(tr("dxdesk — サインイン"), tr("窓口支援システム　サインイン"), hint, tr("確認しています…"))
        self.login_edit.setPlaceholderText(tr("例: tanaka"))
        self.login_label.setText(tr("ログインID:"))
        self.password_label.setText(tr("パスワード:"))
        self.ok_button.setText(tr("サインイン"))
        english = i18n.current_language() == "en"
        self.language_button.setText("日本語" if english else "English")  # i18n: ja-only
        self.language_button.setToolTip("日本語で表示します" if english else "Show this screen in English")  # i18n: ja-only
        self.language_button.setAccessibleName(self.language_button.toolTip())

    def toggle_language(self) -> None:
        """Switch between Japanese and English for this sign-in and the session that follows it."""
        language = "ja" if i18n.current_language() == "en" else "en"
        i18n.set_language(language)
        show_message(self.error, "")  # an error shown in the other language would now be out of place
        self.retranslate()
        self.adjustSize()  # English texts are wider than the Japanese ones (and the other way round)
        self.language_changed.emit(language)

    def inputs(self) -> list[QWidget]:
        return [self.login_edit, self.password_edit]

    def submit(self) -> None:
        if self.is_busy():
            return
        login, password = self.login_edit.text(), self.password_edit.text()
        if not login.strip() or not password:
            self.show_error(MSG_ENTER_BOTH.text())
            return
        self.start(lambda: self.auth.sign_in(login, password), lambda s: self._done(s, password), self._failed)

    def _done(self, session: Session, password: str = "") -> None:
        self.password_edit.clear()
        if session.must_change_password:
            self._force_change(session, password)
            return
        self.session = session
        self.signed_in.emit(session)
        self.accept()

    def _force_change(self, session: Session, issued_password: str) -> None:
        """A new or reset account: nothing but choosing a new password until it is done."""
        previous = getattr(self, "change_dialog", None)
        if previous is not None:
            previous.deleteLater()  # not WA_DeleteOnClose: it must outlive its own signal to _done
        dialog = ChangePasswordDialog(self.auth, self.runner, session, self, issued_password=issued_password)
        dialog.changed_session.connect(self._done)
        dialog.rejected.connect(lambda: self.show_error(MSG_MUST_CHANGE_PASSWORD.text()))
        self.change_dialog = dialog  # tests and screenshots reach it here
        dialog.open()

    def _failed(self, exc: BaseException) -> None:
        self.show_error(error_text(exc))  # wrong credentials and lockout (with time) come as Msg
        self.password_edit.clear()
        self.password_edit.setFocus()


class FirstAdminDialog(TaskDialog):
    """First run (``auth.needs_first_admin()``): create the administrator, who is then signed in."""

    signed_in = Signal(object)

    def __init__(self, auth: AuthService, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(
            runner, tr("dxdesk — 初期設定"), tr("システム管理者の作成"),
            tr("この端末にはまだアカウントがありません。\n最初のシステム管理者を作成してください。\n"
               "窓口職員などのアカウントは、作成後に「管理」画面から追加します。"),
            tr("作成しています…"), parent,
        )
        self.auth = auth
        self.session: Session | None = None
        self.login_edit = QLineEdit(self)
        self.login_edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.login_edit.setPlaceholderText(tr("半角英数字（例: admin）"))
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText(tr("例: 総務課 山田"))
        self.form.addRow(tr("ログインID:"), self.login_edit)
        self.form.addRow(tr("表示名:"), self.name_edit)
        self.passwords = NewPasswordFields(self, form=self.form)
        self.login_edit.textChanged.connect(self.passwords.set_login)
        self.ok_button.setText(tr("作成してサインイン"))

    def inputs(self) -> list[QWidget]:
        return [self.login_edit, self.name_edit, self.passwords.password, self.passwords.confirm]

    def submit(self) -> None:
        if self.is_busy():
            return
        from dxdesk.security.clerks import display_name_problem, login_problem

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
    """The signed-in clerk changes their own password (the current one is required).

    With ``issued_password`` it is the forced change at the first sign-in of a new or reset
    account: the password just typed at sign-in is the current one, so it is not asked again.
    """

    password_changed = Signal()
    changed_session = Signal(object)  # the Session to go on with (no longer must_change_password)

    def __init__(self, auth: AuthService, runner: TaskRunner, session: Session,
                 parent: QWidget | None = None, *, issued_password: str | None = None) -> None:
        if issued_password is None:
            hint = tr("{name}（{login}）のパスワードを変更します。")
        else:
            hint = tr("{name}（{login}）: 管理者が設定したパスワードでサインインしました。\n"
                      "使い始める前に、自分だけが知る新しいパスワードを設定してください。")
        super().__init__(runner, tr("dxdesk — パスワード変更"), tr("パスワードの変更"),
                         hint.format(name=session.display_name, login=session.login),
                         tr("変更しています…"), parent)
        self.auth = auth
        self.session = session
        self.forced = issued_password is not None
        self.current_edit = password_edit(self)
        if issued_password is None:
            self.form.addRow(tr("現在のパスワード:"), self.current_edit)
        else:
            self.current_edit.setText(issued_password)
            self.current_edit.hide()
        self.passwords = NewPasswordFields(self, label=tr("新しいパスワード"), form=self.form)
        self.passwords.set_login(session.login)
        self.ok_button.setText(tr("変更"))

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

    def _done(self, result: object) -> None:
        self.current_edit.clear()  # the forced change's copy of the sign-in password too
        self.passwords.clear()
        self.password_changed.emit()
        if isinstance(result, Session):
            self.changed_session.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if not self.forced:  # the forced change keeps the password typed at sign-in
            self.current_edit.clear()
        if isinstance(exc, InvalidCredentialsError):
            self.show_error(MSG_WRONG_CURRENT.text())  # the login is known here; say which field is wrong
            self.current_edit.setFocus()
            return
        self.show_failure(exc, self.passwords)
