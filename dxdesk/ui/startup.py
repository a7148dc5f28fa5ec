"""The window's first second: the sign-in dialog on screen while the store opens behind it.

Opening the services (SQLAlchemy and the ORM mappers, the key from the OS keyring, the
schema check, the card, sync and purge threads) takes longer than drawing a dialog, and
a clerk needs seconds to type a password. So on a desk that has accounts
(dxdesk.store.startprobe) dxdesk.ui.app shows the sign-in dialog first and starts
:class:`ServicesOpening` once the dialog has been painted; the dialog's sign-in call, which
runs on a worker anyway, waits there for the services (:class:`DeferredAuth`). A failure to
open closes the dialog and is reported exactly as before, as one sentence.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from dxdesk.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from dxdesk.app.composition import AppServices

log = logging.getLogger(__name__)


class _FirstPaint(QObject):
    """Calls back once, right after ``widget`` has been painted for the first time."""

    def __init__(self, widget: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(widget)
        self._callback = callback
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # The paint event is being delivered now: the callback runs when the event loop is back,
            # after the whole window has been drawn and handed to the screen.
            QTimer.singleShot(0, self._callback)
        return False


def after_first_paint(widget: QWidget, callback: Callable[[], None]) -> None:
    """Run ``callback`` on the GUI thread once ``widget`` is on screen and painted (once)."""
    _FirstPaint(widget, callback)


class ServicesOpening(QObject):
    """``AppServices.open`` on the TaskRunner; its result is waited for by whoever needs it.

    ``failed`` (GUI thread) carries the exception when opening fails; :meth:`services` raises it
    again for the code that goes on. :meth:`close` closes services that were opened but never used
    (the dialog was cancelled), after the opening has finished.
    """

    failed = Signal(object)
    opened = Signal()  # GUI thread: the services are open (opened in the background)

    def __init__(self, runner: TaskRunner, open_services: Callable[[], AppServices]) -> None:
        super().__init__()
        self._runner = runner
        self._open = open_services
        self._future: Future[AppServices] = Future()
        self._started = False
        self._start_lock = threading.Lock()  # started once, whichever of GUI thread and worker asks first

    def start_when_drawn(self, widget: QWidget, latest_ms: int = 1000) -> None:
        """Start once ``widget`` has been painted, or after ``latest_ms`` if no paint comes (a window
        opened minimized or behind a locked screen is not painted, and sign-in must not wait on that)."""
        after_first_paint(widget, self.start)
        QTimer.singleShot(latest_ms, self, self.start)  # dropped with this object

    def start(self) -> None:
        """Open in the background (once); the answer comes back through :meth:`services` and ``failed``."""
        if not self._claim():
            return
        handle = self._runner.run(self._job)
        handle.finished.connect(lambda _services: self.opened.emit())
        handle.failed.connect(self.failed)

    def is_open(self) -> bool:
        """The services are open (:meth:`services` will not wait)."""
        return self._future.done() and not self._future.cancelled() and self._future.exception() is None

    def open_now(self) -> AppServices:
        """Open on this thread (a desk without accounts yet: its first dialogs depend on the database)."""
        return self.services()

    def _claim(self) -> bool:
        with self._start_lock:
            if self._started:
                return False
            self._started = True
            return True

    def _job(self, _cancel: Any) -> AppServices:
        try:
            services = self._open()
        except BaseException as exc:
            self._future.set_exception(exc)
            raise
        self._future.set_result(services)
        return services

    def services(self) -> AppServices:
        """The open services, waiting for them if need be (opening them here if nobody has started to);
        raises what opening raised."""
        if self._claim():
            self._job(None)  # raises on failure, after recording it for every other caller
        return self._future.result()

    def close(self) -> None:
        """Close what was opened (call after the runner has finished its jobs)."""
        if not self._future.done() or self._future.cancelled() or self._future.exception() is not None:
            return
        self._future.result().close()


class DeferredAuth:
    """Stands for ``services.auth`` until the services are open: each use waits for them.

    Only for the first sign-in dialog, whose calls into the account service all run on a
    TaskRunner worker (sign-in, the forced password change), never on the GUI thread.
    """

    def __init__(self, opening: ServicesOpening) -> None:
        self._opening = opening

    def __getattr__(self, name: str) -> Any:
        return getattr(self._opening.services().auth, name)
