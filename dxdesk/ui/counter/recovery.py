"""Start-up recovery of the counter: what a crash or a closed window left in the visit journal.

Two things can be waiting when the counter page first shows:

* closed visits whose record never reached the database (the app died between closing
  and storing): they are stored now, and their journal entry goes only once the write
  succeeded, so a failing write keeps the record for the next start;
* visits still open: the clerk chooses, in :class:`ResumeDialog`, to resume or discard them.

The page owns one :class:`StartupRecovery`; it hands back a resumed Visit through
``resumed`` and reports with ``message``; the page decides which step to show.
"""
from __future__ import annotations

import logging
from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from dxdesk.i18n import Msg, tr
from dxdesk.counter import JournalError, Visit, VisitError, VisitRecord
from dxdesk.counter.timing import TimelineEvent
from dxdesk.security.permissions import PermissionDeniedError

from dxdesk.ui.errors import error_text

from .services import CounterServices
from .start import ResumeDialog

log = logging.getLogger(__name__)

MSG_NO_DETAIL = Msg("", "")  # a bug: the sentence above says enough, the log has the type


class StartupRecovery(QObject):
    resumed = Signal(object)  # the Visit to continue (already resumed if it was suspended)
    message = Signal(str, bool)  # text, is_error
    store_failed = Signal(object)  # the exception of a failed store write

    def __init__(self, services: CounterServices, forget: Callable[[str], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.services = services
        self._forget = forget
        self._dialog_parent = parent
        self.resume_dialog: ResumeDialog | None = None

    def check_pending(self, in_progress: str | None = None) -> None:
        """Store records a crash left unstored; offer to resume unfinished visits.

        ``in_progress`` is the visit the page already runs (started before this check ran): it is
        neither a leftover to store nor one to offer, and 破棄 on it would cancel the visit at the desk.
        """
        try:
            for record in self.services.visits.unstored_records():
                if record.visit_id != in_progress:
                    self._store(record, (), None)
            pending = [p for p in self.services.visits.pending() if p.visit_id != in_progress]
        except (JournalError, Exception) as exc:  # noqa: BLE001 - a damaged journal must not block the counter
            log.warning("journal check failed: %s", type(exc).__name__)
            self.message.emit(tr("中断中の受付を確認できませんでした。") + error_text(exc, MSG_NO_DETAIL), True)
            return
        if not pending:
            return
        self.resume_dialog = ResumeDialog(pending, self.services.catalogue, self._dialog_parent)
        self.resume_dialog.resume_requested.connect(self.resume_visit)
        self.resume_dialog.discard_requested.connect(self.discard_visit)
        self.resume_dialog.finished.connect(lambda *_: setattr(self, "resume_dialog", None))
        self.resume_dialog.open()

    def _store(self, record: VisitRecord, timeline: tuple[TimelineEvent, ...], mode: str | None) -> None:
        """Store ``record``; the journal entry goes only once the write succeeded.

        Forgetting it right after submitting would lose the record if the write then failed.
        No ``owner``: the entry must be forgotten even if the page closed meanwhile.
        """
        future = self.services.visits.store(self.services.session, record, timeline, print_mode=mode)
        handle = self.services.runner.watch(future)
        visit_id = record.visit_id
        handle.finished.connect(lambda _: self._forget(visit_id))
        handle.failed.connect(self.store_failed.emit)

    def _load(self, visit_id: str) -> Visit | None:
        try:
            # The journal keeps no session: the resuming clerk's role applies (MANAGE_VISITS checked).
            return self.services.visits.resume(self.services.session, visit_id)
        except (VisitError, PermissionDeniedError) as exc:
            if self.resume_dialog is not None:
                self.resume_dialog.show_error(exc.message.text())
            return None

    def resume_visit(self, visit_id: str) -> None:
        visit = self._load(visit_id)
        if visit is None:
            return
        if visit.suspended:
            visit.resume()
        if self.resume_dialog is not None:
            self.resume_dialog.accept()
        self.resumed.emit(visit)
        self.message.emit(tr("中断していた受付を再開しました。"), False)

    def discard_visit(self, visit_id: str) -> None:
        visit = self._load(visit_id)
        if visit is None:
            return
        record = visit.cancel("discarded_after_restart")
        if self.resume_dialog is not None:
            self.resume_dialog.remove(visit_id)
        self._store(record, visit.timeline, "plain")
        self.message.emit(tr("中断していた受付を破棄しました。"), False)
