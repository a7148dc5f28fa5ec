"""Background calls and message display shared by the admin tabs."""
from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtWidgets import QLabel, QWidget

from dxdesk.ui.security.widgets import error_text, show_message
from dxdesk.ui.tasks import TaskHandle, TaskRunner

ADMIN_STYLE = """
QWidget#adminPage { background: #f6f8fa; }
QTabWidget::pane { border: 1px solid #d5dde5; background: white; border-radius: 6px; }
QTabBar::tab { padding: 8px 18px; min-width: 90px; }
QTabBar::tab:selected { font-weight: bold; color: #15527a; }
QTableWidget { gridline-color: #e4e7eb; selection-background-color: #cfe5f5; selection-color: #102a43; }
QHeaderView::section { background: #eef2f6; padding: 4px 6px; border: none; border-bottom: 1px solid #d5dde5; }
QLabel[role="title"] { color: #243b53; font-weight: bold; }
QLabel[role="hint"] { color: #52606d; }
QLabel[role="error"] { color: #b3261e; font-weight: bold; }
QLabel[role="ok"] { color: #1e7b34; font-weight: bold; }
QPushButton { padding: 5px 12px; }
"""


class BackgroundCalls:
    """Runs core calls off the GUI thread, one at a time per tab, reporting errors in ``status``.

    Refusals from the service layer (PermissionDeniedError and friends) arrive here as
    exceptions and are shown as their Japanese message, never as a traceback.
    """

    def __init__(self, owner: QWidget, runner: TaskRunner, status: QLabel, busy_widgets: list[QWidget],
                 settled: Callable[[], None] | None = None) -> None:
        self.owner = owner
        self.runner = runner
        self.status = status
        self.busy_widgets = busy_widgets
        self.settled = settled  # re-applies selection-dependent enabled states after a call
        self._handle: TaskHandle | None = None

    def busy(self) -> bool:
        return self._handle is not None

    def call(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
             on_error: Callable[[BaseException], None] | None = None) -> TaskHandle | None:
        if self._handle is not None:
            return None  # one call at a time; the buttons are disabled meanwhile anyway

        def job(_cancel: threading.Event) -> Any:
            return fn()

        self._set_busy(True)
        handle = self.runner.run(job)
        self._handle = handle
        # A closed tab must not receive the answer: its widgets are gone by then.
        self.owner.destroyed.connect(handle.cancel)

        def finished(result: Any) -> None:
            self._handle = None
            self._set_busy(False)
            on_done(result)

        def failed(exc: BaseException) -> None:
            self._handle = None
            self._set_busy(False)
            self.error(error_text(exc))
            if on_error is not None:
                on_error(exc)

        handle.finished.connect(finished)
        handle.failed.connect(failed)
        return handle

    def _set_busy(self, busy: bool) -> None:
        for widget in self.busy_widgets:
            widget.setEnabled(not busy)
        if not busy and self.settled is not None:
            self.settled()

    def info(self, text: str) -> None:
        show_message(self.status, text, "ok")

    def error(self, text: str) -> None:
        show_message(self.status, text, "error")

    def hint(self, text: str) -> None:
        show_message(self.status, text, "hint")
