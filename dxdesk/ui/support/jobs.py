"""Running repository calls off the GUI thread (failures become text through ``dxdesk.ui.errors``).

Every repository call of the support screens goes through :class:`Jobs`: the call
runs on the :class:`~dxdesk.ui.tasks.TaskRunner` (the SQL repository then hands
writes to the store's single DB writer) and the callback runs on the GUI thread.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from dxdesk.i18n import tr
from dxdesk.support.model import FieldError, SessionValidationError
from dxdesk.ui.tasks import TaskHandle, TaskRunner

log = logging.getLogger(__name__)

def field_errors(exc: BaseException) -> list[FieldError]:
    return list(exc.errors) if isinstance(exc, SessionValidationError) else []


class Jobs(QObject):
    """Keeps task handles alive until they report, and says whether anything is running."""

    busy_changed = Signal(bool)

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._pending: set[TaskHandle] = set()

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def run(
        self,
        what: str,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
    ) -> TaskHandle:
        # owner=self: Jobs is a child of the page, so a page deleted meanwhile gets no answer.
        handle = self._runner.run(lambda _cancel: fn(), owner=self)
        self._pending.add(handle)
        if len(self._pending) == 1:
            self.busy_changed.emit(True)

        def finish() -> None:
            self._pending.discard(handle)
            if not self._pending:
                self.busy_changed.emit(False)

        def done(result: Any) -> None:
            finish()
            on_done(result)

        def failed(exc: BaseException) -> None:
            finish()
            # The type is enough to diagnose; the text could contain a record's data.
            log.warning("support: %s failed (%s)", what, type(exc).__name__)
            on_error(exc)

        handle.finished.connect(done)
        handle.failed.connect(failed)
        return handle


def ask_confirmation(parent: QWidget, title: str, text: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    yes = box.addButton(tr("はい"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(tr("いいえ"), QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is yes
