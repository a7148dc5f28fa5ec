"""The one background-work mechanism of the UI.

A job runs on a worker thread (a Qt-free callable, usually a core service call)
and its result or error comes back on the GUI thread through a queued signal.
Cancellation is cooperative: the job receives a ``threading.Event`` it should
check; threads are never terminated. Card I/O and database writes have their own
single threads in the core (CardService, DbWriter); this runner is for the rest
and for waiting on their futures without blocking the GUI.
"""
from __future__ import annotations

import inspect
import logging
import queue
import threading
import weakref
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
    """Lives on the GUI thread; workers hand it finished jobs through a queue and a queued signal.

    Everything a job touched (its callable, whose closure often holds a dialog or page, the
    handle, the result or exception with its traceback) crosses back in the queue, so the
    last reference is dropped here, on the GUI thread. Dropped on a worker instead, it made
    Python delete a closed dialog's C++ widgets on that worker thread, and Qt later crashed
    in QCommonStylePrivate::removeAnimation (seen after the first-run dialog under xcb).
    """

    wake = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._outbox: queue.SimpleQueue[tuple[TaskHandle, Any, BaseException | None, object]] = queue.SimpleQueue()
        # Always queued: a future already done when watch() is called would otherwise deliver
        # synchronously, before the caller has connected to the handle's signals.
        self.wake.connect(self._drain, Qt.ConnectionType.QueuedConnection)

    def post(self, payload: list[tuple[TaskHandle, Any, BaseException | None, object]]) -> None:
        """Called on a worker thread with a one-item list: the item moves into the queue without
        a local reference left behind, and the caller must hold none to its parts either."""
        self._outbox.put(payload.pop())
        self.wake.emit()

    def _drain(self) -> None:
        while True:
            try:
                handle, result, error, _keepalive = self._outbox.get_nowait()
            except queue.Empty:
                return
            if handle.cancelled:
                continue
            if error is not None:
                handle.failed.emit(error)
            else:
                handle.finished.emit(result)


class TaskRunner:
    def __init__(self, max_workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ui-task")
        self._relay = _Relay()
        self._shut_down = False

    def run(self, fn: Callable[[threading.Event], Any], owner: QObject | None = None) -> TaskHandle:
        """Run ``fn(cancel_event)`` in the background.

        ``owner``: the widget the answer is for. If it is deleted first (sign-out closes the
        window while a card status read is pending) the answer is dropped; a lambda slot
        would otherwise touch its deleted labels and raise on the GUI thread.
        """
        handle = self._new_handle(owner)
        if self._shut_down:
            # The app is closing: a timer of a widget not yet deleted (a status poll) may still
            # fire once. Its answer has nobody to go to, so the call is dropped, not an error.
            log.debug("task runner already shut down: background call dropped")
            handle.cancel()
            return handle
        cancel = handle._cancel
        box: list[Any] = [fn, handle]  # emptied by the worker: see _Relay

        def job() -> None:
            work, h = box.pop(0), box.pop(0)
            try:
                outcome: tuple[Any, BaseException | None] = (work(cancel), None)
            except BaseException as exc:  # delivered to the GUI, which decides what to show
                log.debug("background task failed: %s", type(exc).__name__)
                outcome = (None, exc)
            payload = [(h, outcome[0], outcome[1], work)]
            del work, h, outcome
            self._relay.post(payload)

        self._pool.submit(job)
        return handle

    def watch(self, future: Future, owner: QObject | None = None) -> TaskHandle:
        """Deliver a core future (CardService, DbWriter) to the GUI thread; ``owner`` as for :meth:`run`."""
        handle = self._new_handle(owner)
        box: list[TaskHandle] = [handle]

        def done(f: Future) -> None:
            if f.cancelled() or not box:
                return
            exc = f.exception()
            payload: list[tuple[TaskHandle, Any, BaseException | None, object]] = [
                (box.pop(), None if exc else f.result(), exc, None)]
            del exc
            self._relay.post(payload)

        future.add_done_callback(done)
        return handle

    @staticmethod
    def _new_handle(owner: QObject | None) -> TaskHandle:
        handle = TaskHandle(threading.Event())
        if owner is not None:
            owner.destroyed.connect(handle.cancel)  # handle.cancel is a QObject slot: no dangling link
        return handle

    def shutdown(self) -> None:
        self._shut_down = True
        self._pool.shutdown(wait=True, cancel_futures=True)


class SingleCall:
    """One background call at a time for one widget (an admin tab, a sign-in dialog).

    While the call runs ``set_busy(True)`` locks the widget's inputs (no double submit);
    the answer goes to ``on_done``/``on_error`` on the GUI thread, or nowhere if ``owner``
    was deleted first (the runner's ``owner=`` guard: a closed tab must not be touched).
    """

    def __init__(self, owner: QObject, runner: TaskRunner, set_busy: Callable[[bool], None]) -> None:
        # Weak links only: the owner keeps this object, and a strong link back would make a
        # reference cycle that Python's garbage collector may free on a worker thread, deleting
        # a parentless dialog's C++ widgets there (see _Relay for the crash that causes).
        self._owner = weakref.ref(owner)
        self.runner = runner
        self._set_busy_ref: Callable[[], Callable[[bool], None] | None] = (
            weakref.WeakMethod(set_busy) if inspect.ismethod(set_busy) else (lambda: set_busy))
        self._handle: TaskHandle | None = None

    def _set_busy(self, busy: bool) -> None:
        set_busy = self._set_busy_ref()
        if set_busy is not None:
            set_busy(busy)

    def busy(self) -> bool:
        return self._handle is not None

    def start(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
              on_error: Callable[[BaseException], None]) -> TaskHandle | None:
        """Run ``fn()``; returns None (and does nothing) while another call is in flight."""
        owner = self._owner()
        if self._handle is not None or owner is None:
            return None
        self._set_busy(True)
        handle = self.runner.run(lambda _cancel: fn(), owner=owner)
        del owner
        self._handle = handle

        def finished(result: Any) -> None:
            self._handle = None
            self._set_busy(False)
            on_done(result)

        def failed(exc: BaseException) -> None:
            self._handle = None
            self._set_busy(False)
            on_error(exc)

        handle.finished.connect(finished)
        handle.failed.connect(failed)
        return handle

    def abandon(self) -> None:
        """Ignore the answer of the call in flight (it cannot be interrupted) and unlock now."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
            self._set_busy(False)


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
        handle = self._runner.run(lambda _cancel: fn(), owner=self)
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
