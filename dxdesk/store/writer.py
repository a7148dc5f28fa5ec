"""DbWriter: every write to the local database goes through one thread, one job at a time.

SQLite allows one writer; funnelling writes through a single worker turns lock
contention inside the app into an orderly queue, and lets each job be exactly one
transaction: the job's function runs, then commit; any exception rolls the whole
job back, so a half-written record can never exist. Results and errors come back
through a ``concurrent.futures.Future`` (the UI adapts it to a queued signal).
"""
from __future__ import annotations

import functools
import logging
import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable, TypeVar, cast

from sqlalchemy.orm import Session

from dxdesk.store.errors import StoreError, translate_error

log = logging.getLogger(__name__)

T = TypeVar("T")
_STOP = object()


class WriterClosedError(StoreError):
    pass


class DbWriter:
    def __init__(self, session_factory: Callable[[], Session], name: str = "dxdesk-db-writer") -> None:
        self._factory = session_factory
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._running: Callable[..., object] | None = None  # the job's function while it runs
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[Session], T]) -> "Future[T]":
        """Run ``fn(session)`` as one transaction on the writer thread."""
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise WriterClosedError()
            self._queue.put((fn, future))
        return future

    def run(self, fn: Callable[[Session], T], timeout: float | None = 60.0) -> T:
        """Submit and wait: convenient for the CLI and tests (never call from the writer thread)."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("DbWriter.run called from the writer thread would deadlock")
        return self.submit(fn).result(timeout)

    def close(self, timeout: float | None = 30.0) -> bool:
        """Finish queued jobs, then stop the thread. True once the thread has ended.

        False when a job is still running after ``timeout``: that is logged as an error
        naming the job's function (never its data), and the caller must not pull the
        database out from under it. Calling close() again waits again.
        """
        with self._lock:
            if not self._closed:
                self._closed = True
                self._queue.put(_STOP)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            return True
        job = self._running
        log.error(
            "database writer still busy after %s s: job %s has not finished (%d more job(s) queued behind it)",
            timeout, job_name(job) if job is not None else "(between jobs)", max(0, self._queue.qsize() - 1),
        )
        return False

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            fn, future = cast("tuple[Callable[[Session], Any], Future[Any]]", item)
            if not future.set_running_or_notify_cancel():
                continue
            self._running = fn
            try:
                with self._factory() as session:
                    try:
                        result = fn(session)
                        session.commit()
                    except BaseException:
                        session.rollback()
                        raise
            except BaseException as exc:  # delivered to the caller, never lost in the thread
                translated = translate_error(exc)
                if isinstance(translated, StoreError):  # the caller reports it; the log keeps the kind
                    log.info("write job failed: %s", type(translated).__name__)
                else:
                    log.exception("write job failed")
                if translated is not exc:
                    translated.__cause__ = exc
                future.set_exception(translated)
            else:
                future.set_result(result)
            finally:
                self._running = None


def job_name(fn: Callable[..., object]) -> str:
    """``module.qualname`` of a job's function, for logs: names code, never the data it carries."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    module = getattr(fn, "__module__", None) or "?"
    qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    return f"{module}.{qualname}"
