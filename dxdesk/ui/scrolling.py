"""A vertical scroll area for forms and steps: scrolls down when the content is taller than the room,
never sideways (the content wraps to the width instead)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFrame, QScrollArea, QWidget


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


def reveal(*widgets: QWidget, margin: int = 24) -> None:
    """Scroll every scroll area around ``widgets`` (a form inside a scrolled step) until they show.

    An error shown below the fold is an error the clerk never sees (#14). What is not all in view yet
    is scrolled to the top of the view; with several widgets (a summary and the first field to fix) all
    of them show when they fit together, and the last one always does. Layouts settle through posted LayoutRequest events, one nesting level per
    turn: they are settled first, and the scroll is done once more on the next turn for a layout that
    only settles when the event loop runs.
    """
    if not widgets:
        return
    _scroll_to(widgets, margin)
    QTimer.singleShot(0, widgets[-1], lambda: _scroll_to(widgets, margin))


def _scroll_to(widgets: tuple[QWidget, ...], margin: int) -> None:
    for _ in range(8):  # deep enough for a form in a panel in a step in the page
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    last = widgets[-1]
    parent = last.parentWidget()
    while parent is not None:  # innermost first: an outer area then sees the inner one already scrolled
        content = parent.widget() if isinstance(parent, QScrollArea) else None
        if isinstance(parent, QScrollArea) and content is not None:
            shown = [w for w in widgets if content.isAncestorOf(w)]
            area = QRect()
            for w in shown:
                area = area.united(QRect(w.mapTo(content, QPoint(0, 0)), w.size()))
            bar = parent.verticalScrollBar()
            if area.top() < bar.value() or area.bottom() > bar.value() + parent.viewport().height():
                # Not all in view: its top to the top of the view (the most of a form below it shows too).
                bar.setValue(area.top() - margin)
            parent.ensureWidgetVisible(last, 0, margin)
        parent = parent.parentWidget()
