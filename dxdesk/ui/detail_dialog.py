"""A read-only dialog with every field of one row whose table cells are elided (#14: details cut off with
no way to open them; a tooltip is not enough for a keyboard user).

Opened with Enter or a double-click on the row; Esc or 閉じる closes it. Values wrap and can be selected and
copied; the dialog is sized to the screen it opens on and scrolls when a value is very long.
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QLabel, QScrollArea, QVBoxLayout, QWidget,
)

from dxdesk.i18n import tr


class DetailDialog(QDialog):
    """``pairs``: (label, value) in the order shown."""

    def __init__(self, title: str, pairs: Sequence[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailDialog")
        self.setWindowTitle(title)
        self.pairs = list(pairs)
        body = QWidget()
        form = QFormLayout(body)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.value_labels: list[QLabel] = []
        for label, value in self.pairs:
            name = QLabel(label)
            name.setProperty("role", "hint")
            text = QLabel(value or "—")
            text.setWordWrap(True)
            text.setTextFormat(Qt.TextFormat.PlainText)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                         | Qt.TextInteractionFlag.TextSelectableByKeyboard)
            form.addRow(name, text)
            self.value_labels.append(text)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        self.close_button.setText(tr("閉じる"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self._fit_screen(body)
        self.close_button.setFocus()

    def _fit_screen(self, body: QWidget) -> None:
        parent = self.parentWidget()
        screen = parent.screen() if parent is not None else QGuiApplication.primaryScreen()
        available = screen.availableGeometry()
        width = min(720, available.width() - 40)
        body.setFixedWidth(width - 40)  # wrapped labels know their height once the width is known
        height = min(body.heightForWidth(width - 40) if body.hasHeightForWidth() else body.sizeHint().height(),
                     available.height() - 160)
        body.setMinimumWidth(0)
        body.setMaximumWidth(16777215)
        self.resize(width, max(height, 120) + 90)

    def text(self) -> str:
        """Every label and value, one per line (tests, copying)."""
        return "\n".join(f"{label}: {value}" for label, value in self.pairs)
