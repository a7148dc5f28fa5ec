"""Append-only, hash-chained audit log: who did what, when, at which desk, and why.

Every card read, print, export, report, settings or account change, My Number
reveal and sign-in/out is written here. Events carry only *names* of items
("basic4", "my_number"), never values: :func:`check_entry` refuses anything that
looks like personal data (a 12-digit number, a phone number, an e-mail address)
before it can reach the table. ``actor`` is the clerk's id, not their name.

Each desk keeps its own chain (``seq`` 1, 2, 3 ... per ``desk_id``), so events
synced from many desks to the central server still verify desk by desk. Hashes
are keyed with the desk's audit key (see :mod:`dxdesk.security.auditkey`), and
after each commit the newest seq/hash is noted outside the database so deleting
the newest events can be noticed.
"""
from __future__ import annotations

import enum
import logging
import re
import unicodedata
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, cast

from sqlalchemy import Table, event, insert, select
from sqlalchemy.orm import Session as OrmSession

from dxdesk.errors import DxError
from dxdesk.i18n import Msg
from dxdesk.log import redact
from dxdesk.security.auditchain import (
    CHECKPOINT_EVENT,
    GAP_EVENT,
    GENESIS_HASH,
    AuditRecord,
    ChainHead,
    compute_hash,
    is_keyed,
)
from dxdesk.security.auditkey import (
    load_chain_head,
    load_cutover,
    load_or_create_audit_key,
    save_chain_head,
    save_cutover,
)

if TYPE_CHECKING:  # for annotations only: no import cycle through the store at run time
    from dxdesk.store.database import Database

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
_HEADS_KEY = "dxdesk.audit.heads"  # Session.info: the head to note per desk once the running job commits
_NEWEST_KEY = "dxdesk.audit.newest"  # Session.info: the newest event per desk appended in the running job


class EventType(str, enum.Enum):
    SIGN_IN = "auth.sign_in"
    SIGN_OUT = "auth.sign_out"
    UNLOCK = "auth.unlock"
    PASSWORD_CHANGE = "auth.password_change"
    CARD_READ = "card.read"
    PRINT = "form.print"
    VISIT_CLOSE = "visit.close"  # a closed or cancelled counter visit stored (same transaction as its rows)
    EXPORT = "data.export"
    REPORT = "report.create"
    SETTINGS_CHANGE = "settings.change"
    ACCOUNT_CHANGE = "account.change"
    MY_NUMBER_REVEAL = "my_number.reveal"
    PURGE = "data.purge"
    SUPPORT_CHANGE = "support.change"  # edit / soft delete / follow-up close / import of support sessions
    ACCOUNT_REFUSED = "sync.account_refused"  # an account from the server without a valid town signature
    SERVER_JOIN = "db.join"  # this desk joined a town's server (pinned its town key)
    CHECKPOINT = CHECKPOINT_EVENT
    GAP = GAP_EVENT  # written by the desk: its database was behind the head it had noted (never by a caller)
    # Database maintenance (dxdesk.app.maintenance): each one an administrator's act, the sync the desk's.
    DB_BACKUP = "db.backup"
    DB_RESTORE = "db.restore"  # details: from which chain head to which
    DB_ROTATE_KEY = "db.rotate_key"
    DB_SET_SERVER = "db.set_server"
    DB_WORK_OFFLINE = "db.work_offline"
    DB_UPGRADE = "db.upgrade"
    SYNC_RUN = "sync.run"
    AUDIT_TRIGGERS = "audit.repair_triggers"
    # The back-office hand-off (dxdesk.handoff): records written to the folder, picked up from it.
    HANDOFF_WRITE = "handoff.write"
    HANDOFF_PICKUP = "handoff.pickup"


