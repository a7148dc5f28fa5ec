"""復旧キー tab: set up the town recovery key once, and confirm it on this desk with the sheet's fingerprint.

The rules live in dxdesk.app.recovery (the CLI's ``db recovery-setup`` / ``db recovery-accept`` use
the same use cases): the secret is written only to the recovery sheet PDF and, if asked, a USB file,
never to this desk; a key that came through the server is used only after the administrator types
the fingerprint printed on the sheet.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dxdesk.app.recovery import RecoveryKeys, RecoveryKeyState, RecoverySetUp
from dxdesk.i18n import N_, tr
from dxdesk.security.permissions import Session
from dxdesk.ui.admin.common import BackgroundCalls
from dxdesk.ui.security.widgets import message_label

# (title, suggested file name, filter) -> chosen path or None. QFileDialog in the window; tests pass their own.
ChooseFile = Callable[[str, str, str], Path | None]

MSG_EXPLAIN = N_("町の復旧キーは、端末が壊れたり失われたりしたときに、バックアップとサーバーの記録を読み戻すための鍵です。"
                 "秘密の部分は復旧シート（印刷して金庫に保管）と USB 用ファイルにだけ書き出され、端末には残りません。")
MSG_NOT_SET = N_("町の復旧キー: まだ作成されていません")
MSG_TOWN_KEY = N_("町の復旧キー: 指紋 {fp}")
MSG_WRAPPED = N_("この端末の鍵: 復旧キーで保護済み（{kinds}）")
MSG_NOT_WRAPPED = N_("この端末の鍵: まだ保護されていません（次の同期で保護されます）")
MSG_UNCONFIRMED = N_("この端末の鍵: 復旧キーを確認するまで保護されません")
MSG_AWAITING = N_("サーバーから町の復旧キー（指紋 {fp}）が届きました。復旧シートの「鍵の指紋」を入力して確認するまで、"
                  "この端末では使いません。")
MSG_CREATED = N_("復旧キーを作成しました。指紋: {fp}　確認コード: {code}　この端末の鍵を保護しました（{wrapped} 件）。"
                 "復旧シートを印刷して金庫に保管し、PDF ファイルは削除してください。"
                 "ほかの端末では、管理者がこの指紋を入力して確認します。")
MSG_ACCEPTED = N_("復旧キー（指紋 {fp}）を確認しました。この端末の鍵を保護しました（{wrapped} 件）。")
MSG_TYPE_FP = N_("復旧シートの「鍵の指紋」（16 桁）を入力してください（例: 3f2a-91c0-5b7e-0d14）。")
KIND_NAMES = {"audit": N_("監査ログ"), "database": N_("データ")}


def dialog_save_file(title: str, suggested: str, filters: str) -> Path | None:
    chosen, _filter = QFileDialog.getSaveFileName(None, title, str(Path.home() / suggested), filters)
    return Path(chosen) if chosen else None


class RecoveryTab(QWidget):
    changed = Signal()  # after a set-up or a confirmation (and its audit event)

    def __init__(self, session: Session, recovery: RecoveryKeys, runner: Any, *,
                 choose_file: ChooseFile = dialog_save_file, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.recovery = recovery
        self.choose_file = choose_file

        title = QLabel(tr("復旧キー"), self)
        title.setProperty("role", "title")
        explain = QLabel(tr(MSG_EXPLAIN), self)
        explain.setProperty("role", "hint")
        explain.setWordWrap(True)
        self.key_label = QLabel(self)
        self.wrapped_label = QLabel(self)

        self.setup_box = QGroupBox(tr("町の復旧キーを作成する（町で一度だけ）"), self)
        self.usb_check = QCheckBox(tr("USB メモリー用の復旧ファイルも保存する"), self.setup_box)
        self.usb_check.setChecked(True)
        self.setup_button = QPushButton(tr("作成して復旧シートを保存(&R)…"), self.setup_box)
        setup_row = QHBoxLayout(self.setup_box)
        setup_row.addWidget(self.setup_button)
        setup_row.addWidget(self.usb_check)
        setup_row.addStretch(1)

        self.accept_box = QGroupBox(tr("この端末で復旧キーを確認する"), self)
        self.awaiting_label = QLabel(self.accept_box)
        self.awaiting_label.setWordWrap(True)
        self.fingerprint_edit = QLineEdit(self.accept_box)
        self.fingerprint_edit.setPlaceholderText(tr("鍵の指紋（復旧シートに記載）"))
        self.fingerprint_edit.setMaxLength(40)  # 16 hex digits in groups of 4, with any spaces or dashes typed
        self.fingerprint_edit.setMinimumWidth(260)
        self.accept_button = QPushButton(tr("確認して使う(&C)"), self.accept_box)
        accept_row = QHBoxLayout()
        accept_row.addWidget(QLabel(tr("鍵の指紋:"), self.accept_box))
        accept_row.addWidget(self.fingerprint_edit)
        accept_row.addWidget(self.accept_button)
        accept_row.addStretch(1)
        accept_layout = QVBoxLayout(self.accept_box)
        accept_layout.addWidget(self.awaiting_label)
        accept_layout.addLayout(accept_row)

        self.status = message_label(self)
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        for widget in (title, explain, self.key_label, self.wrapped_label, self.setup_box, self.accept_box,
                       self.status):
            layout.addWidget(widget)
        layout.addStretch(1)

        self.calls = BackgroundCalls(self, runner, self.status,
                                     [self.setup_button, self.accept_button, self.fingerprint_edit])
        self.setup_button.clicked.connect(self.start_set_up)
        self.accept_button.clicked.connect(self.accept)
        self.fingerprint_edit.returnPressed.connect(self.accept)
        self.show_state(recovery.state())

    def refresh(self) -> None:
        self.calls.call(self.recovery.state, self.show_state)

    def show_state(self, state: RecoveryKeyState) -> None:
        self.key_label.setText(tr(MSG_TOWN_KEY).format(fp=state.town_key) if state.town_key else tr(MSG_NOT_SET))
        kinds = tr("、").join(tr(KIND_NAMES.get(k, k)) for k in state.wrapped)
        if state.awaiting is not None:
            self.wrapped_label.setText(tr(MSG_UNCONFIRMED))
        else:
            self.wrapped_label.setText(tr(MSG_WRAPPED).format(kinds=kinds) if kinds else tr(MSG_NOT_WRAPPED))
        self.wrapped_label.setVisible(state.town_key is not None)
        self.setup_box.setVisible(state.town_key is None)  # the town has one key; replacing it is not a button
        self.accept_box.setVisible(state.awaiting is not None)
        if state.awaiting is not None:
            self.awaiting_label.setText(tr(MSG_AWAITING).format(fp=state.awaiting))

    def start_set_up(self) -> None:
        """Ask where to save the sheet (and the USB file), then create the key."""
        sheet = self.choose_file(tr("復旧シート（PDF）の保存先"), "dxdesk-recovery-sheet.pdf", "PDF (*.pdf)")
        if sheet is None:
            return
        out = None
        if self.usb_check.isChecked():
            out = self.choose_file(tr("USB メモリー用の復旧ファイルの保存先"), "dxdesk-recovery.key",
                                   tr("復旧ファイル (*.key)"))
            if out is None:
                return
        self.calls.call(lambda: self.recovery.set_up(self.session, out, sheet), self._created)

    def _created(self, done: RecoverySetUp) -> None:
        self.show_state(self.recovery.state())
        self.calls.info(tr(MSG_CREATED).format(fp=done.fingerprint, code=done.check_code, wrapped=done.wrapped))
        self.changed.emit()

    def accept(self) -> None:
        typed = self.fingerprint_edit.text().strip()
        if not typed:
            self.calls.error(tr(MSG_TYPE_FP))
            self.fingerprint_edit.setFocus()
            return
        self.calls.call(lambda: self.recovery.accept(self.session, typed), self._accepted)

    def _accepted(self, wrapped: int) -> None:
        state = self.recovery.state()
        self.show_state(state)
        self.fingerprint_edit.clear()
        self.calls.info(tr(MSG_ACCEPTED).format(fp=state.town_key, wrapped=wrapped))
        self.changed.emit()
