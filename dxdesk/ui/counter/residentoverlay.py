"""One-screen desks: the resident's view as an overlay inside the clerk's window, not a second window.

A separate 1100×760 window on a one-screen desk took the keyboard: the clerk's keys stopped working
until a mouse click. The overlay covers the clerk's window (the screen is turned to the resident),
takes the keys only while shown (PageDown/→ next page, PageUp/← previous) and gives them back with
one key: Esc or F5 close it and return focus to the widget that had it. Esc is taken before the
window's own Esc shortcut (中断) can fire: turning the screen back must never suspend the visit.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

from .resident import ResidentView

CLOSE_KEYS = (Qt.Key.Key_Escape, Qt.Key.Key_F5)


class ResidentOverlay(QWidget):
    closed = Signal()

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.setObjectName("residentOverlay")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAutoFillBackground(True)
        self.view = ResidentView(self)
        self.view.close_requested.connect(self.close_overlay)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self._return_focus: QWidget | None = None
        host.installEventFilter(self)  # follow the window's size
        self.hide()

    def open_overlay(self) -> None:
        host = self.parentWidget()
        if host is not None:
            self.setGeometry(host.rect())
        self._return_focus = QApplication.focusWidget()
        self.show()
        self.raise_()
        self.setFocus(Qt.FocusReason.OtherFocusReason)

    def close_overlay(self) -> None:
        if not self.isVisible():
            return
        self.hide()
        back = self._return_focus
        self._return_focus = None
        if back is not None:
            try:
                back.setFocus(Qt.FocusReason.OtherFocusReason)
            except RuntimeError:  # that widget is gone (the step changed): the window decides
                pass
        self.closed.emit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        host = self.parentWidget()
        if host is not None and watched is host and event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(host.rect())
        return super().eventFilter(watched, event)

    def event(self, event: QEvent) -> bool:
        # Claim Esc/F5 before the window's shortcuts see them (Esc there means 中断).
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and event.key() in CLOSE_KEYS:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in CLOSE_KEYS:
            self.close_overlay()
        else:
            self.view.keyPressEvent(event)
