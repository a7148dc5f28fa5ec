"""Reading the audit log: list, verify and export, each behind its permission.

Supervisors (VIEW_AUDIT) see and verify the log; exporting it to a file also needs
EXPORT_DATA, and the export itself is an audited event. Actors are shown by login
(looked up from the clerks table), never by display name.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from sqlalchemy import select

from dxdesk.csvfiles import spreadsheet_safe, write_text_atomic
from dxdesk.security.audit import AuditEntry, AuditLog, EventType, Result, load_records
from dxdesk.security.auditchain import AuditRecord, ChainHead, ChainWalker, VerifiedPoint, VerifyResult, utc_iso
from dxdesk.security.auditcheckpoint import (
    TamperedCheckpointError,
    desks,
    hash_at,
    load_checkpoint,
    save_checkpoint,
    still_holds,
    walk,
)
from dxdesk.security.auditkey import AuditKeyError, load_audit_key, load_chain_head, load_cutover
from dxdesk.security.permissions import Permission, Session, require, requires
from dxdesk.i18n import Msg
from dxdesk.store.models import Clerk, SupportTopic

CSV_COLUMNS = (
    "seq", "id", "occurred_at_utc", "desk_id", "actor_id", "actor_login", "event_type", "jimu_type", "reason",
    "items", "result", "details", "prev_hash", "hash",
)


@dataclass(frozen=True)
class AuditCheck:
    """``audit verify``'s answer: each desk's chain, and what is wrong with the table itself (or "")."""

    chains: dict[str, VerifyResult]
    triggers: str

    @property
    def ok(self) -> bool:
        return not self.triggers and all(r.ok for r in self.chains.values())


def trigger_problem(database: Any) -> str:
    """"" when audit_events still refuses UPDATE and DELETE; else what is missing (SQLite desks only)."""
    from dxdesk.store.audittriggers import missing_triggers

    with database.engine.connect() as conn:
        missing = missing_triggers(conn)
    if not missing:
        return ""
    return (f"the append-only triggers of audit_events are missing ({', '.join(missing)}): they were dropped "
            "outside dxdesk, so events may have been edited or deleted; after checking, recreate them with "
            "'dxdesk audit repair-triggers --as ADMIN'")


@dataclass(frozen=True)
class AuditRow:
    record: AuditRecord
    actor_login: str  # "" when the event has no actor (e.g. a failed sign-in with an unknown login)


class AuditService:
    def __init__(self, database: Any, audit: AuditLog | None = None) -> None:
        self.database = database
        self.audit = audit or AuditLog(database)

    def _logins(self, orm: Any) -> dict[str, str]:
        return {row.id: row.login for row in orm.execute(select(Clerk.id, Clerk.login))}

    def topic_labels(self) -> dict[str, Msg]:
        """The town's support topics by code (a town-added one included), so details name a topic in words.

        A topic without an English label shows its Japanese one in English too: it is the town's data."""
        with self.database.session() as orm:
            rows = orm.execute(select(SupportTopic.code, SupportTopic.label_ja, SupportTopic.label_en))
            return {code: Msg(ja, en or ja) for code, ja, en in rows}

    def _rows(self, records: Iterable[AuditRecord], logins: dict[str, str]) -> list[AuditRow]:
        return [AuditRow(r, logins.get(r.actor or "", "")) for r in records]

    @requires(Permission.VIEW_AUDIT)
    def list_events(self, session: Session, start: datetime | None = None, end: datetime | None = None,
                    event_type: str | None = None, limit: int | None = None) -> list[AuditRow]:
        """Events in chain order; ``start`` inclusive, ``end`` exclusive (aware datetimes)."""
        with self.database.session() as orm:
            records = load_records(orm, start=start, end=end, event_type=event_type, limit=limit)
            return self._rows(records, self._logins(orm))

    @requires(Permission.VIEW_AUDIT)
    def verify(self, session: Session, full: bool = False) -> dict[str, VerifyResult]:
        """Each desk's chain -> its VerifyResult (an empty log verifies as {}).

        Walks only events after each desk's verified checkpoint unless ``full``; records new checkpoints.
        """
        results, points = self._check(full)
        self._record(points)
        return results

    def verify_before_sign_in(self, sign_in: Callable[[], Session],
                              full: bool = False) -> tuple[Session, "AuditCheck"]:
        """Check every chain, the head note and the triggers, *then* sign in (VIEW_AUDIT) and hand the answer over.

        Signing in appends an event and moves the head note; checking first means that
        append can neither hide a truncation nor vouch for a chain rewritten without the key.
        The new checkpoints are recorded only once the person is signed in.
        """
        results, points = self._check(full)
        check = AuditCheck(results, trigger_problem(self.database))
        session = require(sign_in(), Permission.VIEW_AUDIT)
        self._record(points)
        return session, check

    def check_chains(self, full: bool = False) -> dict[str, VerifyResult]:
        """The verification itself, with no permission check and nothing recorded: for callers that check one."""
        return self._check(full)[0]

    def _check(self, full: bool) -> tuple[dict[str, VerifyResult], dict[str, VerifiedPoint]]:
        local = str(getattr(self.database, "desk_id", ""))
        results: dict[str, VerifyResult] = {}
        points: dict[str, VerifiedPoint] = {}
        with self.database.session() as orm:
            conn = orm.connection()
            found = desks(conn)
            if local and local not in found and self._head_or_none(local) is not None:
                found.append(local)  # every event of this desk is gone: the noted head still tells
            for desk in found:
                results[desk], point = self._verify_desk(conn, desk, local, full)
                if point is not None:
                    points[desk] = point
        return results, points

    def _record(self, points: dict[str, VerifiedPoint]) -> None:
        """Store each verified point as the desk's checkpoint (keyed; only desks whose key is here)."""
        paths = getattr(self.database, "paths", None)
        keys = {desk: load_audit_key(desk, paths) for desk in points}
        now = datetime.now(timezone.utc)

        def job(orm: Any) -> None:
            for desk, point in points.items():
                key = keys[desk]
                if key is not None:
                    save_checkpoint(orm.connection(), desk, point, key, now)

        if any(key is not None for key in keys.values()):
            self.database.writer.run(job)

    def _head(self, desk: str) -> ChainHead | None:
        return load_chain_head(desk, getattr(self.database, "paths", None))

    def _head_or_none(self, desk: str) -> ChainHead | None:
        try:
            return self._head(desk)
        except AuditKeyError:
            return ChainHead(0, "")  # unreadable: let _verify_desk report it

    def _verify_desk(self, conn: Any, desk: str, local: str,
                     full: bool) -> tuple[VerifyResult, VerifiedPoint | None]:
        """One desk's verdict, and the point to record as its checkpoint (None: record nothing)."""
        paths = getattr(self.database, "paths", None)
        try:
            key = load_audit_key(desk, paths)
            # Only this desk notes its head; events synced in from other desks are checked without it.
            head = self._head(desk) if desk == local else None
            cutover = load_cutover(desk, paths) if desk == local else None
        except AuditKeyError as exc:
            return VerifyResult(False, None, str(exc), key_missing=True), None
        start: VerifiedPoint | None = None
        tampered: VerifyResult | None = None
        if key is not None:
            try:
                start = load_checkpoint(conn, desk, key)
            except TamperedCheckpointError as exc:
                tampered = VerifyResult(
                    False, exc.seq, "the verified checkpoint stored for this desk was changed outside dxdesk (its "
                    "keyed MAC does not match), so it cannot be trusted; 'dxdesk audit verify --full' walks the "
                    "whole chain and replaces it")
                if not full:
                    return tampered, None
            if full or (start is not None and not still_holds(conn, desk, start)):
                start = None  # walk from seq 1: a changed history is named by the full walk
        walker = ChainWalker(key, head, cutover, start)
        walk(conn, walker, desk, start.seq if start else 0)
        result = walker.finish(lambda seq: hash_at(conn, desk, seq))
        point = walker.point() if result.ok else None
        # A bad event is the finding to name first; a chain that is fine still reports the doctored checkpoint.
        return (result if not result.ok else tampered or result), point
    @requires(Permission.MANAGE_SETTINGS)
    def repair_triggers(self, session: Session) -> list[str]:
        """Recreate missing append-only triggers (an explicit administrator act, audited); returns their names."""
        from dxdesk.store.audittriggers import missing_triggers, recreate_triggers

        def job(orm: Any) -> list[str]:
            conn = orm.connection()
            missing = missing_triggers(conn)
            if missing:
                recreate_triggers(conn, missing)
            self.audit.append_in(orm, AuditEntry(EventType.AUDIT_TRIGGERS, session.clerk_id, Result.SUCCESS,
                                                 details={"recreated": len(missing)}))
            return missing

        return list(self.database.writer.run(job))

    @requires(Permission.EXPORT_DATA)
    def export_csv(self, session: Session, out: Path, start: datetime | None = None,
                   end: datetime | None = None) -> int:
        """Write events to ``out`` as UTF-8 CSV with BOM (Excel opens it as UTF-8); returns the row count."""
        require(session, Permission.VIEW_AUDIT)
        rows = self.list_events(session, start=start, end=end)
        buffer = io.StringIO()
        writer = csv.writer(buffer)  # CRLF line ends, as Excel expects
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            r = row.record
            # The reason is typed by a clerk: '=HYPERLINK(...)' must stay text in Excel.
            writer.writerow([
                r.seq, r.id, utc_iso(r.occurred_at), r.desk_id, r.actor or "", row.actor_login, r.event_type,
                spreadsheet_safe(r.jimu_type), spreadsheet_safe(r.reason), ";".join(r.items), r.result,
                json.dumps(dict(r.details), ensure_ascii=False, sort_keys=True), r.prev_hash, r.hash,
            ])
        write_text_atomic(Path(out), buffer.getvalue())
        details: dict[str, Any] = {"what": "audit_events", "rows": len(rows)}
        if start is not None:
            details["from"] = utc_iso(start)
        if end is not None:
            details["to"] = utc_iso(end)
        self.audit.append(AuditEntry(EventType.EXPORT, session.clerk_id, Result.SUCCESS, details=details))
        return len(rows)
