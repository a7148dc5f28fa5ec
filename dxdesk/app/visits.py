"""Counter visit use cases, for the window and the command line alike.

The :class:`~dxdesk.counter.Visit` state machine checks the clerk's role at every step
and journals every change; this service adds what involves the store: the audit events
of card reads and prints, and storing a closed visit. Each store write is one writer job
that checks the permission first and appends its audit event with
:meth:`~dxdesk.security.audit.AuditLog.append_in`, so the change and its audit event
commit together or not at all.

Methods that touch the database return the writer's ``Future`` instead of waiting: the
window watches it on its TaskRunner, a CLI calls ``.result()``. Everything else runs on
the caller's thread (the Visit is not thread-safe).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import TypeVar

from sqlalchemy.orm import Session as OrmSession

from dxdesk.config import Settings
from dxdesk.counter import Catalogue, IdentifyMethod, PendingVisit, Visit, VisitCardData, VisitJournal, VisitRecord
from dxdesk.counter.timing import Clock, TimelineEvent, system_clock
from dxdesk.forms import FormData
from dxdesk.security.audit import AuditEntry, AuditLog, check_entry
from dxdesk.security.permissions import Permission, Session, require
from dxdesk.store.database import Database

from .handoff import Handoff

from .visit_records import card_read_entry, print_entry, store_record_rows, visit_close_entry

log = logging.getLogger(__name__)

T = TypeVar("T")


def pending_visits(journal: VisitJournal) -> list[PendingVisit]:
    """Unfinished visits in ``journal``: the plaintext headers only (ids, step, times, procedure ids),
    so listing needs no key, no database and no sign-in, and shows nothing personal."""
    return journal.pending()


class CounterVisits:
    """Start, identify, print, close and store counter visits as the signed-in clerk."""

    def __init__(self, database: Database, audit: AuditLog, catalogue: Catalogue, journal: VisitJournal,
                 settings: Settings, clock: Clock = system_clock, handoff: Handoff | None = None) -> None:
        self.database = database
        self.audit = audit
        self.catalogue = catalogue
        self.journal = journal
        self.settings = settings
        self.clock = clock
        # The back-office hand-off of printed forms (off unless the town turns it on: [handoff] enabled).
        self.handoff = handoff or Handoff(settings, audit)

    @property
    def desk_id(self) -> str:
        return self.settings.general.desk_id or "desk"

    # -- the visit ---------------------------------------------------------------------------------

    def start(self, session: Session, procedures: Sequence[str]) -> Visit:
        """受付 (MANAGE_VISITS): a new visit for ``session``'s clerk, journaled from the first moment."""
        return Visit.start(self.catalogue, session=session, desk_id=self.desk_id,
                           desk_name=self.settings.general.desk_name, procedures=procedures, clock=self.clock,
                           journal=self.journal)

    def pending(self) -> list[PendingVisit]:
        """Unfinished visits in the journal (headers only: no key, no personal data)."""
        return pending_visits(self.journal)

    def resume(self, session: Session, visit_id: str) -> Visit:
        """A journaled visit bound to ``session`` (the journal keeps no session; MANAGE_VISITS)."""
        visit = self.journal.load(visit_id, self.catalogue, self.clock)
        visit.bind_session(session)
        return visit

    def identify(self, visit: Visit, card: VisitCardData, *, simulated: bool, jimu_type: str = "",
                 reason: str = "") -> "Future[object] | None":
        """Record the identity (READ_CARD / READ_MY_NUMBER checked by the visit); a card read is audited.

        Returns the audit write (None for a manual identification, which reads no card). The
        entry is checked before the visit changes: an entry the audit log would refuse (a My
        Number read without a reason) leaves the visit as it was.
        """
        entry = None
        if card.method.reads_card:
            entry = self._checked(card_read_entry(self._actor(visit), visit.id, card.method, card.items_read,
                                                  simulated, jimu_type, reason))
        visit.identify(card)
        return self._append(entry) if entry is not None else None

    def attach_my_number(self, visit: Visit, my_number: str, *, simulated: bool, jimu_type: str,
                         reason: str) -> "Future[object]":
        """The number read after identification (READ_MY_NUMBER, with 事務種別 and 処理事由), audited."""
        card = visit.card
        method = card.method if card is not None else IdentifyMethod.CARD_PIN
        if method is IdentifyMethod.CARD_MATCHING_B:
            method = IdentifyMethod.CARD_PIN  # after a 照合番号B identification the number is read with the PIN
        entry = self._checked(card_read_entry(self._actor(visit), visit.id, method, ("my_number",), simulated,
                                              jimu_type, reason))
        visit.attach_my_number(my_number)
        return self._append(entry)

    def record_printed(self, visit: Visit, forms: Sequence[str], pages: int,
                       filled: "Mapping[str, FormData] | None" = None) -> "Future[object]":
        """The forms went to the printer (PRINT_FORMS checked by the visit): noted on the visit and audited.

        With the town's hand-off on, the same writer job stores each form's record and writes it to
        the hand-off folder (``handoff.write`` event); ``filled`` is ``VisitPdf.filled``, the data the
        pages were drawn from (else it is built again from the visit).
        """
        actor = self._actor(visit)
        entry = self._checked(print_entry(actor, visit.id, forms, pages))
        records = self.handoff.records(visit, forms, filled) if self.handoff.enabled else []
        for form_id in forms:
            visit.record_printed(form_id)

        def job(orm: OrmSession) -> object:
            printed = self.audit.append_in(orm, entry)
            self.handoff.write_in(orm, actor, records)
            return printed

        return self._submit(job)

    # -- storing -----------------------------------------------------------------------------------

    def store(self, session: Session, record: VisitRecord, timeline: Sequence[TimelineEvent] = (), *,
              print_mode: str | None = None, printer: str | None = None) -> "Future[str]":
        """Store a closed visit and its ``visit.close`` audit event in one transaction (MANAGE_VISITS).

        The journal entry stays until the caller sees the write succeed (:meth:`forget`): a failed
        write keeps the record for a retry or the next start. Storing a visit twice is a no-op.
        """
        mode = print_mode or self.settings.forms.default_mode

        def job(orm: OrmSession) -> str:
            require(session, Permission.MANAGE_VISITS)
            if store_record_rows(orm, record, timeline, mode, printer):
                self.audit.append_in(orm, visit_close_entry(session.clerk_id, record))
            return record.visit_id

        return self._submit(job)

    def unstored_records(self) -> list[VisitRecord]:
        """Closed visits a crash left in the journal before they reached the store."""
        return self.journal.unstored_records()

    def forget(self, visit_id: str) -> None:
        """Drop the journal entry once the record is stored (or the visit was discarded)."""
        self.journal.forget(visit_id)

    # -- helpers -----------------------------------------------------------------------------------

    @staticmethod
    def _actor(visit: Visit) -> str:
        return require(visit.session, Permission.MANAGE_VISITS).clerk_id

    @staticmethod
    def _checked(entry: AuditEntry) -> AuditEntry:
        check_entry(entry)  # refused before anything changes: the caller sees it at once
        return entry

    def _append(self, entry: AuditEntry) -> "Future[object]":
        return self._submit(lambda orm: self.audit.append_in(orm, entry))

    def _submit(self, job: Callable[[OrmSession], T]) -> "Future[T]":
        future: Future[T] = self.database.writer.submit(job)
        return future