class Result(str, enum.Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"  # the role check refused it
    LOCKED = "locked"  # sign-in refused because the account is locked out


class Item:
    """Names of what a card read touched. Only these names are stored, never the values."""

    BASIC4 = "basic4"  # 氏名・住所・生年月日・性別 together
    NAME = "name"
    ADDRESS = "address"
    BIRTH_DATE = "birth_date"
    SEX = "sex"
    MY_NUMBER = "my_number"
    FACE_IMAGE = "face_image"
    FACE_PHOTO = "face_photo"  # the 券面事項確認AP's photo, shown to the clerk (issue #18); never stored
    PINLESS = "pinless"  # read with 照合番号B instead of the PIN
    ALL = (BASIC4, NAME, ADDRESS, BIRTH_DATE, SEX, MY_NUMBER, FACE_IMAGE, FACE_PHOTO, PINLESS)


@dataclass(frozen=True)
class AuditEntry:
    """What a caller asks to record; :class:`AuditLog` adds id, seq, time, desk and hashes."""

    event_type: EventType | str
    actor: str | None  # clerk id (Session.clerk_id); None when unknown (failed sign-in)
    result: Result | str = Result.SUCCESS
    jimu_type: str = ""  # 事務種別
    reason: str = ""  # 処理事由
    items: Sequence[str] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    def with_result(self, result: Result | str, detail: tuple[str, Any] | None = None) -> "AuditEntry":
        details = dict(self.details)
        if detail is not None:
            details[detail[0]] = detail[1]
        return replace(self, result=result, details=details)


MSG_PRIVACY = Msg(
    ja="監査ログに個人情報らしき値（{field}）が含まれているため記録を中止しました。項目名だけを記録してください。",
    en="Refused to write an audit event: field {field} looks like personal data; audit events hold item names only.",
)
MSG_REASON_REQUIRED = Msg(
    ja="個人番号を読み取る・表示するときは処理事由の入力が必要です。",
    en="A reason (処理事由) is required to read or reveal an individual number.",
)


class AuditError(DxError, ValueError):
    def __init__(self, msg: Msg) -> None:
        super().__init__(msg)


_EVENT_TYPE_RE = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+$")
_ITEM_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Identifiers we put in details on purpose (uuids, sha-256 hex) may contain digit runs.
_SAFE_TOKEN_RE = re.compile(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{64}\b")
_PERSONAL_RES = (
    re.compile(r"\d{7,}"),  # individual numbers, postal codes, account numbers, phone numbers without dashes
    re.compile(r"(?<!\d)0\d{1,4}[-(\s]\d{1,4}[-)\s]\d{3,4}(?!\d)"),  # Japanese phone numbers with separators
    re.compile(r"\d{3}-\d{4}"),  # postal code 〒123-4567
    re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+"),  # e-mail
)


def _looks_personal(text: str) -> bool:
    text = unicodedata.normalize("NFKC", text)
    text = _SAFE_TOKEN_RE.sub("", text)
    return redact(text) != text or any(p.search(text) for p in _PERSONAL_RES)


def _scan(value: Any, where: str) -> None:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if len(str(abs(value))) >= 10:  # counts and seqs stay far below; phone numbers do not
            raise AuditError(MSG_PRIVACY.format(field=where))
        return
    if isinstance(value, str):
        if _looks_personal(value):
            raise AuditError(MSG_PRIVACY.format(field=where))
        return
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _scan(str(key), f"{where} key")
            _scan(inner, f"{where}.{key}")
        return
    if isinstance(value, (list, tuple)):
        for inner in value:
            _scan(inner, where)
        return
    raise AuditError(Msg(f"監査ログに記録できない値です（{where}）。", f"audit field {where} has an unsupported type"))


def check_entry(entry: AuditEntry) -> None:
    """Refuse an entry that could carry personal data or lacks a required reason."""
    event_type = str(getattr(entry.event_type, "value", entry.event_type))
    if not _EVENT_TYPE_RE.match(event_type):
        raise AuditError(Msg("監査イベントの種類が不正です。", f"bad audit event type {event_type!r}"))
    for item in entry.items:
        if not isinstance(item, str) or not _ITEM_RE.match(item):
            # Not echoing the item: a caller passing a value by mistake must not leak it here.
            raise AuditError(MSG_PRIVACY.format(field="items"))
    # Column widths of audit_events; PostgreSQL would refuse longer text at sync time.
    if len(entry.jimu_type) > 128 or len(entry.reason) > 256 or len(entry.items) > 32:
        raise AuditError(Msg("事務種別・処理事由が長すぎます。", "jimu_type/reason/items too long for the audit log"))
    _scan(entry.jimu_type, "jimu_type")
    _scan(entry.reason, "reason")
    _scan(dict(entry.details), "details")
    touches_number = Item.MY_NUMBER in entry.items and event_type in (
        EventType.CARD_READ.value, EventType.MY_NUMBER_REVEAL.value)
    if touches_number and str(getattr(entry.result, "value", entry.result)) == Result.SUCCESS.value:
        if not entry.reason.strip():
            raise AuditError(MSG_REASON_REQUIRED)


def _enum_text(value: Any) -> str:
    return str(getattr(value, "value", value))


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def record_from_row(row: Any) -> AuditRecord:
    """Plain AuditRecord from an ORM AuditEvent (or any object with the same attributes)."""
    return AuditRecord(
        id=row.id, seq=row.seq, occurred_at=row.occurred_at, actor=row.actor, desk_id=row.desk_id,
        event_type=row.event_type, jimu_type=row.jimu_type or "", reason=row.reason or "",
        items=tuple(row.items or ()), result=row.result or "", details=dict(row.details or {}),
        prev_hash=row.prev_hash, hash=row.hash,
    )


def last_record(orm: OrmSession, desk_id: str) -> AuditRecord | None:
    from dxdesk.security.auditcheckpoint import newest_record

    return newest_record(orm.connection(), desk_id)


def load_records(
    orm: OrmSession, desk_id: str | None = None, start: datetime | None = None, end: datetime | None = None,
    event_type: str | None = None, limit: int | None = None,
) -> list[AuditRecord]:
    """Events in chain order (desk, then seq). ``start`` inclusive, ``end`` exclusive."""
    from dxdesk.store.models import AuditEvent

    query = select(AuditEvent)
    if desk_id is not None:
        query = query.where(AuditEvent.desk_id == desk_id)
    if start is not None:
        query = query.where(AuditEvent.occurred_at >= start)
    if end is not None:
        query = query.where(AuditEvent.occurred_at < end)
    if event_type is not None:
        query = query.where(AuditEvent.event_type == event_type)
    query = query.order_by(AuditEvent.desk_id, AuditEvent.seq)
    if limit is not None:
        query = query.limit(limit)
    return [record_from_row(row) for row in orm.scalars(query)]


class AuditLog:
    """Writes events through the store's single writer; seq and hashes are assigned inside that transaction."""

    def __init__(self, database: Database, clock: Clock = _utcnow, *, accept_rollback: bool = False) -> None:
        self.database = database
        self.clock = clock
        self._key: bytes | None = None  # loaded (or created) on the first append
        # Only ``dxdesk db restore`` sets this, on the restored copy: its own db.restore event records the
        # rollback (from which head to which), so no audit.gap event is written for it.
        self.accept_rollback = accept_rollback
        self._cutover_noted = False  # once seen, the note is not read again on every append

    def _paths(self) -> Any:
        return getattr(self.database, "paths", None)  # None: dxdesk.paths.app_paths()

    def _audit_key(self, may_create: bool) -> bytes:
        if self._key is None:
            self._key = load_or_create_audit_key(self.desk_id, self._paths(), may_create=may_create)
        return self._key

    def _note_after_commit(self, orm: OrmSession, record: AuditRecord, cutover: int | None) -> None:
        """Save the chain head (and a first cut-over point) once the job's transaction commits.

        A rolled-back event must not become the head. A job that appends many events
        registers one listener and notes only its newest head.
        """
        pending: dict[tuple[str, Any], tuple[ChainHead, int | None]] | None = orm.info.get(_HEADS_KEY)
        if pending is None:
            pending = orm.info[_HEADS_KEY] = {}

            def _after_commit(session: OrmSession) -> None:
                for (desk_id, paths), (head, first_keyed) in session.info.pop(_HEADS_KEY, {}).items():
                    save_chain_head(desk_id, head, paths)
                    if first_keyed is not None:
                        save_cutover(desk_id, first_keyed, paths)

            def _after_rollback(session: OrmSession) -> None:
                session.info.pop(_HEADS_KEY, None)

            event.listen(orm, "after_commit", _after_commit, once=True)
            event.listen(orm, "after_soft_rollback", _after_rollback, once=True)
        where = (record.desk_id, self._paths())
        earlier = pending.get(where)
        if earlier is not None and earlier[1] is not None:
            cutover = earlier[1]  # the first cut-over point of the job is the one to note
        pending[where] = (ChainHead(record.seq, record.hash), cutover)

    def _gap(self, orm: OrmSession, last: AuditRecord | None) -> dict[str, Any] | None:
        """Details for an ``audit.gap`` event when the database is behind (or other than) the noted head."""
        from dxdesk.security.auditcheckpoint import hash_at

        try:
            head = load_chain_head(self.desk_id, self._paths())
        except ValueError:
            log.error("the audit chain head noted outside the database is unreadable")
            return None
        if head is None:
            return None
        last_seq = last.seq if last else 0
        if head.seq > last_seq:
            log.error("audit events after seq %d are missing: this desk last wrote seq %d", last_seq, head.seq)
            return {"cause": "missing", "last_seq": last_seq, "noted_seq": head.seq}
        stored = hash_at(orm.connection(), self.desk_id, head.seq)
        if stored is not None and stored != head.hash:
            log.error("audit event seq %d differs from the one this desk wrote: the chain was rewritten", head.seq)
            return {"cause": "rewritten", "last_seq": last_seq, "noted_seq": head.seq}
        return None

    def _cutover_to_note(self, orm: OrmSession, next_seq: int) -> int | None:
        """The first keyed seq, when no cut-over point is noted yet (new desk, or keyed before it was noted)."""
        from dxdesk.store.models import AuditEvent

        if self._cutover_noted:
            return None
        try:
            if load_cutover(self.desk_id, self._paths()) is not None:
                self._cutover_noted = True
                return None
        except ValueError:
            log.error("the audit cut-over point noted outside the database is unreadable")
            return None
        first_keyed = orm.scalar(select(AuditEvent.seq).where(
            AuditEvent.desk_id == self.desk_id, AuditEvent.hash.like("h1:%")).order_by(AuditEvent.seq).limit(1))
        return int(first_keyed) if first_keyed is not None else next_seq

    @property
    def desk_id(self) -> str:
        return str(self.database.desk_id)

    def append(self, entry: AuditEntry, timeout: float | None = 60.0) -> AuditRecord:
        """Append one event and wait for the commit. Raises AuditError before touching the database."""
        check_entry(entry)
        return self.database.writer.submit(lambda orm: self.append_in(orm, entry)).result(timeout)

    def append_in(self, orm: OrmSession, entry: AuditEntry) -> AuditRecord:
        """Append inside a writer job that is already running, so the event commits (or not) with the change.

        When the database is behind the head this desk noted (newest events deleted, WAL lost,
        an older file copied in) or holds another event at that seq, a keyed ``audit.gap``
        event is written first, so the next sign-in cannot hide it.
        """
        check_entry(entry)
        desk_id = self.desk_id
        # Within one job the newest event is known once the first append looked it up: nobody else
        # writes this desk's chain inside our transaction. The gap and cut-over checks need doing
        # once per transaction too, so a job that appends many events pays for them once.
        newest: dict[str, AuditRecord] = orm.info.setdefault(_NEWEST_KEY, {})
        last = newest.get(desk_id)
        if last is None:
            orm.flush()  # earlier ORM changes of this job first (their outbox rows come before ours)
            last = last_record(orm, desk_id)
        # A desk with keyed events never makes a new key (legacy unkeyed chains may get their first one).
        key = self._audit_key(may_create=last is None or not is_keyed(last.hash))
        if desk_id not in newest:
            cutover = self._cutover_to_note(orm, (last.seq + 1) if last else 1)
            gap = None if self.accept_rollback else self._gap(orm, last)
            if gap is not None:
                # The lasting, keyed trace: the event about to be written would otherwise move the head on.
                last = self._add(orm, last, key, AuditEntry(EventType.GAP, None, Result.FAILURE, details=gap))
        else:
            cutover = None
        record = self._add(orm, last, key, entry)
        newest[desk_id] = record
        self._note_after_commit(orm, record, cutover)
        return record

    def _add(self, orm: OrmSession, last: AuditRecord | None, key: bytes, entry: AuditEntry) -> AuditRecord:
        from dxdesk.store.models import AuditEvent
        from dxdesk.store.session import queue_for_server

        desk_id = self.desk_id
        occurred_at = self.clock().astimezone(timezone.utc)
        if last is not None and occurred_at < last.occurred_at:
            # A clock stepped backwards must not make the chain look reordered in time.
            occurred_at = last.occurred_at
        record = AuditRecord(
            id=str(uuid.uuid4()), seq=(last.seq + 1) if last else 1, occurred_at=occurred_at,
            actor=entry.actor, desk_id=desk_id, event_type=_enum_text(entry.event_type),
            jimu_type=entry.jimu_type, reason=entry.reason, items=tuple(entry.items),
            result=_enum_text(entry.result), details=dict(entry.details),
            prev_hash=last.hash if last else GENESIS_HASH,
        )
        record = replace(record, hash=compute_hash(record, key))
        # A Core insert, not an ORM object: an event is never changed after this, and thousands of
        # objects in one session make every later flush slower (the session scans them all).
        orm.connection().execute(insert(cast(Table, AuditEvent.__table__)), dict(
            id=record.id, seq=record.seq, occurred_at=record.occurred_at, actor=record.actor,
            desk_id=record.desk_id, event_type=record.event_type, jimu_type=record.jimu_type,
            reason=record.reason, items=list(record.items), result=record.result,
            details=dict(record.details), prev_hash=record.prev_hash, hash=record.hash,
        ))
        queue_for_server(orm, AuditEvent.__tablename__, record.id)
        return record
