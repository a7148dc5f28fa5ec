"""A vertical scroll area for forms and steps: scrolls down when the content is taller than the room,
never sideways (the content wraps to the width instead)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


class VerticalScroll(QScrollArea):
    """QScrollArea sizes its content by the minimum size alone; word-wrapped labels need the height for
    the actual width (heightForWidth), or the layout squeezes them and their lines are cut (#14)."""

    def __init__(self, content: QWidget | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        if content is not None:
            self.setWidget(content)
            # Content that changes without a resize (a form rebuilt, a panel shown) asks for a new layout.
            content.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.fit_content()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.fit_content()
        super().resizeEvent(event)

    def fit_content(self) -> None:
        content = self.widget()
        layout = content.layout() if content is not None else None
        if content is None or layout is None or not content.hasHeightForWidth():
            return
        # Never below the layout's own minimum: a minimum set earlier goes stale when the content grows.
        need = max(layout.totalHeightForWidth(self.viewport().width()), layout.totalMinimumSize().height())
        if need != content.minimumHeight():
            content.setMinimumHeight(need)
