"""接続・同期 tab: server, online/offline status, the "work offline" switch and "sync now"."""
from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dxdesk.app.settings import SettingsChanges
from dxdesk.config import Settings
from dxdesk.i18n import tr
from dxdesk.security.permissions import PermissionDeniedError, Session
from dxdesk.store.connectivity import ConnectivityMode, ConnectivityState, StoreStatus
from dxdesk.store.servertls import redacted_url
from dxdesk.store.sync import SyncResult
from dxdesk.ui.admin.common import BackgroundCalls
from dxdesk.ui.security.widgets import message_label
from dxdesk.ui.tasks import PeriodicTask
from dxdesk.timeutil import to_desk

STATUS_REFRESH_MS = 5000


def display_url(url: str) -> str:
    """The server URL with any password masked (it belongs in the keyring, but someone may have typed it)."""
    if not url:
        return tr("（未設定：この端末だけに保存します）")
    return redacted_url(url)  # user:***@ and ?password=*** alike (an older dxdesk stored the query form)


class ConnectionTab(QWidget):
    work_offline_changed = Signal(bool)
    synced = Signal(object)  # the sync callable's result (a SyncResult, or None)

    def __init__(self, session: Session, connectivity: ConnectivityState, settings: Settings, runner: Any,
                 *, changes: SettingsChanges, sync: Callable[[], SyncResult | None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.connectivity = connectivity
        self.settings = settings
        self.sync = sync
        self.changes = changes

        title = QLabel(tr("接続・同期"), self)
        title.setProperty("role", "title")
        self.server_label = QLabel(display_url(settings.store.server_url), self)
        self.server_label.setWordWrap(True)
        self.mode_label = QLabel(self)
        self.pending_label = QLabel(self)
        self.last_sync_label = QLabel(self)
        self.last_error_label = QLabel(self)
        self.last_error_label.setWordWrap(True)
        self.last_error_label.setProperty("role", "error")
        self.offline_box = QCheckBox(tr("オフラインで作業（サーバーへ送信せず、この端末に保存します）"), self)
        self.offline_box.setChecked(settings.store.work_offline)
        self.offline_box.setEnabled(bool(settings.store.server_url))
        # [store] keep_support_notes_on_desk: the support log's free-text note is not synced.
        self.notes_box = QCheckBox(tr("支援記録のメモはこの端末だけに保存する（サーバーへ送信しない）"), self)
        self.notes_box.setChecked(settings.store.keep_support_notes_on_desk)
        self.sync_button = QPushButton(tr("今すぐ同期"), self)
        self.sync_button.setProperty("kind", "primary")  # the tab's main action
        self.sync_button.setVisible(sync is not None)
        self.status = message_label(self)

        form = QFormLayout()
        form.addRow(tr("サーバー:"), self.server_label)
        form.addRow(tr("状態:"), self.mode_label)
        form.addRow(tr("未送信:"), self.pending_label)
        form.addRow(tr("最終同期:"), self.last_sync_label)
        form.addRow("", self.last_error_label)
        hint = QLabel(tr("オフラインでも窓口業務は続けられます。記録は端末に保存され、オンラインに戻ると送信されます。"), self)
        hint.setProperty("role", "hint")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.offline_box)
        layout.addWidget(hint)
        layout.addWidget(self.notes_box)
        layout.addWidget(self.sync_button)
        layout.addWidget(self.status)
        layout.addStretch(1)

        self.calls = BackgroundCalls(self, runner, self.status, [self.offline_box, self.notes_box, self.sync_button],
                                     settled=self._sync_enabled)
        self.offline_box.toggled.connect(self.set_work_offline)
        self.notes_box.toggled.connect(self.set_keep_notes_on_desk)
        self.sync_button.clicked.connect(self.sync_now)
        # status() counts the records waiting to sync (a database read): asked on the runner.
        self.status_poll = PeriodicTask(runner, self.connectivity.status, self._show_status, STATUS_REFRESH_MS, self)
        self.mode_label.setText(tr("確認しています…"))
        self._sync_enabled()
        self.status_poll.start()

    def update_status(self) -> None:
        """Re-read the status in the background (after a switch or a sync)."""
        self.status_poll.trigger()

    def shutdown(self) -> None:
        self.status_poll.stop()

    def _show_status(self, status: StoreStatus) -> None:
        self.mode_label.setText(status.text())
        pending = tr("{count}件").format(count=status.pending_count)
        if status.set_aside_count:  # refused by the server: the reasons are in `dxdesk db status`
            pending += tr("（保留 {count}件：理由は dxdesk db status、修正後 dxdesk sync --retry-set-aside）").format(
                count=status.set_aside_count)
        self.pending_label.setText(pending)
        when = status.last_sync_at
        self.last_sync_label.setText(to_desk(when).strftime("%Y/%m/%d %H:%M") if when else tr("まだありません"))
        self.last_error_label.setText(status.last_error.text() if status.last_error else "")
        self.last_error_label.setVisible(status.last_error is not None)
        self._sync_enabled()

    def _sync_enabled(self) -> None:
        self.offline_box.setEnabled(bool(self.settings.store.server_url) and not self.calls.busy())
        self.sync_button.setEnabled(self.connectivity.mode in (ConnectivityMode.ONLINE, ConnectivityMode.OFFLINE)
                                    and not self.calls.busy())

    def set_work_offline(self, offline: bool) -> None:
        try:
            self.changes.check(self.session)
        except PermissionDeniedError as exc:
            self.calls.error(exc.message.text())
            self.offline_box.blockSignals(True)
            self.offline_box.setChecked(self.settings.store.work_offline)
            self.offline_box.blockSignals(False)
            return
        self.connectivity.set_work_offline(offline)  # takes effect now; the save below remembers it
        self.settings.store.work_offline = offline  # in case connectivity holds its own StoreSettings copy
        self.update_status()
        self.work_offline_changed.emit(offline)
        self.calls.call(
            lambda: self.changes.work_offline(self.session, offline),
            lambda _r: self.calls.info(tr("オフライン作業に切り替えました。") if offline else tr("オンライン作業に戻しました。")),
        )

    def set_keep_notes_on_desk(self, keep: bool) -> None:
        try:
            self.changes.check(self.session)
        except PermissionDeniedError as exc:
            self.calls.error(exc.message.text())
            self.notes_box.blockSignals(True)
            self.notes_box.setChecked(self.settings.store.keep_support_notes_on_desk)
            self.notes_box.blockSignals(False)
            return
        # The sync engine reads this same StoreSettings object: the next batch already follows it.
        self.settings.store.keep_support_notes_on_desk = keep
        self.calls.call(
            lambda: self.changes.save(self.session, "store.keep_support_notes_on_desk", value=keep),
            lambda _r: self.calls.info(tr("メモはこの端末だけに保存します。") if keep
                                       else tr("メモもサーバーへ送信します。")),
        )

    def sync_now(self) -> None:
        if self.sync is None:
            return
        sync = self.sync
        self.calls.hint(tr("同期しています…"))
        self.calls.call(sync, self._synced, lambda _e: self.update_status())

    def _synced(self, result: SyncResult | None) -> None:
        if isinstance(result, SyncResult):
            self.calls.info(tr("同期しました（送信 {sent}件・受信 {pulled}件・未送信 {pending}件）。").format(
                sent=result.sent, pulled=result.pulled, pending=result.pending))
        else:
            self.calls.info(tr("同期を開始しました。"))
        self.update_status()
        self.synced.emit(result)
