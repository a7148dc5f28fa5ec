"""The resident's confirmation view: everything that will be printed, large, in plain words, page by page.

Built for a 75-year-old: every text at least 24 pt (values 28 pt, the name 32 pt with 16 pt
furigana above it), black on white, one navy heading per procedure, the clerk's jargon replaced by
the resident glossary (dxdesk.counter.residentview), values in the reader's language, dates in
和暦, the My Number masked. Rows never hide below the fold: they are split into pages with
「前へ」/「次へ」 and a visible "1 / 3". Read-aloud (dxdesk.ui.counter.readaloud) when a voice is
installed; otherwise a note says so, instead of a button that is simply missing.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from dxdesk.counter.residentview import ResidentSection
from dxdesk.i18n import tr
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.theme import NAVY
from dxdesk.ui.training_band import add_training_band

from .readaloud import ReadAloud, shared_read_aloud, spoken_text
from .residentpages import LABEL_PT, paginate
from .residentscreen import show_on_resident_screen

log = logging.getLogger(__name__)

TEXT_PT = 24
BANNER_PT = 30


def _big_button(text: str, parent: QWidget) -> QPushButton:
    b = QPushButton(text, parent)
    b.setFont(ui_font(TEXT_PT, bold=True))
    b.setMinimumHeight(64)
    b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the clerk's keys stay with the clerk's window
    return b


class ResidentView(QWidget):
    """Shows ``resident_sections(visit)``; call :meth:`show_items` whenever answers change."""

    page_changed = Signal(int)
    close_requested = Signal()  # Esc (or F5) while shown as the one-screen overlay

    def __init__(self, parent: QWidget | None = None, read_aloud: ReadAloud | None = None,
                 compact: bool = False) -> None:
        """``compact``: the clerk's copy in the confirm step, without the banner, subtitle and training
        band (the step and the window show those): at 1366x728 they left room for one row a page (#14)."""
        super().__init__(parent)
        self.setObjectName("residentView")
        self.setAutoFillBackground(True)
        self.setStyleSheet("QWidget#residentView, QWidget#residentPage { background: white; } QLabel { color: #000; }")
        self._sections: list[ResidentSection] = []
        self._laid_out_for: tuple[int, int] | None = None
        self._page_widgets: list[QWidget] = []
        self.speech = read_aloud if read_aloud is not None else shared_read_aloud()

        self.banner = QLabel(tr("内容をご確認ください"), self)
        self.banner.setFont(ui_font(BANNER_PT, bold=True))
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setStyleSheet(f"background: {NAVY}; color: white; padding: 10px;")
        self.subtitle = QLabel(tr("このとおりに申請書に印刷します。違うところがあれば、職員にお知らせください。"), self)
        self.subtitle.setFont(ui_font(TEXT_PT))
        self.subtitle.setWordWrap(True)
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitle.setStyleSheet("color: #000; padding: 4px;")

        self.pages = QStackedWidget(self)
        self.pages.installEventFilter(self)  # repaginate when the page area changes size

        self.previous_button = _big_button(tr("← 前へ"), self)
        self.next_button = _big_button(tr("次へ →"), self)
        self.page_label = QLabel("1 / 1", self)
        self.page_label.setFont(ui_font(TEXT_PT + 4, bold=True))
        self.page_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.page_label.setMinimumWidth(140)
        self.previous_button.clicked.connect(self.previous_page)
        self.next_button.clicked.connect(self.next_page)
        self.read_aloud_button = _big_button(tr("読み上げる"), self)
        self.read_aloud_button.clicked.connect(self.read_aloud)
        self.read_aloud_note = QLabel(tr("読み上げ: この端末には音声が入っていないため使えません。職員が読み上げます。"), self)
        self.read_aloud_note.setFont(ui_font(TEXT_PT))
        self.read_aloud_note.setWordWrap(True)
        self.read_aloud_button.setVisible(self.speech.available)
        self.read_aloud_note.setVisible(not self.speech.available)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.setSpacing(6)
        layout.addWidget(self.banner)
        band = None if compact else add_training_band(layout, self)  # the resident sees it too: nothing here is real
        if band is not None:
            band.setFont(ui_font(TEXT_PT, bold=True))
        layout.addWidget(self.subtitle)
        self.banner.setVisible(not compact)
        self.subtitle.setVisible(not compact)
        layout.addWidget(self.pages, 1)
        nav = QHBoxLayout()
        nav.setContentsMargins(16, 0, 16, 0)
        nav.addWidget(self.previous_button)
        nav.addWidget(self.page_label)
        nav.addWidget(self.next_button)
        nav.addStretch(1)
        nav.addWidget(self.read_aloud_button)
        nav.addWidget(self.read_aloud_note, 1)
        layout.addLayout(nav)
        self._update_nav()

    # -- content -------------------------------------------------------------------------------------

    @property
    def can_read_aloud(self) -> bool:
        return self.speech.available

    def show_items(self, sections: list[ResidentSection]) -> None:
        self.speech.stop()
        self._sections = list(sections)
        self._laid_out_for = None
        self._layout_pages()
        self._go(0)  # new content starts on its first page

    def page_count(self) -> int:
        return max(self.pages.count(), 1)

    def current_page(self) -> int:
        return self.pages.currentIndex()

    def row_keys_by_page(self) -> list[list[str]]:
        """For tests and the clerk's preview: which rows each page shows."""
        return [list(page.property("rowKeys") or []) for page in self._page_widgets]

    def next_page(self) -> None:
        self._go(self.pages.currentIndex() + 1)

    def previous_page(self) -> None:
        self._go(self.pages.currentIndex() - 1)

    def _go(self, index: int) -> None:
        if 0 <= index < self.pages.count() and index != self.pages.currentIndex():
            self.pages.setCurrentIndex(index)
            self.page_changed.emit(index)
        self._update_nav()

    def _update_nav(self) -> None:
        index, count = self.pages.currentIndex(), self.page_count()
        self.page_label.setText(f"{max(index, 0) + 1} / {count}")
        self.page_label.setAccessibleName(tr("{page} / {count} ページ").format(page=max(index, 0) + 1, count=count))
        self.previous_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < count - 1)

    def _layout_pages(self) -> None:
        size = (self.pages.width(), self.pages.height())
        if size == self._laid_out_for:
            return
        self._laid_out_for = size
        keep = max(self.pages.currentIndex(), 0)
        for old in self._page_widgets:
            self.pages.removeWidget(old)
            old.deleteLater()
        # Before the first layout the area has no size yet; lay out for a typical one and redo on resize.
        width = size[0] if size[0] > 100 else 1000
        height = size[1] if size[1] > 100 else 400
        self._page_widgets = paginate(self._sections, width, height, self.pages)
        for page in self._page_widgets:
            self.pages.addWidget(page)
            page.resize(width, height)
            if (layout := page.layout()) is not None:
                layout.activate()  # geometry now, so what is measured is what the resident sees
        self.pages.setCurrentIndex(min(keep, self.pages.count() - 1))
        self._update_nav()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.pages and event.type() == QEvent.Type.Resize:
            self._layout_pages()
        return super().eventFilter(watched, event)

    # -- keys and speech -----------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key = event.key()
        if key in (Qt.Key.Key_PageDown, Qt.Key.Key_Right):
            self.next_page()
        elif key in (Qt.Key.Key_PageUp, Qt.Key.Key_Left):
            self.previous_page()
        elif key in (Qt.Key.Key_Escape, Qt.Key.Key_F5):
            self.close_requested.emit()
        else:
            super().keyPressEvent(event)

    def read_aloud(self) -> None:
        if not self.speech.say(spoken_text(self._sections)) and not self.speech.available:
            self.read_aloud_button.hide()  # the engine failed on first use: say so instead
            self.read_aloud_note.show()

    def show_for_resident(self) -> None:
        """As its own window: full screen on the second monitor when there is one, else large here."""
        self.setWindowTitle(tr("内容のご確認"))
        self.setWindowFlag(Qt.WindowType.Window, True)
        show_on_resident_screen(self, 1100, 700)


__all__ = ["LABEL_PT", "ResidentView"]
