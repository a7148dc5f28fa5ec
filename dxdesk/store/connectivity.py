"""Online/offline as a mode with one switch and one visible status.

``ConnectivityState`` is the single place that knows whether dxdesk is online. The
UI binds its status bar to ``status()`` / ``status_text()``; the sync engine
reports each attempt to it. Being offline is normal operation: records are saved
locally and wait in the outbox.
"""
from __future__ import annotations

import enum
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from dxdesk.config import StoreSettings
from dxdesk.i18n import Msg


class ConnectivityMode(str, enum.Enum):
    ONLINE = "online"
    OFFLINE = "offline"  # server configured but not reachable (or not tried yet)
    DISABLED = "disabled"  # no server configured: local-only installation
    MANUAL_OFFLINE = "manual-offline"  # the user switched "work offline" on


@dataclass(frozen=True)
class StoreStatus:
    mode: ConnectivityMode
    pending_count: int
    last_sync_at: datetime | None
    last_error: Msg | None

    def text(self, lang: str | None = None) -> str:
        n = self.pending_count
        labels = {
            ConnectivityMode.ONLINE: Msg(f"オンライン — 未送信 {n}件", f"Online — {n} waiting to sync"),
            ConnectivityMode.OFFLINE: Msg(f"オフライン — 未送信 {n}件", f"Offline — {n} waiting to sync"),
            ConnectivityMode.MANUAL_OFFLINE: Msg(
                f"オフライン（手動） — 未送信 {n}件", f"Offline (manual) — {n} waiting to sync"),
            ConnectivityMode.DISABLED: Msg("ローカル保存のみ（サーバー未設定）", "Local only (no server configured)"),
        }
        return labels[self.mode].text(lang)


class ConnectivityState:
    """Thread-safe: the sync thread reports, the UI thread reads."""

    def __init__(self, settings: StoreSettings, pending_count: Callable[[], int],
                 last_sync_at: datetime | None = None) -> None:
        self._settings = settings
        self._pending_count = pending_count
        self._lock = threading.Lock()
        self._reachable = False
        self._last_sync_at = last_sync_at
        self._last_error: Msg | None = None

    @property
    def mode(self) -> ConnectivityMode:
        if not self._settings.server_url:
            return ConnectivityMode.DISABLED
        if self._settings.work_offline:
            return ConnectivityMode.MANUAL_OFFLINE
        with self._lock:
            return ConnectivityMode.ONLINE if self._reachable else ConnectivityMode.OFFLINE

    def should_sync(self) -> bool:
        return self.mode in (ConnectivityMode.ONLINE, ConnectivityMode.OFFLINE)

    def set_work_offline(self, offline: bool) -> None:
        """The one switch. The caller persists settings (save_settings) if it wants it remembered."""
        self._settings.work_offline = offline

    def report_success(self, when: datetime) -> None:
        with self._lock:
            self._reachable = True
            self._last_sync_at = when
            self._last_error = None

    def report_failure(self, error: Msg, reachable: bool = False) -> None:
        with self._lock:
            self._reachable = reachable
            self._last_error = error

    def status(self) -> StoreStatus:
        mode = self.mode
        pending = self._pending_count()  # a database read: not under the lock
        with self._lock:
            return StoreStatus(mode, pending, self._last_sync_at, self._last_error)

    def status_text(self, lang: str | None = None) -> str:
        return self.status().text(lang)
