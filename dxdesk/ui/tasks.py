"""The one background-work mechanism of the UI.

A job runs on a worker thread (a Qt-free callable, usually a core service call)
and its result or error comes back on the GUI thread through a queued signal.
Cancellation is cooperative: the job receives a ``threading.Event`` it should
check; threads are never terminated. Card I/O and database writes have their own
single threads in the core (CardService, DbWriter); this runner is for the rest
and for waiting on their futures without blocking the GUI.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal

log = logging.getLogger(__name__)


class TaskHandle(QObject):
    """Signals for one job; they are emitted on the GUI thread (queued connection)."""

    finished = Signal(object)  # the result
    failed = Signal(object)  # the exception (never shown raw to the user)

    def __init__(self, cancel_event: threading.Event) -> None:
        super().__init__()
        self._cancel = cancel_event

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


class _Relay(QObject):
    # Lives on the GUI thread; emitting from a worker thread queues delivery to it.
    deliver = Signal(object, object, object)

    def __init__(self) -> None:
        super().__init__()
        # Always queued: a future already done when watch() is called would otherwise deliver
        # synchronously, before the caller has connected to the handle's signals.
        self.deliver.connect(self._on_deliver, Qt.ConnectionType.QueuedConnection)

    def _on_deliver(self, handle: TaskHandle, result: Any, error: BaseException | None) -> None:
        if handle.cancelled:
            return
        if error is not None:
            handle.failed.emit(error)
        else:
            handle.finished.emit(result)


class TaskRunner:
    def __init__(self, max_workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ui-task")
        self._relay = _Relay()

    def run(self, fn: Callable[[threading.Event], Any]) -> TaskHandle:
        """Run ``fn(cancel_event)`` in the background."""
        cancel = threading.Event()
        handle = TaskHandle(cancel)

        def job() -> None:
            try:
                result = fn(cancel)
            except BaseException as exc:  # delivered to the GUI, which decides what to show
                log.debug("background task failed: %s", type(exc).__name__)
                self._relay.deliver.emit(handle, None, exc)
            else:
                self._relay.deliver.emit(handle, result, None)

        self._pool.submit(job)
        return handle

    def watch(self, future: Future) -> TaskHandle:
        """Deliver a core future (CardService, DbWriter) to the GUI thread."""
        cancel = threading.Event()
        handle = TaskHandle(cancel)

        def done(f: Future) -> None:
            if f.cancelled():
                return
            exc = f.exception()
            self._relay.deliver.emit(handle, None if exc else f.result(), exc)

        future.add_done_callback(done)
        return handle

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class PeriodicTask(QObject):
    """Runs ``fn()`` on the runner now and every ``interval_ms``, at most one call in flight.

    For status reads that touch the database (the outbox count behind "未送信 N件"): a
    timer slot calling them directly would run a query on the GUI thread every few
    seconds, and a busy writer or a slow disk would freeze the window. ``on_result``
    gets each answer on the GUI thread; a failure is logged and the next tick retries.
    """

    def __init__(self, runner: TaskRunner, fn: Callable[[], Any], on_result: Callable[[Any], None],
                 interval_ms: int, parent: QObject) -> None:
        super().__init__(parent)
        self._runner = runner
        self._fn = fn
        self._on_result = on_result
        self._handle: TaskHandle | None = None
        self._stopped = False
        self._again = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.trigger)

    def start(self) -> None:
        self._stopped = False
        self._timer.start()
        self.trigger()

    def trigger(self) -> None:
        """Ask now (e.g. right after a change the clerk made).

        While a call is in flight, one more is queued after it: the answer in flight may
        predate the change that prompted this call.
        """
        if self._stopped:
            return
        if self._handle is not None:
            self._again = True
            return
        self._again = False
        fn = self._fn
        handle = self._runner.run(lambda _cancel: fn())
        self._handle = handle
        # Bound methods of this QObject: Qt drops the connection if it is deleted before the answer.
        handle.finished.connect(self._finished)
        handle.failed.connect(self._failed)

    def stop(self) -> None:
        self._stopped = True
        self._timer.stop()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _finished(self, result: Any) -> None:
        self._handle = None
        self._on_result(result)
        if self._again:
            self.trigger()

    def _failed(self, exc: BaseException) -> None:
        self._handle = None
        log.warning("periodic status read failed: %s", type(exc).__name__)
        if self._again:
            self.trigger()
