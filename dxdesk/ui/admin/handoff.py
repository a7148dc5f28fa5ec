"""データ引き渡し tab: the back-office hand-off setting in the window (docs/handoff.md).

The same use case as ``dxdesk handoff set`` / ``status`` (dxdesk.app.handoff.Handoff): the
administrator's right is checked and the ``settings.change`` event written in the writer job that
saves the file, and a folder that cannot hold records is refused with a sentence before anything is
saved. The form edits a draft; 保存 sends only what differs from the setting in force, so the audit
event names exactly what changed. The waiting files are counted on a worker (the folder may be a
network share).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dxdesk.app.handoff import RETENTION_DAYS, Handoff, HandoffState, default_handoff_folder
from dxdesk.i18n import N_, tr
from dxdesk.security.permissions import Session
from dxdesk.ui.admin.common import BackgroundCalls
from dxdesk.ui.security.widgets import message_label

# (title, start folder) -> the chosen folder or None. QFileDialog in the window; tests answer it themselves.
ChooseFolder = Callable[[str, str], Path | None]

MSG_EXPLAIN = N_("有効にすると、印刷した申請書ごとに記載内容のデータ（JSON ファイルと CSV の行）を引き渡しフォルダーに"
                 "書き出します。基幹システムの取込機能や RPA がそこから読み取ります。フォルダーには住民の個人情報が入ります。"
                 "受け取られなかったファイルは保存期間が過ぎると削除されます。")
MSG_ON = N_("現在: 有効（印刷した申請書のデータを書き出しています）")
MSG_OFF = N_("現在: 無効（書き出していません）")
MSG_WAITING = N_("受け取り待ちのファイル: {count} 件")
MSG_COUNTING = N_("受け取り待ちのファイル: 確認中…")
MSG_DEFAULT = N_("{path}（既定）")
MSG_SAVED = N_("データ引き渡しの設定を保存しました。")
MSG_UNCHANGED = N_("変更はありません。")


def dialog_choose_folder(title: str, start: str) -> Path | None:
    chosen = QFileDialog.getExistingDirectory(None, title, start)
    return Path(chosen) if chosen else None


class HandoffTab(QWidget):
    saved = Signal()  # after the file write and its settings.change event
    refreshed = Signal()  # the setting and the waiting files are on screen
    failed = Signal(str)  # a refusal, as shown in the status line

    def __init__(self, session: Session, handoff: Handoff, runner: Any, *,
                 choose_folder: ChooseFolder = dialog_choose_folder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.handoff = handoff
        self.choose_folder = choose_folder
        self.folder_draft = handoff.settings.handoff.folder  # "" = the default folder

        title = QLabel(tr("データ引き渡し"), self)
        title.setProperty("role", "title")
        explain = QLabel(tr(MSG_EXPLAIN), self)
        explain.setProperty("role", "hint")
        explain.setWordWrap(True)
        self.state_label = QLabel(self)
        self.waiting_label = QLabel(tr(MSG_COUNTING), self)

        self.enabled_check = QCheckBox(tr("印刷した申請書のデータを書き出す(&E)"), self)
        self.folder_edit = QLineEdit(self)
        self.folder_edit.setReadOnly(True)
        self.folder_edit.setMinimumWidth(360)
        self.choose_button = QPushButton(tr("フォルダーを選ぶ(&F)…"), self)
        self.default_button = QPushButton(tr("既定に戻す(&D)"), self)
        # The path gets the whole row (a town's share can be long); the buttons go under it.
        folder_buttons = QHBoxLayout()
        folder_buttons.addWidget(self.choose_button)
        folder_buttons.addWidget(self.default_button)
        folder_buttons.addStretch(1)
        folder_row = QVBoxLayout()
        folder_row.addWidget(self.folder_edit)
        folder_row.addLayout(folder_buttons)
        self.retention_spin = QSpinBox(self)
        self.retention_spin.setRange(*RETENTION_DAYS)
        self.retention_spin.setSuffix(tr(" 日"))
        self.retention_spin.setMinimumWidth(120)
        self.retention_spin.setMaximumWidth(200)  # a number of days, not a line
        self.qr_check = QCheckBox(tr("申請書に QR コードも印刷する(&Q)"), self)
        form = QFormLayout()
        form.addRow(tr("書き出し:"), self.enabled_check)
        form.addRow(tr("引き渡しフォルダー:"), folder_row)
        form.addRow(tr("保存期間:"), self.retention_spin)
        form.addRow(tr("QR コード:"), self.qr_check)

        self.save_button = QPushButton(tr("保存(&S)"), self)
        self.save_button.setProperty("kind", "primary")
        self.refresh_button = QPushButton(tr("最新の状態にする(&U)"), self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        self.status = message_label(self)
        self.status.setWordWrap(True)

        layout = QVBoxLayout(self)
        for widget in (title, explain, self.state_label, self.waiting_label):
            layout.addWidget(widget)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addStretch(1)

        controls: list[QWidget] = [self.enabled_check, self.choose_button, self.default_button, self.retention_spin,
                                   self.qr_check, self.save_button, self.refresh_button]
        self.calls = BackgroundCalls(self, runner, self.status, controls)
        self.choose_button.clicked.connect(self.pick_folder)
        self.default_button.clicked.connect(lambda: self.set_folder_draft(""))
        self.save_button.clicked.connect(self.save)
        self.refresh_button.clicked.connect(self.refresh)
        self._show_form()
        self.refresh()

    # -- showing ---------------------------------------------------------------------------------

    def _show_form(self) -> None:
        """The form as the setting in force says (no I/O: the settings object)."""
        current = self.handoff.settings.handoff
        self.state_label.setText(tr(MSG_ON) if current.enabled else tr(MSG_OFF))
        self.enabled_check.setChecked(current.enabled)
        self.retention_spin.setValue(current.retention_days)
        self.qr_check.setChecked(current.qr)
        self.set_folder_draft(current.folder)

    def set_folder_draft(self, folder: str) -> None:
        self.folder_draft = folder
        shown = folder or tr(MSG_DEFAULT).format(path=default_handoff_folder(self.handoff.paths))
        self.folder_edit.setText(shown)
        self.folder_edit.setToolTip(shown)
        self.folder_edit.setCursorPosition(0)
        self.default_button.setEnabled(bool(folder))

    def refresh(self) -> None:
        self.calls.call(self.handoff.state, self.show_state, lambda exc: self.failed.emit(self.status.text()))

    def show_state(self, state: HandoffState) -> None:
        self._show_form()
        self.waiting_label.setText(tr(MSG_WAITING).format(count=len(state.waiting)))
        self.refreshed.emit()

    # -- changing --------------------------------------------------------------------------------

    def pick_folder(self) -> None:
        start = self.folder_draft or str(self.handoff.folder.path.parent)
        chosen = self.choose_folder(tr("引き渡しフォルダーを選ぶ"), start)
        if chosen is not None:
            self.set_folder_draft(str(chosen))

    def changes(self) -> dict[str, Any]:
        """What the form says that differs from the setting in force (the keyword arguments of configure)."""
        current = self.handoff.settings.handoff
        wanted: dict[str, Any] = {"enabled": self.enabled_check.isChecked(), "folder": self.folder_draft,
                                  "retention_days": self.retention_spin.value(), "qr": self.qr_check.isChecked()}
        in_force = {"enabled": current.enabled, "folder": current.folder, "retention_days": current.retention_days,
                    "qr": current.qr}
        return {key: value for key, value in wanted.items() if value != in_force[key]}

    def save(self) -> None:
        changes = self.changes()
        if not changes:
            self.calls.hint(tr(MSG_UNCHANGED))
            return
        self.calls.call(lambda: self.handoff.configure(self.session, **changes), self._saved,
                        lambda _exc: self.failed.emit(self.status.text()))

    def _saved(self, state: HandoffState) -> None:
        self.show_state(state)
        self.calls.info(tr(MSG_SAVED))
        self.saved.emit()
