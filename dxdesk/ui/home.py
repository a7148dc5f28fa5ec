"""The home page: who is signed in, today's figures for this desk, and big buttons to the role's pages.

The page is fed plain data by the bootstrap (dxdesk.ui.app): ``HomeSources`` holds the
callables it may use, chosen by role, so a supporter never gets the counter's figures
and a desk without a card reader shows no reader panel. Every call runs on the
TaskRunner (database and card reads never block the window) with ``owner=self``.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from dxdesk.i18n import N_, tr
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.tasks import TaskRunner
from dxdesk.ui.theme import BODY_PT, LARGE_PT, SECTION_PT, TITLE_PT, button, heading, note, set_role
from dxdesk.timeutil import local_today

if TYPE_CHECKING:  # the type only: dashboard loads SQLAlchemy, which the first dialog can do without
    from dxdesk.app.dashboard import HomeSummary

APP_TITLE_JA = N_("dxdesk 窓口支援システム")  # the msgid: show tr(APP_TITLE_JA)


@dataclass(frozen=True)
class HomeSources:
    """What the home page may show; a ``None`` source is hidden (the role may not see it)."""

    summary: Callable[[], HomeSummary] | None = None  # runs on a worker (database read)
    store_mode: Callable[[], str] | None = None  # "オンライン" etc. (no database access)
    card_status: Callable[[], Future] | None = None  # CardService.status(): Future[CardStatus]
    show_visits: bool = False
    show_support: bool = False


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, secs = divmod(int(round(seconds)), 60)
    return tr("{minutes}分{secs:02d}秒").format(minutes=minutes, secs=secs)


def _tile(title: str) -> tuple[QFrame, QLabel, QLabel]:
    """A figure card: a small title, a big value, a line of explanation."""
    frame = QFrame()
    frame.setProperty("panel", True)
    frame.setMinimumWidth(220)
    col = QVBoxLayout(frame)
    col.setContentsMargins(18, 14, 18, 14)
    name = note(title, BODY_PT)
    value = QLabel("…")
    value.setFont(ui_font(28, bold=True))
    value.setProperty("role", "value")
    detail = note("", BODY_PT)
    for w in (name, value, detail):
        col.addWidget(w)
    col.addStretch(1)
    return frame, value, detail


class HomePage(QWidget):
    open_page = Signal(str)  # a page key: the main window switches to it

    def __init__(self, municipality: str, desk_name: str, *, user: str = "",
                 sources: HomeSources | None = None, runner: TaskRunner | None = None,
                 today: Callable[[], date] = local_today) -> None:
        super().__init__()
        self.sources = sources or HomeSources()
        self.runner = runner
        self._today = today
        self.page_buttons: dict[str, QPushButton] = {}

        title = QLabel(tr(APP_TITLE_JA))
        title.setObjectName("appTitle")
        title.setFont(ui_font(TITLE_PT, bold=True))
        title.setProperty("role", "title")
        d = today()
        day = tr("{year}年{month}月{day}日").format(year=d.year, month=d.month, day=d.day)
        where = note(f"{municipality}　{desk_name}　　{day}", LARGE_PT, role="body")
        self.who = note(tr("{user} さん、おつかれさまです。").format(user=user) if user
                        else tr("書かない窓口・デジタル活用支援"), LARGE_PT)

        self.tiles = QGridLayout()
        self.tiles.setHorizontalSpacing(16)
        self.tiles.setVerticalSpacing(16)
        self.visits_value = self.visits_detail = self.mean_value = self.mean_detail = None
        self.support_value = self.support_detail = self.sync_value = self.sync_detail = None
        self.card_value = self.card_detail = None
        tiles: list[QFrame] = []
        if self.sources.show_visits:
            frame, self.visits_value, self.visits_detail = _tile(tr("本日完了した受付（この窓口）"))
            tiles.append(frame)
            frame, self.mean_value, self.mean_detail = _tile(tr("平均所要時間"))
            tiles.append(frame)
        if self.sources.show_support:
            frame, self.support_value, self.support_detail = _tile(tr("本日の支援記録（この端末）"))
            tiles.append(frame)
        if self.sources.summary is not None or self.sources.store_mode is not None:
            frame, self.sync_value, self.sync_detail = _tile(tr("データの送信"))
            tiles.append(frame)
        if self.sources.card_status is not None:
            frame, self.card_value, self.card_detail = _tile(tr("カード読み取り機"))
            tiles.append(frame)
        for i, frame in enumerate(tiles):
            self.tiles.addWidget(frame, i // 3, i % 3)

        self.buttons_row = QHBoxLayout()
        self.buttons_row.setSpacing(16)
        self.buttons_title = heading(tr("業務を選ぶ"), SECTION_PT)
        self.buttons_title.hide()
        self.error = note("", BODY_PT, role="error")
        self.error.hide()
        hint = note(tr("左の一覧から選ぶこともできます。Ctrl+数字で業務を切り替え、Alt+I で操作メニュー"
                       "（ロック・パスワード変更・サインアウト）を開きます。"), BODY_PT)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 20)
        layout.setSpacing(14)
        layout.addWidget(title)
        layout.addWidget(where)
        layout.addWidget(self.who)
        layout.addSpacing(8)
        layout.addLayout(self.tiles)
        layout.addWidget(self.error)
        layout.addSpacing(8)
        layout.addWidget(self.buttons_title)
        layout.addLayout(self.buttons_row)
        layout.addStretch(1)
        layout.addWidget(hint)

    # -- navigation -------------------------------------------------------------------------------

    def set_pages(self, pages: list[tuple[str, str, str]]) -> None:
        """Big buttons for (key, title, shortcut) of the other pages, in navigation order."""
        for key, title, shortcut in pages:
            b = button(f"{title}\n{shortcut}" if shortcut else title, self, size=SECTION_PT, min_height=88)
            b.setMinimumWidth(200)
            b.setAccessibleName(title)
            b.clicked.connect(lambda _=False, k=key: self.open_page.emit(k))
            self.page_buttons[key] = b
            self.buttons_row.addWidget(b)
        self.buttons_row.addStretch(1)
        self.buttons_title.setVisible(bool(pages))

    def focus_first(self) -> None:
        first = next(iter(self.page_buttons.values()), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            self.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # -- figures --------------------------------------------------------------------------------

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        self.refresh()  # each visit to the page: the figures change during the day

    def refresh(self) -> None:
        if self.runner is None:
            return
        src = self.sources
        if src.summary is not None:
            summary = src.summary
            handle = self.runner.run(lambda _cancel: summary(), owner=self)
            handle.finished.connect(self.show_summary)
            handle.failed.connect(self._summary_failed)
        if src.card_status is not None:
            try:
                future = src.card_status()
            except Exception:  # noqa: BLE001 - a closed card service: say so, never crash the home page
                self._card_unavailable()
                return
            handle = self.runner.watch(future, owner=self)
            handle.finished.connect(self.show_card_status)
            handle.failed.connect(lambda _exc: self._card_unavailable())

    def show_summary(self, s: HomeSummary) -> None:
        self.error.hide()
        if self.visits_value is not None and s.visits_closed is not None:
            assert self.visits_detail and self.mean_value and self.mean_detail  # tiles come in pairs
            self.visits_value.setText(tr("{count} 件").format(count=s.visits_closed))
            self.visits_detail.setText(tr("中止 {count} 件").format(count=s.visits_cancelled or 0))
            self.mean_value.setText(format_duration(s.mean_visit_seconds))
            self.mean_detail.setText(tr("受付開始から完了まで") if s.visits_closed
                                     else tr("完了した受付はまだありません"))
        if self.support_value is not None and s.support_sessions is not None:
            assert self.support_detail is not None
            self.support_value.setText(tr("{count} 件").format(count=s.support_sessions))
            self.support_detail.setText(tr("削除した記録は数えません"))
        if self.sync_value is not None:
            assert self.sync_detail is not None
            if not s.server_configured and not s.set_aside_sync:
                # Nothing is late on a desk that works alone: its records stay here until a server is set.
                self.sync_value.setText(tr("サーバー未設定"))
                set_role(self.sync_value, "value")
            else:
                value = tr("未送信 {count} 件").format(count=s.pending_sync)
                if s.set_aside_sync:  # refused by the server: an administrator must look (dxdesk db status)
                    value += "\n" + tr("保留 {count} 件（サーバーが受け付けません）").format(count=s.set_aside_sync)
                self.sync_value.setText(value)
                set_role(self.sync_value, "value" if s.pending_sync == 0 and not s.set_aside_sync else "warning")
            self.sync_detail.setText(self.sources.store_mode() if self.sources.store_mode else "")
        if s.problems:
            texts = {"purge": tr("保存期間を過ぎた個人情報の定期削除が失敗しています。管理者に連絡してください"
                                 "（dxdesk doctor で確認できます）。"),
                     "recovery_key": tr("町の復旧キーが変更されています。新しい復旧シートと照合するまで使いません"
                                        "（dxdesk db status / dxdesk db recovery-accept）。")}
            # A job without its own sentence is still never shown by its internal name.
            other = tr("バックグラウンドの処理が失敗しています。管理者に連絡してください（dxdesk doctor で確認できます）。")
            self.error.setText("\n".join(dict.fromkeys(texts.get(p, other) for p in s.problems)))
            self.error.show()

    def _summary_failed(self, _exc: BaseException) -> None:
        self.error.setText(tr("本日の集計を読み込めませんでした。業務はそのまま続けられます。"))
        self.error.show()

    def show_card_status(self, status) -> None:
        if self.card_value is None:
            return
        assert self.card_detail is not None
        source = status.source
        if source is None:
            self.card_value.setText(tr("見つかりません"))
            set_role(self.card_value, "warning")
            self.card_detail.setText(tr("読み取り機をつなぐか、窓口受付で手入力を使います"))
            return
        set_role(self.card_value, "value")
        self.card_value.setText(tr("模擬カード（研修用）") if source.simulated else tr("接続しています"))
        self.card_detail.setText(tr("研修用の模擬カードです。実際のカードは読み取りません。") if source.simulated
                                 else source.reader)

    def _card_unavailable(self) -> None:
        if self.card_value is not None:
            assert self.card_detail is not None
            self.card_value.setText(tr("使えません"))
            set_role(self.card_value, "warning")
            self.card_detail.setText(tr("カード読み取りサービスを確認してください"))
