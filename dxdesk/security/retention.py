"""Retention: forget residents' personal data after the retention period, keep the audit trail.

``dxdesk purge`` (``db`` belongs to the store) runs :meth:`RetentionService.purge`, and the
app runs :meth:`RetentionService.purge_as_system` once a day in the background
(:mod:`dxdesk.security.purgeschedule`; audit actor ``"system"``):

* visits older than ``security.personal_data_retention_days``: the encrypted
  personal fields (name, kana, address, birth date, My Number, answers) are set to
  NULL; the visit itself (procedures, timings) stays for the statistics;
* support sessions older than that: the follow-up contact is removed;
* audit events older than ``security.audit_retention_years`` (5 years, the usual
  municipal contract term) may go, but only as a whole prefix of this desk's chain:
  a checkpoint event, appended first and chained like any other, records the seq
  and hash of the last removed event, so ``dxdesk audit verify`` still proves that
  nothing after it was touched.

Personal-field changes go through the ORM, so the outbox carries them to the central
server too. Removing audit rows is local only: the server keeps its own retention.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy import Table, delete, func, or_, select
from sqlalchemy.orm import load_only

from dxdesk.config import SecuritySettings, load_settings
from dxdesk.security.audit import AuditEntry, AuditLog, EventType, Result
from dxdesk.security.auditchain import utc_iso
from dxdesk.security.permissions import SYSTEM_ACTOR, Permission, Session, requires
from dxdesk.store.models import AuditEvent, PrintedRecord, SupportSession, SyncState, Visit

if TYPE_CHECKING:  # for annotations only: no import cycle through the store at run time
    from dxdesk.store.database import Database

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Local-only row of sync_state (never pushed) holding when personal data was last purged here.
LAST_PURGE_STATE = "retention:last_purge"
VISIT_PERSONAL_FIELDS = ("resident_name", "resident_kana", "address", "birth_date", "my_number", "answers")


@dataclass(frozen=True)
class PurgeReport:
    dry_run: bool
    personal_cutoff: datetime
    audit_cutoff: datetime
    visits_cleared: int
    support_contacts_cleared: int
    audit_events_removed: int
    audit_removed_through_seq: int | None
    printed_records_removed: int = 0  # hand-off records kept for `visit export` (dxdesk.handoff)

    def summary(self) -> str:
        verb = "would clear" if self.dry_run else "cleared"
        text = (
            f"{verb} personal data of {self.visits_cleared} visit(s) and "
            f"{self.support_contacts_cleared} support follow-up contact(s) older than "
            f"{self.personal_cutoff.date().isoformat()}; "
        )
        verb = "would remove" if self.dry_run else "removed"
        text += f"{verb} {self.audit_events_removed} audit event(s) older than {self.audit_cutoff.date().isoformat()}"
        if self.audit_removed_through_seq is not None:
            text += f" (seq 1..{self.audit_removed_through_seq}, checkpoint kept)"
        return text


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February in a non-leap target year
        return moment.replace(year=moment.year - years, day=28)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class RetentionService:
    def __init__(self, database: Database, audit: AuditLog | None = None, settings: SecuritySettings | None = None,
                 clock: Clock = _utcnow) -> None:
        self.database = database
        self.clock = clock
        self.audit = audit or AuditLog(database, clock=clock)
        self.settings = settings or load_settings(database.paths).security

    def cutoffs(self) -> tuple[datetime, datetime]:
        now = self.clock()
        if self.settings.personal_data_retention_days < 1 or self.settings.audit_retention_years < 1:
            raise ValueError("retention periods must be at least 1 day / 1 year")
        return (now - timedelta(days=self.settings.personal_data_retention_days),
                _years_before(now, self.settings.audit_retention_years))

    @requires(Permission.MANAGE_SETTINGS)
    def purge(self, session: Session, dry_run: bool = False) -> PurgeReport:
        return self._run(session.clerk_id, dry_run)

    def purge_as_system(self, dry_run: bool = False) -> PurgeReport:
        """The scheduled purge: no clerk started it, so the audit events name the actor ``"system"``.

        Not behind a permission: it only ever removes data (by the configured rule), and
        it runs without anyone signed in, which is the point of a schedule.
        """
        return self._run(SYSTEM_ACTOR, dry_run)

    def last_purge(self) -> datetime | None:
        """When personal data was last purged on this PC (by anyone), or None if never."""
        with self.database.session() as orm:
            state = orm.get(SyncState, LAST_PURGE_STATE)
            return state.last_sync_at if state is not None else None

    def _run(self, actor: str, dry_run: bool) -> PurgeReport:
        personal_cutoff, audit_cutoff = self.cutoffs()
        return self.database.writer.run(
            lambda orm: self._purge(orm, actor, personal_cutoff, audit_cutoff, dry_run), timeout=600)

    # ------------------------------------------------------------------ jobs
    def _purge(self, orm: Any, actor: str, personal_cutoff: datetime, audit_cutoff: datetime,
               dry_run: bool) -> PurgeReport:
        visits = orm.scalars(
            select(Visit).options(load_only(Visit.id))  # do not decrypt what we are about to erase
            .where(Visit.started_at < personal_cutoff)
            .where(or_(*(getattr(Visit, f).is_not(None) for f in VISIT_PERSONAL_FIELDS)))
        ).all()
        contacts = orm.scalars(
            select(SupportSession).options(load_only(SupportSession.id))
            .where(SupportSession.started_at < personal_cutoff, SupportSession.follow_up_contact.is_not(None))
        ).all()
        printed = orm.scalars(select(PrintedRecord.id).where(PrintedRecord.printed_at < personal_cutoff)).all()
        through_seq, through_hash, removable = self._audit_prefix(orm, audit_cutoff)
        report = PurgeReport(dry_run, personal_cutoff, audit_cutoff, len(visits), len(contacts), removable,
                             through_seq, len(printed))
        if dry_run:
            return report
        for visit in visits:
            for name in VISIT_PERSONAL_FIELDS:
                setattr(visit, name, None)
        for support in contacts:
            support.follow_up_contact = None
        if printed:
            orm.execute(delete(PrintedRecord).where(PrintedRecord.id.in_(printed)))
        if through_seq is not None:
            # Checkpoint first: it becomes the newest event, so the chain never empties
            # and the next event still links to a surviving hash.
            self.audit.append_in(orm, AuditEntry(
                EventType.CHECKPOINT, actor, Result.SUCCESS,
                details={"removed_through_seq": through_seq, "removed_last_hash": through_hash,
                         "removed_count": removable, "removed_before": utc_iso(audit_cutoff)},
            ))
            self._delete_audit_prefix(orm, through_seq)
        self.audit.append_in(orm, AuditEntry(
            EventType.PURGE, actor, Result.SUCCESS,
            details={"visits_cleared": len(visits), "support_contacts_cleared": len(contacts),
                     "printed_records_removed": len(printed),
                     "audit_events_removed": removable, "personal_before": utc_iso(personal_cutoff)},
        ))
        state = orm.get(SyncState, LAST_PURGE_STATE) or orm.merge(SyncState(name=LAST_PURGE_STATE))
        state.last_sync_at = self.clock()
        log.info("purge (%s): %s", "system" if actor == SYSTEM_ACTOR else "clerk", report.summary())
        return report

    def _audit_prefix(self, orm: Any, cutoff: datetime) -> tuple[int | None, str | None, int]:
        """Largest N such that this desk's events 1..N (what remains of them) are all older than ``cutoff``."""
        desk = self.audit.desk_id
        first_recent = orm.scalar(
            select(func.min(AuditEvent.seq)).where(AuditEvent.desk_id == desk, AuditEvent.occurred_at >= cutoff))
        newest = orm.scalar(select(func.max(AuditEvent.seq)).where(AuditEvent.desk_id == desk))
        if newest is None:
            return None, None, 0
        # Never remove the newest event: the chain must keep a surviving hash to link to.
        through = min(first_recent - 1, newest - 1) if first_recent is not None else newest - 1
        count = int(orm.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.desk_id == desk, AuditEvent.seq <= through)) or 0)
        if count == 0:
            return None, None, 0
        last_hash = orm.scalar(select(AuditEvent.hash).where(AuditEvent.desk_id == desk, AuditEvent.seq == through))
        return through, last_hash, count

    def _delete_audit_prefix(self, orm: Any, through_seq: int) -> None:
        """Delete seq <= through_seq, lifting the append-only triggers inside this transaction only."""
        conn = orm.connection()
        table = AuditEvent.__table__
        assert isinstance(table, Table)  # a declarative model's __table__ is always a Table
        where = (table.c.desk_id == self.audit.desk_id) & (table.c.seq <= through_seq)
        if conn.dialect.name == "sqlite":
            # SQLite DDL is transactional: the triggers are back before anyone else can
            # see the database, and a failure rolls the drop back with the delete.
            triggers = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events' "
                "AND upper(sql) LIKE '%BEFORE DELETE%'").all()
            for name, _sql in triggers:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            conn.execute(delete(table).where(where))
            for _name, sql in triggers:
                conn.exec_driver_sql(sql)
        else:
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_delete")
            conn.execute(delete(table).where(where))
            conn.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_delete")
