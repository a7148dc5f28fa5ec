"""Background calls and message display shared by the admin tabs."""
from __future__ import annotations

from typing import Any, Callable

from PySide6.QtWidgets import QLabel, QWidget

from dxdesk.ui.errors import error_text
from dxdesk.ui.tasks import SingleCall, TaskHandle, TaskRunner
from dxdesk.ui.theme import show_message


class BackgroundCalls:
    """Runs core calls off the GUI thread, one at a time per tab, reporting errors in ``status``.

    Refusals from the service layer (PermissionDeniedError and friends) arrive here as
    exceptions and are shown as their Japanese message, never as a traceback. A tab
    deleted meanwhile gets no answer (``owner``).
    """

    def __init__(self, owner: QWidget, runner: TaskRunner, status: QLabel, busy_widgets: list[QWidget],
                 settled: Callable[[], None] | None = None) -> None:
        self.owner = owner
        self.runner = runner
        self.status = status
        self.busy_widgets = busy_widgets
        self.settled = settled  # re-applies selection-dependent enabled states after a call
        self._call = SingleCall(owner, runner, self._set_busy)

    def busy(self) -> bool:
        return self._call.busy()

    def call(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
             on_error: Callable[[BaseException], None] | None = None) -> TaskHandle | None:
        """Returns None while another call runs (the buttons are disabled meanwhile anyway)."""

        def failed(exc: BaseException) -> None:
            self.error(error_text(exc))
            if on_error is not None:
                on_error(exc)

        return self._call.start(fn, on_done, failed)

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
