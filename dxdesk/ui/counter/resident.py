"""The resident's confirmation view: everything that will be printed, large and high-contrast.

Black on white for the items, white on dark blue for the headings; at least 24 pt;
the name with its furigana above it; dates in 和暦; the My Number masked (it comes
masked from ``confirmation_items``). Opens full screen on a second monitor when
there is one. Read-aloud uses QtTextToSpeech when it can be imported (it needs
libpulse, missing on some PCs); otherwise the button is simply not shown.
"""
from __future__ import annotations

import logging
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from dxdesk.i18n import tr
from dxdesk.counter import ConfirmationItem
from dxdesk.wareki import format_wareki
from dxdesk.ui.qtfonts import ui_font

from .residentscreen import show_on_resident_screen
from dxdesk.ui.theme import NAVY
from dxdesk.ui.training_band import add_training_band

log = logging.getLogger(__name__)

ITEM_PT = 26
LABEL_PT = 22


def _speech_engine():
    """A QTextToSpeech, or None when the module or a speech backend is unavailable."""
    try:
        from PySide6.QtTextToSpeech import QTextToSpeech
    except ImportError as exc:  # typically libpulse missing: read-aloud is optional
        log.info("read-aloud unavailable: %s", type(exc).__name__)
        return None
    try:
        engine = QTextToSpeech()
        return engine if engine.engine() else None
    except Exception as exc:  # noqa: BLE001 - any backend failure just hides the button
        log.info("read-aloud unavailable: %s", type(exc).__name__)
        return None


def display_value(item: ConfirmationItem) -> str:
    if item.key == "card.birth_date" or _looks_iso(item.value):
        try:
            return format_wareki(date.fromisoformat(item.value))
        except ValueError:
            return item.value
    return item.value


def _looks_iso(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit()


class ResidentView(QWidget):
    """Shows ``confirmation_items(visit)``; call :meth:`show_items` whenever answers change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(True)
        self.setStyleSheet("ResidentView, QWidget#body { background: white; } QLabel { color: #000; }")
        self._speech = _speech_engine()
        self._spoken = ""

        self.banner = QLabel(tr("内容をご確認ください"), self)
        self.banner.setFont(ui_font(30, bold=True))
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setStyleSheet(f"background: {NAVY}; color: white; padding: 14px;")
        self.subtitle = QLabel(tr("このとおりに申請書に印刷します。違うところがあれば、職員にお知らせください。"), self)
        self.subtitle.setFont(ui_font(20))
        self.subtitle.setWordWrap(True)
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitle.setStyleSheet("color: #000; padding: 6px;")

        self.body = QWidget(self)
        self.body.setObjectName("body")
        self.grid = QGridLayout(self.body)
        self.grid.setHorizontalSpacing(28)
        self.grid.setVerticalSpacing(10)
        self.grid.setColumnStretch(1, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.body)

        self.read_aloud_button = QPushButton(tr("読み上げる"), self)
        self.read_aloud_button.setFont(ui_font(20, bold=True))
        self.read_aloud_button.setMinimumHeight(56)
        self.read_aloud_button.clicked.connect(self.read_aloud)
        self.read_aloud_button.setVisible(self._speech is not None)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 12)
        layout.addWidget(self.banner)
        add_training_band(layout, self)  # the resident sees it too: nothing here is a real application
        layout.addWidget(self.subtitle)
        layout.addWidget(scroll, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.read_aloud_button)
        row.addStretch(1)
        layout.addLayout(row)

    @property
    def can_read_aloud(self) -> bool:
        return self._speech is not None

    def show_items(self, items: list[ConfirmationItem]) -> None:
        while self.grid.count():
            taken = self.grid.takeAt(0)
            old = taken.widget() if taken is not None else None
            if old is not None:
                old.deleteLater()
        spoken = []
        for row, item in enumerate(items):
            label = QLabel(item.label.text(), self.body)
            label.setFont(ui_font(LABEL_PT))
            label.setStyleSheet("color: #333; padding: 6px 0;")
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            label.setMinimumWidth(200)
            label.setWordWrap(True)
            value = display_value(item)
            if item.reading:
                cell = QWidget(self.body)
                cl = QVBoxLayout(cell)
                cl.setContentsMargins(0, 0, 0, 0)
                cl.setSpacing(0)
                ruby = QLabel(item.reading, cell)  # furigana above the name, as on Japanese forms
                ruby.setFont(ui_font(18))
                ruby.setAccessibleName(tr("ふりがな"))
                name = QLabel(value, cell)
                name.setFont(ui_font(ITEM_PT + 6, bold=True))
                name.setWordWrap(True)
                cl.addWidget(ruby)
                cl.addWidget(name)
                widget: QWidget = cell
            else:
                widget = QLabel(value, self.body)
                widget.setFont(ui_font(ITEM_PT, bold=True))
                widget.setWordWrap(True)
            widget.setStyleSheet("border-bottom: 2px solid #c9d2dc; padding: 6px 0;")
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(widget, row, 1)
            spoken.append(tr("、").join((item.label.text(), item.reading or value)))
        self.grid.setRowStretch(len(items), 1)
        self._spoken = tr("。").join(spoken)  # read aloud in the UI language

    def read_aloud(self) -> None:
        if self._speech is not None and self._spoken:
            self._speech.say(self._spoken)

    def show_for_resident(self) -> None:
        """As its own window: full screen on the second monitor when there is one, else large here."""
        self.setWindowTitle(tr("内容のご確認"))
        self.setWindowFlag(Qt.WindowType.Window, True)
        show_on_resident_screen(self, 1100, 760)
