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
    problem: Msg | None = None  # short label of why sync is not working (never "online" while set)
    set_aside_count: int = 0  # records the server refused, waiting for an administrator

    def text(self, lang: str | None = None) -> str:
        n = self.pending_count
        if self.mode in (ConnectivityMode.ONLINE, ConnectivityMode.OFFLINE):
            # A failing sync is never shown as "Online": the problem comes first, then what waits.
            if self.problem is not None:
                return Msg(f"{self.problem.ja} — 未送信 {n}件", f"{self.problem.en} — {n} waiting to sync").text(lang)
            if self.set_aside_count:
                k = self.set_aside_count
                return Msg(f"同期: 保留 {k}件（サーバーが受け付けない記録） — 未送信 {n}件",
                           f"Sync: {k} set aside (refused by the server) — {n} waiting to sync").text(lang)
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
                 last_sync_at: datetime | None = None, set_aside_count: Callable[[], int] | None = None) -> None:
        self._settings = settings
        self._pending_count = pending_count
        self._set_aside_count = set_aside_count or (lambda: 0)
        self._lock = threading.Lock()
        self._reachable = False
        self._last_sync_at = last_sync_at
        self._last_error: Msg | None = None
        self._problem: Msg | None = None

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

    @property
    def problem(self) -> Msg | None:
        """Short label of the last sync failure (None: last sync worked, or the server is just unreachable)."""
        with self._lock:
            return self._problem

    def set_work_offline(self, offline: bool) -> None:
        """The one switch. The caller persists settings (save_settings) if it wants it remembered."""
        self._settings.work_offline = offline

    def report_success(self, when: datetime) -> None:
        with self._lock:
            self._reachable = True
            self._last_sync_at = when
            self._last_error = None
            self._problem = None

    def report_failure(self, error: Msg, reachable: bool = False, problem: Msg | None = None) -> None:
        """``problem``: the short status label; None only for "server unreachable" (plain offline)."""
        with self._lock:
            self._reachable = reachable
            self._last_error = error
            self._problem = problem

    def status(self) -> StoreStatus:
        mode = self.mode
        pending = self._pending_count()  # database reads: not under the lock
        set_aside = self._set_aside_count()
        with self._lock:
            return StoreStatus(mode, pending, self._last_sync_at, self._last_error, self._problem, set_aside)

    def status_text(self, lang: str | None = None) -> str:
        return self.status().text(lang)
