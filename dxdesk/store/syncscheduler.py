"""The background sync loop: ``SyncEngine.run_once()`` every ``sync_interval_s``, or at once when asked."""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Callable

from dxdesk.store.errors import StoreError
from dxdesk.store.syncfailures import SyncError

if TYPE_CHECKING:
    from dxdesk.store.sync import SyncEngine, SyncResult

log = logging.getLogger("dxdesk.store.sync")  # one logger name for everything sync reports


class SyncScheduler:
    """Runs ``engine.run_once()`` every ``sync_interval_s`` on a background thread.

    ``trigger()`` asks for a run now (e.g. after saving a record, or "sync now");
    ``stop()`` wakes the thread and joins it. Skips runs while the mode is manual
    offline or disabled. ``on_result`` (if given) is called on this thread after
    each attempt with the result or the error; the UI re-posts it to the GUI thread.
    """

    def __init__(self, engine: SyncEngine,
                 on_result: Callable[[SyncResult | None, StoreError | None], None] | None = None) -> None:
        self.engine = engine
        self.on_result = on_result
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="dxdesk-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def trigger(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.engine.connectivity.should_sync():
                result: SyncResult | None = None
                error: StoreError | None = None
                try:
                    result = self.engine.run_once()
                except StoreError as exc:
                    error = exc
                except Exception:  # keep the thread alive; the failure is in the log with its traceback
                    log.exception("unexpected sync failure")
                    error = SyncError()
                if self.on_result is not None:
                    self.on_result(result, error)
            self._wake.wait(max(1, self.engine.settings.sync_interval_s))
            self._wake.clear()
