"""The main window: a navigation list on the left, one page per job on the right.

Pages are plain QWidgets built by the app bootstrap (dxdesk.ui.app) and handed in,
so this module knows nothing about cards, forms or the database.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
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
from dxdesk.ui.qtfonts import ui_font

APP_TITLE_JA = "dxdesk 窓口支援システム"
PREFERRED_SIZE = (1280, 800)


@dataclass
class PageSpec:
    key: str
    title: str  # Japanese label in the navigation list
    widget: QWidget
    shortcut: str = ""  # e.g. "Ctrl+1"


class HomePage(QWidget):
    def __init__(self, municipality: str, desk_name: str) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel(APP_TITLE_JA)
        title.setObjectName("appTitle")
        title.setFont(ui_font(28, bold=True))
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        subtitle = QLabel("書かない窓口・デジタル活用支援")
        subtitle.setFont(ui_font(16))
        subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        today = date.today()
        where = QLabel(f"{municipality}　{desk_name}　　{today.year}年{today.month}月{today.day}日")
        where.setFont(ui_font(14))
        where.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel("左の一覧から業務を選んでください（Ctrl+1〜Ctrl+9 でも切り替えられます）")
        hint.setFont(ui_font(12))
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        for w in (title, subtitle, where, hint):
            layout.addWidget(w)
        layout.addStretch(2)


class MainWindow(QMainWindow):
    def __init__(self, pages: list[PageSpec]) -> None:
        super().__init__()
        self.setWindowTitle(f"{APP_TITLE_JA} {__version__}")
        self._pages = pages

        self.nav = QListWidget()
        self.nav.setObjectName("navigation")
        self.nav.setFont(ui_font(14))
        self.nav.setFixedWidth(220)
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Large targets: clerks switch jobs with a mouse, volunteers with a finger.
        self.nav.setStyleSheet("QListWidget#navigation::item { padding: 14px 12px; }")
        self.stack = QStackedWidget()
        for i, page in enumerate(pages):
            self.nav.addItem(QListWidgetItem(page.title))
            self.stack.addWidget(page.widget)
            shortcut = page.shortcut or (f"Ctrl+{i + 1}" if i < 9 else "")
            if shortcut:
                action = QAction(page.title, self)
                action.setShortcut(QKeySequence(shortcut))
                action.triggered.connect(lambda _=False, idx=i: self.show_page_index(idx))
                self.addAction(action)
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.setCurrentRow(0)

        body = QWidget()
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
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
        # Room for the window frame and title bar the window manager adds around 1280×800.
        if available is not None and (available.width() < PREFERRED_SIZE[0] + 40
                                      or available.height() < PREFERRED_SIZE[1] + 60):
            self.resize(available.size())
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        else:
            self.resize(*PREFERRED_SIZE)

    def show_page(self, key: str) -> None:
        for i, page in enumerate(self._pages):
            if page.key == key:
                self.show_page_index(i)
                return
        raise KeyError(key)

    def show_page_index(self, index: int) -> None:
        self.nav.setCurrentRow(index)
        self.stack.widget(index).setFocus()

    def set_connection_text(self, text: str) -> None:
        self.connection_label.setText(text)

    def set_card_text(self, text: str) -> None:
        self.card_label.setText(text)
