"""The main window: a navigation list on the left, one page per job on the right.

Pages are plain QWidgets built by the app bootstrap (dxdesk.ui.app) and handed in,
so this module knows nothing about cards, forms or the database.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QMenu,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QStatusBar,
    QVBoxLayout,
    QWidget,
)

from dxdesk import __version__
from dxdesk.i18n import N_, tr
from dxdesk.ui.home import APP_TITLE_JA, HomePage
from dxdesk.ui.focus import focus_first_control
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.tasks import PeriodicTask
from dxdesk.ui.training_band import add_training_band

__all__ = ["APP_TITLE_JA", "OPERATIONS_MENU", "HomePage", "MainWindow", "PageSpec", "add_operations_menu"]

# Alt+I: not Alt+O, which the support entry uses for 結果 (a menu mnemonic would take the key from it);
# tests/ui/fit/test_mnemonics.py keeps every window's Alt keys apart.
OPERATIONS_MENU = N_("操作(&I)")

PREFERRED_SIZE = (1280, 800)


@dataclass
class PageSpec:
    key: str
    title: str  # label in the navigation list, already translated (tr())
    widget: QWidget
    shortcut: str = ""  # e.g. "Ctrl+1"


class MainWindow(QMainWindow):
    def __init__(self, pages: list[PageSpec]) -> None:
        super().__init__()
        self.setWindowTitle(f"{tr(APP_TITLE_JA)} {__version__}")
        self._pages = pages
        # Set by app.build_main_window: pages with a shutdown() (and maybe blank_resident_display()), and the
        # status-bar poll; both stay empty for the self-test's home-only window.
        self.closables: list[Any] = []
        self.status_poll: PeriodicTask | None = None

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFont(ui_font(14))
        self.nav.setFixedWidth(220)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Large targets (theme: 14 px padding): clerks switch jobs with a mouse, volunteers with a finger.
        self.stack = QStackedWidget()
        for i, page in enumerate(pages):
            self.nav.addItem(QListWidgetItem(page.title))
            self.stack.addWidget(page.widget)
            shortcut = self._shortcut(page)
            if shortcut:
                action = QAction(page.title, self)
                action.setShortcut(QKeySequence(shortcut))
                action.triggered.connect(lambda _=False, idx=i: self.show_page_index(idx))
                self.addAction(action)
            if isinstance(page.widget, HomePage):
                others = [p for p in pages if p.widget is not page.widget]
                page.widget.set_pages([(p.key, p.title, self._shortcut(p)) for p in others])
                page.widget.open_page.connect(self.show_page)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.setCurrentRow(0)

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        column.addLayout(row, 1)
        # 研修モード: the band across the top of every page, above the navigation too.
        self.training_band = add_training_band(column, body)
        if self.training_band is not None:
            self.setWindowTitle(f"{self.windowTitle()} — {self.training_band.text()}")
        self.setCentralWidget(body)

        status = QStatusBar()
        status.setFont(ui_font(11))
        self.connection_label = QLabel("")
        self.card_label = QLabel("")
        status.addPermanentWidget(self.card_label)
        status.addPermanentWidget(self.connection_label)
        self.setStatusBar(status)
        self.fit_to_screen()

    def fit_to_screen(self) -> None:
        """1280×800 where it fits; maximized on smaller screens.

        Many counter PCs are 1366×768 laptops: a fixed 800 px tall window would put the
        status bar (online/offline, who is signed in) and the bottom buttons off screen.
        """
        screen = self.screen() or QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else None
        self._cap_to_screen()
        # Room for the window frame and title bar the window manager adds around 1280×800.
        if available is not None and (available.width() < PREFERRED_SIZE[0] + 40
                                      or available.height() < PREFERRED_SIZE[1] + 60):
            self.resize(available.size())
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        else:
            self.resize(*PREFERRED_SIZE)

    def _cap_to_screen(self) -> None:
        """The window never grows past the screen by itself: a page whose content needs more room
        (a long follow-on list, an error shown) wraps or scrolls inside instead (#14).

        The cap is the available geometry (without the taskbar) less the window frame the window
        manager adds, known once the window is shown.
        """
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return
        available = screen.availableGeometry()
        frame_w = max(0, self.frameGeometry().width() - self.width()) if self.isVisible() else 0
        frame_h = max(0, self.frameGeometry().height() - self.height()) if self.isVisible() else 0
        self.setMaximumSize(available.width() - frame_w, available.height() - frame_h)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        self._cap_to_screen()
        screen = self.windowHandle().screen() if self.windowHandle() is not None else None
        if screen is not None and not getattr(self, "_screen_watched", False):
            self._screen_watched = True
            self.windowHandle().screenChanged.connect(lambda _s: self._cap_to_screen())

    def show_page(self, key: str) -> None:
        for i, page in enumerate(self._pages):
            if page.key == key:
                self.show_page_index(i)
                return
        raise KeyError(key)

    def _shortcut(self, page: PageSpec) -> str:
        index = self._pages.index(page)
        return page.shortcut or (f"Ctrl+{index + 1}" if index < 9 else "")

    def show_page_index(self, index: int) -> None:
        """Switch pages and put the keyboard on the page's first useful control.

        Pages offer ``focus_first()``; for one without it, the first focusable widget inside it
        (the page container itself takes no typing, so focusing it would strand the keyboard).
        """
        self.nav.setCurrentRow(index)
        page = self.stack.widget(index)
        if page is None:
            return
        focus_first = getattr(page, "focus_first", None)
        if callable(focus_first):
            focus_first()
            return
        focus_first_control(page)

    def set_connection_text(self, text: str) -> None:
        self.connection_label.setText(text)

    def set_card_text(self, text: str) -> None:
        self.card_label.setText(text)


def add_operations_menu(window: QMainWindow, items: list[Any]) -> QMenu:
    """The 操作 menu (lock, change password, sign out, quit): QActions, (text, slot) pairs, None = separator."""
    menu = window.menuBar().addMenu(tr(OPERATIONS_MENU))  # reachable without a mouse
    for item in items:
        if item is None:
            menu.addSeparator()
        elif isinstance(item, QAction):
            menu.addAction(item)
        else:
            text, slot = item
            menu.addAction(text, slot)
    return menu
