"""Shared look of the counter screens: calm colours, large readable type, one error label style."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from dxdesk.ui.qtfonts import ui_font

NAVY = "#12355b"  # resident-facing dark blue (white text on it has > 12:1 contrast)
ACCENT = "#1f5fa8"
ERROR = "#b00020"
OK = "#1b6e3a"
MUTED = "#4a5561"
PANEL = "#f3f6fa"

CLERK_SS = f"""
QWidget {{ color: #1a1a1a; }}
QLineEdit, QListWidget, QTextEdit {{
    background: white; border: 1px solid #9aa5b1; border-radius: 4px; padding: 4px 6px;
}}
QLineEdit:focus, QListWidget:focus {{ border: 2px solid {ACCENT}; }}
QPushButton {{
    background: #e8eef5; border: 1px solid #9aa5b1; border-radius: 6px; padding: 6px 14px;
}}
QPushButton:focus {{ border: 2px solid {ACCENT}; }}
QPushButton:disabled {{ color: #8a939c; background: #f1f3f5; }}
QPushButton[primary="true"] {{ background: {ACCENT}; color: white; border: 1px solid {ACCENT}; font-weight: bold; }}
QPushButton[primary="true"]:disabled {{ background: #9aa5b1; border-color: #9aa5b1; }}
QPushButton[primary="true"]:focus {{ border: 3px solid #f2b705; }}
QFrame[panel="true"] {{ background: {PANEL}; border: 1px solid #d5dde6; border-radius: 8px; }}
"""


def heading(text: str, size: int = 18, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setFont(ui_font(size, bold=True))
    label.setWordWrap(True)
    return label


def note(text: str = "", size: int = 12, parent: QWidget | None = None, color: str = MUTED) -> QLabel:
    label = QLabel(text, parent)
    label.setFont(ui_font(size))
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {color};")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def error_label(parent: QWidget | None = None) -> QLabel:
    """Inline Japanese validation message under a field (hidden while empty)."""
    label = QLabel("", parent)
    label.setFont(ui_font(12, bold=True))
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {ERROR};")
    label.setAccessibleName("エラー")
    label.hide()
    return label


def set_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def button(text: str, parent: QWidget | None = None, *, primary: bool = False, size: int = 13) -> QPushButton:
    b = QPushButton(text, parent)
    b.setFont(ui_font(size, bold=primary))
    b.setMinimumHeight(40)
    if primary:
        b.setProperty("primary", True)
    return b
