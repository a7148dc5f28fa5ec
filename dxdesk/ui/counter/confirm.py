"""内容確認 step (clerk side): the resident view embedded, plus a full-size copy for the resident's screen."""
from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from dxdesk.i18n import tr
from dxdesk.counter import Visit, VisitError
from dxdesk.counter.residentview import default_glossary, resident_sections

from .resident import ResidentView
from .residentoverlay import ResidentOverlay
from dxdesk.ui.theme import button, error_label, heading, note, set_error


class ConfirmStep(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview = ResidentView(self, compact=True)
        self.resident_window: ResidentView | None = None  # two screens: full screen on the resident's
        self.resident_overlay: ResidentOverlay | None = None  # one screen: over the clerk's window
        self.resident_button = button(tr("お客様用画面に表示（F5）"), self)
        self.edit_button = button(tr("修正する（Ctrl+Backspace）"), self)
        self.ok_button = button(tr("ご本人が確認しました（Ctrl+Enter）"), self, kind="primary", size=14)
        self.error = error_label(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.resident_button)
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading(tr("内容確認")))
        layout.addWidget(note(tr("ご本人に画面を見ていただき、印刷する内容が正しいか確認していただきます。"
                              "違うところがあれば「修正する」で聞き取りに戻ります。")))
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.resident_button.clicked.connect(self.show_resident_window)

    def load(self, visit: Visit) -> None:
        try:
            items = resident_sections(visit, default_glossary())
        except VisitError as exc:
            set_error(self.error, exc.message.text())
            return
        set_error(self.error, "")
        self.preview.show_items(items)
        if self.resident_window is not None and self.resident_window.isVisible():
            self.resident_window.show_items(items)
        self._items = items

    def show_resident_window(self) -> None:
        if len(QGuiApplication.screens()) < 2:  # one screen: an overlay that gives the keys back (Esc/F5)
            if self.resident_overlay is None:
                self.resident_overlay = ResidentOverlay(self.window())
            if self.resident_overlay.isVisible():
                self.resident_overlay.close_overlay()
                return
            self.resident_overlay.view.show_items(getattr(self, "_items", []))
            self.resident_overlay.open_overlay()
            return
        if self.resident_window is None:
            self.resident_window = ResidentView()
        self.resident_window.show_items(getattr(self, "_items", []))
        self.resident_window.show_for_resident()

    def close_resident_window(self) -> None:
        """Personal data must not stay on the resident's screen after the step."""
        if self.resident_window is not None:
            self.resident_window.close()
            self.resident_window.show_items([])
        if self.resident_overlay is not None:
            self.resident_overlay.close_overlay()
            self.resident_overlay.view.show_items([])
        self.preview.show_items([])
        self._items = []

    def focus_first(self) -> None:
        self.ok_button.setFocus()
