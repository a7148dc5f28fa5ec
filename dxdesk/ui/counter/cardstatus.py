"""The identify step's card panel: reader, card state and the PIN tries left, large enough to read
from a step back, and the line spacing of its step-by-step texts. IdentifyStep (identify.py) fills
the labels; this module only builds them."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from dxdesk.i18n import tr
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.theme import LARGE_PT, SECTION_PT, heading


def spaced(text: str) -> str:
    """Numbered steps with air between the lines: without it the wrapped lines of one step ran into
    the next (#14). Rich text, since a QLabel's plain text has no line height."""
    lines = "<br>".join(html.escape(line, quote=False) for line in text.split("\n"))
    return f'<div style="line-height: 130%;">{lines}</div>'


class CardStatusPanel(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("panel", True)
        title = heading(tr("カードの状態"), SECTION_PT, self)
        self.reader_label = QLabel("", self)
        self.reader_label.setFont(ui_font(LARGE_PT))
        self.reader_label.setWordWrap(True)
        self.demo_badge = QLabel(tr("模擬カード（研修用）"), self)
        self.demo_badge.setObjectName("notice")
        self.demo_badge.setFont(ui_font(LARGE_PT, bold=True))
        self.demo_badge.hide()
        self.card_label = QLabel("", self)
        self.card_label.setFont(ui_font(20, bold=True))
        self.card_label.setWordWrap(True)
        # The tries left as a big figure: the one number that decides whether the PIN pad may be shown.
        self.tries_figure = QLabel("", self)
        self.tries_figure.setFont(ui_font(72, bold=True))
        self.tries_figure.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tries_figure.setAccessibleName(tr("暗証番号の残り回数（数字）"))
        self.tries_label = QLabel("", self)
        self.tries_label.setFont(ui_font(20, bold=True))
        self.tries_label.setWordWrap(True)
        self.tries_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tries_label.setAccessibleName(tr("暗証番号の残り回数"))
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(self.demo_badge)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(12)
        layout.addLayout(top)
        layout.addWidget(self.reader_label)
        layout.addWidget(self.card_label)
        layout.addStretch(1)
        layout.addWidget(self.tries_figure)
        layout.addWidget(self.tries_label)
        layout.addStretch(1)
