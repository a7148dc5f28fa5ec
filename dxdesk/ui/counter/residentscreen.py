"""Where resident-facing windows (PIN pad, confirmation) appear."""
from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget


def show_on_resident_screen(window: QWidget, fallback_width: int, fallback_height: int, *, activate: bool = True) -> None:
    """Full screen on the second monitor when there is one (the resident's), else a large window here.

    ``activate=False`` for what the resident only reads: the clerk's window keeps the keyboard."""
    screens = QGuiApplication.screens()
    if len(screens) > 1:
        window.setScreen(screens[1])
        window.setGeometry(screens[1].geometry())
        window.showFullScreen()
    else:
        window.resize(fallback_width, fallback_height)
        window.show()
    window.raise_()
    if activate:
        window.activateWindow()
