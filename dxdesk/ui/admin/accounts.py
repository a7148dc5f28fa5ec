"""アカウント tab: list clerk accounts and administer them (administrator only).

Each action is one AuthService call on the TaskRunner; the service checks the role and
writes the audit event, so this tab only asks, shows and refreshes.
"""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dxdesk.i18n import N_, tr
from dxdesk.security.auth import AuthService
from dxdesk.security.clerks import ClerkInfo, as_utc, display_name_problem, login_problem
from dxdesk.security.permissions import Role, Session
from dxdesk.ui.admin.common import BackgroundCalls
from dxdesk.ui.security.signin import TaskDialog
from dxdesk.ui.security.widgets import NewPasswordFields, message_label
from dxdesk.ui.tasks import TaskRunner
from dxdesk.ui.theme import set_kind
from dxdesk.timeutil import desk_clock

COLUMNS = (N_("ログインID"), N_("表示名"), N_("役割"), N_("失敗回数"), N_("状態"))


def role_combo(parent: QWidget, selected: Role = Role.CLERK) -> QComboBox:
    combo = QComboBox(parent)
    for role in Role:
        combo.addItem(role.label.text(), role)
    combo.setCurrentIndex(list(Role).index(selected))
    return combo


def account_state(info: ClerkInfo, now: datetime) -> str:
    if not info.active:
        return tr("無効")
    if info.is_locked(now):
        assert info.locked_until is not None
        return tr("ロック中（{time} まで）").format(time=desk_clock(as_utc(info.locked_until)))
    return tr("有効")


class AddAccountDialog(TaskDialog):
    """New account: login, display name, role and an initial password the clerk changes later."""

    created = Signal(object)  # ClerkInfo

    def __init__(self, auth: AuthService, runner: TaskRunner, session: Session,
                 parent: QWidget | None = None) -> None:
        super().__init__(runner, tr("dxdesk — アカウント追加"), tr("アカウントの追加"),
                         tr("初期パスワードは本人に口頭または封書で伝え、\n最初のサインイン後に変更してもらいます。"),
                         tr("作成しています…"), parent)
        self.auth = auth
        self.session = session
        self.login_edit = QLineEdit(self)
        self.login_edit.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.login_edit.setPlaceholderText(tr("半角英数字（例: tanaka）"))
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText(tr("例: 市民課 田中"))
        self.role = role_combo(self)
        self.form.addRow(tr("ログインID:"), self.login_edit)
        self.form.addRow(tr("表示名:"), self.name_edit)
        self.form.addRow(tr("役割:"), self.role)
        self.passwords = NewPasswordFields(self, label=tr("初期パスワード"), form=self.form)
        self.login_edit.textChanged.connect(self.passwords.set_login)
        self.ok_button.setText(tr("追加"))

    def inputs(self) -> list[QWidget]:
        return [self.login_edit, self.name_edit, self.role, self.passwords.password, self.passwords.confirm]

    def submit(self) -> None:
        if self.is_busy():
            return
        login, name, role = self.login_edit.text(), self.name_edit.text(), self.role.currentData()
        for problem in (login_problem(login), display_name_problem(name)):
            if problem is not None:
                self.show_error(problem.text())
                return
        if not self.passwords_ready(self.passwords):
            return
        password = self.passwords.value()
        self.start(lambda: self.auth.create_account(self.session, login, name, role, password),
                   self._done, self._failed)

    def _done(self, info: ClerkInfo) -> None:
        self.passwords.clear()
        self.created.emit(info)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.show_failure(exc, self.passwords)


class ResetPasswordDialog(TaskDialog):
    """Administrator sets a new password for a clerk who forgot theirs (also lifts a lockout)."""

    def __init__(self, auth: AuthService, runner: TaskRunner, session: Session, info: ClerkInfo,
                 parent: QWidget | None = None) -> None:
        super().__init__(runner, tr("dxdesk — パスワード再設定"), tr("パスワードの再設定"),
                         tr("{name}（{login}）の新しいパスワードを設定します。\nロックも解除されます。").format(
                             name=info.display_name, login=info.login),
                         tr("設定しています…"), parent)
        self.auth = auth
        self.session = session
        self.info = info
        self.passwords = NewPasswordFields(self, label=tr("新しいパスワード"), form=self.form)
        self.passwords.set_login(info.login)
        self.ok_button.setText(tr("設定"))

    def inputs(self) -> list[QWidget]:
        return [self.passwords.password, self.passwords.confirm]

    def submit(self) -> None:
        if self.is_busy():
            return
        if not self.passwords_ready(self.passwords):
            return
        password = self.passwords.value()
        self.start(lambda: self.auth.reset_password(self.session, self.info.login, password),
                   lambda _r: self.accept(), lambda exc: self.show_failure(exc, self.passwords))


