"""First start: join the town's server, or start alone (then FirstAdminDialog, as before).

The join itself is dxdesk.security.join.DeskJoin (Qt-free, shared with ``dxdesk db join``). The
dialog runs it in two background steps: *check* (the administrator's sign-in against the server's
accounts; nothing changes yet), then, after the administrator has compared the town key's
fingerprint with another desk's, *complete* (pin, resolve accounts, first sync) and sign-in.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from dxdesk.i18n import tr
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.security.signin import MSG_ENTER_BOTH, TaskDialog
from dxdesk.ui.security.widgets import password_edit
from dxdesk.ui.tasks import TaskRunner
from dxdesk.ui.theme import HEADING_PT, set_kind
from dxdesk.ui.theme import heading as heading_label

if TYPE_CHECKING:  # a new desk draws StartChoiceDialog while its store is created: no SQLAlchemy before that
    from dxdesk.security.auth import AuthService
    from dxdesk.security.join import DeskJoin, JoinReport, Town
    from dxdesk.security.permissions import Session

JOIN, ALONE = "join", "alone"


class StartChoiceDialog(QDialog):
    """The first start of a desk with no accounts: 「この町のサーバーに参加する」 or 「単独で始める」."""

    def __init__(self, parent: QWidget | None = None, store_ready: Callable[[], bool] = lambda: True) -> None:
        """``store_ready``: whether the store created behind the dialog is ready; a choice made before
        it is shown as being prepared and taken when :meth:`store_opened` is called."""
        super().__init__(parent)
        self.choice: str | None = None
        self._store_ready = store_ready
        self.setWindowTitle(tr("dxdesk — 初期設定"))
        self.setFont(ui_font(13))
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(heading_label(tr("この端末の始め方"), HEADING_PT, self))
        hint = QLabel(tr("町にサーバーがあり、ほかの端末が使われているときは\n"
                         "「参加する」を選びます。アカウントと一覧はサーバーから\n"
                         "取り込まれ、町のシステム管理者がサインインします。"), self)
        hint.setProperty("role", "hint")
        layout.addWidget(hint)
        self.join_button = QPushButton(tr("この町のサーバーに参加する"), self)
        self.alone_button = QPushButton(tr("単独で始める"), self)
        alone_hint = QLabel(tr("この端末で最初のシステム管理者を作成します。\n（後からサーバーに参加することもできます）"), self)
        alone_hint.setProperty("role", "hint")
        set_kind(self.join_button, "primary")
        for button in (self.join_button, self.alone_button):
            button.setMinimumHeight(48)
        layout.addWidget(self.join_button)
        layout.addWidget(self.alone_button)
        layout.addWidget(alone_hint)
        self.preparing = QLabel(tr("準備しています。しばらくお待ちください…"), self)
        self.preparing.setProperty("role", "hint")
        self.preparing.hide()
        layout.addWidget(self.preparing)
        self.join_button.clicked.connect(lambda: self._choose(JOIN))
        self.alone_button.clicked.connect(lambda: self._choose(ALONE))

    def _choose(self, choice: str) -> None:
        self.choice = choice
        if self._store_ready():
            self.accept()
            return
        # A choice made in the first second of a new desk comes before its store is created: the
        # dialog stays, says so, and goes on by itself (store_opened), rather than leaving nothing on
        # screen while the next dialog waits.
        for button in (self.join_button, self.alone_button):
            button.setEnabled(False)
        self.preparing.show()
        self.setCursor(Qt.CursorShape.WaitCursor)

    def store_opened(self) -> None:
        if self.choice is not None and self.isVisible():
            self.accept()


class JoinServerDialog(TaskDialog):
    """Server URL and a town administrator's sign-in; then the fingerprint check; then joined and signed in."""

    checked = Signal(str)  # the town key's fingerprint, shown for the administrator to compare
    joined = Signal(object)  # the signed-in Session
    failed = Signal(str)

    def __init__(self, joining: DeskJoin, auth: AuthService, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(
            runner, tr("dxdesk — 町のサーバーに参加"), tr("町のサーバーに参加"),
            tr("サーバーの URL と、町のシステム管理者の\nログインID・パスワードを入力してください。\n"
               "パスワードはサーバー上のアカウントで確認されます。"),
            tr("サーバーに確認しています…"), parent,
        )
        self.joining = joining
        self.auth = auth
        self.session: Session | None = None
        self.report: JoinReport | None = None
        self.sync_error: Exception | None = None
        self._town: Town | None = None
        self.url_edit = QLineEdit(self)
        self.url_edit.setPlaceholderText("postgresql://dxdesk@server/dxdesk")
        self.url_edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.server_password_edit = password_edit(self, tr("不要なら空欄"))
        # TLS is required: the town's CA certificate (a file from the administrator), unless this desk
        # already has a TLS choice in its settings (dxdesk db set-server ... --ca-file / --pin-sha256).
        self.ca_file_edit = QLineEdit(self)
        self.ca_file_edit.setPlaceholderText(tr("例: D:\\town-ca.pem（設定済みなら空欄）"))
        self.login_edit = QLineEdit(self)
        self.login_edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.password_edit = password_edit(self)
        self.form.addRow(tr("サーバーの URL:"), self.url_edit)
        self.form.addRow(tr("サーバーのパスワード:"), self.server_password_edit)
        self.form.addRow(tr("町の CA 証明書:"), self.ca_file_edit)
        self.form.addRow(tr("管理者のログインID:"), self.login_edit)
        self.form.addRow(tr("管理者のパスワード:"), self.password_edit)
        self.fingerprint_label = QLabel(self)
        self.fingerprint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint_label.setVisible(False)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)  # TaskDialog's
        layout.insertWidget(layout.indexOf(self.error), self.fingerprint_label)
        self.ok_button.setText(tr("確認する"))

    def inputs(self) -> list[QWidget]:
        return [self.url_edit, self.server_password_edit, self.ca_file_edit, self.login_edit, self.password_edit]

    def submit(self) -> None:
        if self.is_busy():
            return
        if self._town is None:
            self._check()
        else:
            self._complete(self._town)

    def _check(self) -> None:
        url, login, password = self.url_edit.text().strip(), self.login_edit.text(), self.password_edit.text()
        if not url:
            self.show_error(tr("サーバーの URL を入力してください。"))
            return
        if not login.strip() or not password:
            self.show_error(MSG_ENTER_BOTH.text())
            return
        server_password = self.server_password_edit.text()
        ca_file = self.ca_file_edit.text().strip()
        from dxdesk.store.servertls import VERIFY_FULL, ServerTLS

        tls = ServerTLS(VERIFY_FULL, ca_file) if ca_file else None  # None: the desk's configured choice
        self.start(lambda: self.joining.check(url, server_password, login, password, tls), self._checked,
                   self._failed)

    def _checked(self, town: Town) -> None:
        self._town = town
        for widget in self.inputs():
            widget.setEnabled(False)
        self.fingerprint_label.setText(tr(
            "町の鍵の指紋:\n{fingerprint}\n町のほかの端末に表示される指紋（dxdesk db status）と\n"
            "一字ずつ同じか確かめてください。\n違う場合は参加せず、キャンセルしてください。").format(
                fingerprint=town.fingerprint))
        self.fingerprint_label.setVisible(True)
        self.ok_button.setText(tr("同じなので参加する"))
        self.checked.emit(town.fingerprint)

    def set_busy(self, busy: bool) -> None:
        super().set_busy(busy)
        if self._town is not None:  # after the check the inputs stay as checked
            for widget in self.inputs():
                widget.setEnabled(False)

    def _complete(self, town: Town) -> None:
        login, password = self.login_edit.text(), self.password_edit.text()

        def job() -> tuple[JoinReport, Exception | None, Session]:
            report, _result, error = self.joining.complete(town)
            return report, error, self.auth.sign_in(login, password)

        self.busy.label.setText(tr("参加して、アカウントと一覧を取り込んでいます…"))
        self.start(job, self._done, self._failed)

    def _done(self, outcome: Any) -> None:
        self.report, self.sync_error, self.session = outcome
        self.password_edit.clear()
        self.server_password_edit.clear()
        self.joined.emit(self.session)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.show_failure(exc)
        self.failed.emit(self.error.text())
        if self._town is None:
            self.password_edit.clear()
            self.password_edit.setFocus()
