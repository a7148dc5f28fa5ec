"""Retention on a schedule: purge personal data once a day in the background.

A desk PC is often switched off at night, so "once a day" means: at start-up when
the last purge (by anyone, recorded in the store) is a day old or more, then again
every day the app stays open. Each run is :meth:`RetentionService.purge_as_system`,
audited with actor ``"system"``. A failing run is logged (type only) and retried at
the next interval: it must never take the app down.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Callable

from dxdesk.security.retention import PurgeReport, RetentionService

log = logging.getLogger(__name__)

PURGE_INTERVAL = timedelta(days=1)
RETRY_AFTER_FAILURE = timedelta(hours=1)


class PurgeScheduler:
    """A daemon thread running the retention purge when it is due; ``stop()`` wakes and joins it."""

    def __init__(self, retention: RetentionService, interval: timedelta = PURGE_INTERVAL,
                 on_run: Callable[[PurgeReport], None] | None = None) -> None:
        self.retention = retention
        self.interval = interval
        self._on_run = on_run  # called on the purge thread after each purge that ran
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def due_in(self, now: datetime | None = None) -> timedelta:
        """Time until the next purge is due (zero or less: due now)."""
        last = self.retention.last_purge()
        if last is None:
            return timedelta(0)
        now = now or self.retention.clock()
        return last + self.interval - now

    def run_if_due(self) -> PurgeReport | None:
        """Purge now if a day has passed since the last purge; the report, or None if not due."""
        if self.due_in() > timedelta(0):
            return None
        report = self.retention.purge_as_system()
        log.info("scheduled purge done")
        return report

    # -- thread ------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()  # a scheduler stopped at sign-out can be started again
        self._thread = threading.Thread(target=self._loop, name="retention-purge", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            wait = self.interval
            try:
                report = self.run_if_due()
                if report is None:
                    wait = max(self.due_in(), timedelta(seconds=1))
                else:
                    self._note(None)
                    self._notify(report)
            except Exception as exc:  # the database may be busy or closing; try again later
                log.error("scheduled purge failed (%s); retrying later", type(exc).__name__)
                # Not only the log: the supervisor's home page and `dxdesk doctor` show it until a run succeeds.
                self._note(f"retention purge failed ({type(exc).__name__})")
                wait = min(self.interval, RETRY_AFTER_FAILURE)
            self._stop.wait(wait.total_seconds())

    def _note(self, error: str | None) -> None:
        from dxdesk.store.problems import PURGE, note_problem

        database = getattr(self.retention, "database", None)
        if database is not None:
            note_problem(database, PURGE, error)

    def _notify(self, report: PurgeReport) -> None:
        if self._on_run is not None:
            try:
                self._on_run(report)
            except Exception:
                log.exception("purge callback failed")