class AccountsTab(QWidget):
    changed = Signal()  # an account was added or modified (after the table refreshed)

    def __init__(self, session: Session, auth: AuthService, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.auth = auth
        self.runner = runner
        self.accounts: list[ClerkInfo] = []

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels([tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        self.add_button = QPushButton(tr("追加…"), self)
        self.role_button = QPushButton(tr("役割変更…"), self)
        self.reset_button = QPushButton(tr("パスワード再設定…"), self)
        self.unlock_button = QPushButton(tr("ロック解除"), self)
        self.active_button = QPushButton(tr("無効にする"), self)
        self.refresh_button = QPushButton(tr("再読み込み"), self)
        self.add_button.setProperty("kind", "primary")  # the tab's main action
        self.active_button.setProperty("kind", "danger")  # until it offers 有効にする (see _update_buttons)
        self.status = message_label(self)
        title = QLabel(tr("職員アカウント"), self)
        title.setProperty("role", "title")
        hint = QLabel(tr("無効にしたアカウントはサインインできません（記録は残ります）。"
                         "有効なシステム管理者が1人もいなくなる変更はできません。"), self)
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)

        buttons = QHBoxLayout()
        for b in (self.add_button, self.role_button, self.reset_button, self.unlock_button, self.active_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)

        self.calls = BackgroundCalls(self, runner, self.status, [self.add_button, self.refresh_button, self.table],
                                     settled=self._update_buttons)
        self.add_button.clicked.connect(self.open_add_dialog)
        self.role_button.clicked.connect(self._ask_role)
        self.reset_button.clicked.connect(self.open_reset_dialog)
        self.unlock_button.clicked.connect(lambda: self._act("unlock"))
        self.active_button.clicked.connect(self._toggle_active)
        self.refresh_button.clicked.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self._update_buttons()

    # -- data -----------------------------------------------------------------------
    def refresh(self) -> None:
        self.calls.call(lambda: self.auth.list_accounts(self.session), self._show_accounts)

    def _show_accounts(self, accounts: list[ClerkInfo]) -> None:
        selected = self.selected()
        self.accounts = list(accounts)
        now = datetime.now(timezone.utc)
        self.table.setRowCount(len(self.accounts))
        for row, info in enumerate(self.accounts):
            cells = (info.login, info.display_name, info.role.label.text(), str(info.failed_attempts),
                     account_state(info, now))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not info.active:
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(row, col, item)
            if selected is not None and info.login == selected.login:
                self.table.selectRow(row)
        self._update_buttons()

    def selected(self) -> ClerkInfo | None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        if len(rows) != 1:
            return None
        row = rows.pop()
        return self.accounts[row] if 0 <= row < len(self.accounts) else None

    def select_login(self, login: str) -> None:
        for row, info in enumerate(self.accounts):
            if info.login == login:
                self.table.selectRow(row)
                return

    def _update_buttons(self) -> None:
        info = self.selected()
        idle = not self.calls.busy()
        for b in (self.role_button, self.reset_button, self.unlock_button, self.active_button):
            b.setEnabled(idle and info is not None)
        if info is not None:
            self.active_button.setText(tr("無効にする") if info.active else tr("有効にする"))
            # Deactivating locks someone out: red. Re-activating gives access back: a plain button.
            set_kind(self.active_button, "danger" if info.active else "secondary")
            self.unlock_button.setEnabled(idle and (info.failed_attempts > 0 or info.locked_until is not None))

    # -- actions --------------------------------------------------------------------
    def open_add_dialog(self) -> AddAccountDialog:
        dialog = AddAccountDialog(self.auth, self.runner, self.session, self)
        dialog.created.connect(self._created)
        dialog.open()
        return dialog

    def _created(self, info: ClerkInfo) -> None:
        self.calls.info(tr("アカウント「{login}」を追加しました。").format(login=info.login))
        self._refresh_then_select(info.login)

    def open_reset_dialog(self) -> ResetPasswordDialog | None:
        info = self.selected()
        if info is None:
            return None
        dialog = ResetPasswordDialog(self.auth, self.runner, self.session, info, self)
        dialog.accepted.connect(lambda: self._done(tr("{login} のパスワードを再設定しました。").format(login=info.login), info.login))
        dialog.open()
        return dialog

    def _ask_role(self) -> None:
        info = self.selected()
        if info is None:
            return
        labels = [r.label.text() for r in Role]
        prompt = tr("{name}（{login}）の役割:").format(name=info.display_name, login=info.login)
        label, ok = QInputDialog.getItem(self, tr("役割変更"), prompt, labels, list(Role).index(info.role), False)
        if ok:
            self.change_role(info.login, list(Role)[labels.index(label)])

    def change_role(self, login: str, role: Role) -> None:
        self.calls.call(lambda: self.auth.set_role(self.session, login, role),
                        lambda _i: self._done(tr("{login} の役割を「{role}」にしました。").format(
                            login=login, role=role.label.text()), login))

    def _toggle_active(self) -> None:
        info = self.selected()
        if info is None:
            return
        if info.active:
            if not self.confirm(tr("{name}（{login}）を無効にします。サインインできなくなります。よろしいですか？").format(
                    name=info.display_name, login=info.login)):
                return
            self._act("deactivate")
        else:
            self._act("reactivate")

    def confirm(self, text: str) -> bool:
        """Asks before a disruptive change; tests replace it."""
        answer = QMessageBox.question(self, "dxdesk", text)
        return answer == QMessageBox.StandardButton.Yes

    def _act(self, action: str) -> None:
        info = self.selected()
        if info is None:
            return
        login = info.login
        calls = {
            "unlock": (self.auth.unlock_account, tr("{login} のロックを解除しました。")),
            "deactivate": (self.auth.deactivate_account, tr("{login} を無効にしました。")),
            "reactivate": (self.auth.reactivate_account, tr("{login} を有効にしました。")),
        }
        fn, done_text = calls[action]
        self.calls.call(lambda: fn(self.session, login), lambda _r: self._done(done_text.format(login=login), login))

    def _done(self, text: str, login: str) -> None:
        self.calls.info(text)
        self._refresh_then_select(login)

    def _refresh_then_select(self, login: str) -> None:
        def shown(accounts: list[ClerkInfo]) -> None:
            self._show_accounts(accounts)
            self.select_login(login)
            self.changed.emit()

        self.calls.call(lambda: self.auth.list_accounts(self.session), shown)
