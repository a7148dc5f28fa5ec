"""ORM models for dxdesk's records (Qt-free; the UI gets plain dataclasses built from them).

Personal fields of residents are encrypted columns (see crypto.py); the My Number is
stored only when a procedure requires it. Support sessions hold no names: the only
personal field is an optional follow-up contact, cleared when the follow-up closes.
Allowed values of enumerated columns are CHECK constraints so that a bad value is
refused by the database itself, on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dxdesk.store.base import Base, RecordMixin, UTCDateTime, utcnow
from dxdesk.store.crypto import EncryptedJSON, EncryptedString

CLERK_ROLES = ("clerk", "supporter", "supervisor", "administrator")
VISIT_STATUSES = ("open", "suspended", "closed", "abandoned")
IDENTIFY_METHODS = ("pin", "code_b", "manual")
VENUE_TYPES = ("counter", "community_hall", "shop", "home_visit", "other")
DEVICES = ("iphone", "android", "feature_phone", "tablet", "pc", "none")
AGE_BANDS = ("<65", "65-69", "70-74", "75-79", "80+")
OUTCOMES = ("resolved", "partly", "referred")
PRINT_MODES = ("plain", "overlay")


def _one_of(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


class Clerk(RecordMixin, Base):
    __tablename__ = "clerks"
    __table_args__ = (_one_of("role", CLERK_ROLES, "role"),)

    login: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(128), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="clerk")
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Set when an administrator creates the account or resets its password (they know that password):
    # the first sign-in can do nothing but choose a new one. Revision 0004.
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                       server_default=false())
    # Town trust (dxdesk.security.accounttrust): an administrator signs login, role, active, password
    # hash and version with the town key; desks accept accounts from the server only with a valid
    # signature, and never an older version than the one they hold.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    signature: Mapped[str | None] = mapped_column(Text)


class SignInThrottle(Base):
    """Failed sign-ins at logins that do not exist, so they lock out exactly like real ones (local only).

    Kept in the database, not in memory, so a restart of dxdesk does not reset the count (that
    difference alone would tell a real login from an unknown one). ``key`` is a keyed hash of the
    typed login, never the text: people type their password into the login field. Rows are dropped
    once their lock has expired. Revision 0004.
    """

    __tablename__ = "signin_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class Visit(RecordMixin, Base):
    __tablename__ = "visits"
    __table_args__ = (
        _one_of("status", VISIT_STATUSES, "status"),
        _one_of("identify_method", IDENTIFY_METHODS, "identify_method"),
    )

    clerk_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    identify_method: Mapped[str | None] = mapped_column(String(16))
    procedures: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    resident_name: Mapped[str | None] = mapped_column(EncryptedString("visits.resident_name"))
    resident_kana: Mapped[str | None] = mapped_column(EncryptedString("visits.resident_kana"))
    address: Mapped[str | None] = mapped_column(EncryptedString("visits.address"))
    birth_date: Mapped[str | None] = mapped_column(EncryptedString("visits.birth_date"))  # ISO yyyy-mm-dd
    # Only when one of the procedures legally requires it (番号法); callers decide, the column just encrypts.
    my_number: Mapped[str | None] = mapped_column(EncryptedString("visits.my_number"))
    answers: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON("visits.answers"))
    total_seconds: Mapped[int | None] = mapped_column(Integer)

    steps: Mapped[list["VisitStep"]] = relationship(back_populates="visit", order_by="VisitStep.started_at")
    forms: Mapped[list["FormPrinted"]] = relationship(back_populates="visit", order_by="FormPrinted.printed_at")


class VisitStep(RecordMixin, Base):
    __tablename__ = "visit_steps"

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), nullable=False, index=True)
    step: Mapped[str] = mapped_column(String(64), nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    seconds: Mapped[int | None] = mapped_column(Integer)

    visit: Mapped[Visit] = relationship(back_populates="steps")


class FormPrinted(RecordMixin, Base):
    __tablename__ = "forms_printed"
    __table_args__ = (_one_of("mode", PRINT_MODES, "mode"),)

    visit_id: Mapped[str] = mapped_column(ForeignKey("visits.id"), nullable=False, index=True)
    form_id: Mapped[str] = mapped_column(String(64), nullable=False)
    mode: Mapped[str] = mapped_column(String(16), nullable=False, default="plain")
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    printer: Mapped[str | None] = mapped_column(String(256))

    visit: Mapped[Visit] = relationship(back_populates="forms")


class PrintedRecord(Base):
    """What a printed form said (dxdesk.handoff): kept while the town's hand-off is on, for ``visit export``.

    Local to the desk (never synced), the record encrypted as one value, deleted by the retention
    purge with the rest of the visit's personal data. Revision 0008.
    """

    __tablename__ = "printed_records"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=lambda: str(uuid.uuid4()))
    visit_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    form_id: Mapped[str] = mapped_column(String(64), nullable=False)
    printed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    record: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON("printed_records.record"), nullable=False)


class SupportSession(RecordMixin, Base):
    __tablename__ = "support_sessions"
    __table_args__ = (
        _one_of("venue_type", VENUE_TYPES, "venue_type"),
        _one_of("device", DEVICES, "device"),
        _one_of("age_band", AGE_BANDS, "age_band"),
        _one_of("outcome", OUTCOMES, "outcome"),
        CheckConstraint("attendees >= 1", name="attendees_positive"),
        CheckConstraint("helpers >= 0", name="helpers_not_negative"),
        CheckConstraint("duration_minutes >= 0", name="duration_not_negative"),
        # Migration 0007: a venue's latest session (its type) and one-venue reports without a scan.
        Index("ix_support_sessions_venue_started_at", "venue", "started_at"),
    )

    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    venue: Mapped[str] = mapped_column(String(128), nullable=False)  # venue code (venues.code) or free text
    venue_type: Mapped[str] = mapped_column(String(16), nullable=False)
    topics: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    device: Mapped[str] = mapped_column(String(16), nullable=False)
    age_band: Mapped[str] = mapped_column(String(8), nullable=False)
    attendees: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    helpers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    helper_role: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)
    follow_up_needed: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    follow_up_contact: Mapped[str | None] = mapped_column(EncryptedString("support_sessions.follow_up_contact"))
    follow_up_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    repeat_visitor: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    logged_by: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def close_follow_up(self, when: datetime | None = None) -> None:
        """Close the follow-up and delete the contact (kept only while it is needed)."""
        self.follow_up_closed_at = when or utcnow()
        self.follow_up_contact = None


class _EditableList:
    """Columns shared by the town-editable lists (support topics, venues)."""

    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    label_ja: Mapped[str] = mapped_column(String(128), nullable=False)
    label_en: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    sort: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class SupportTopic(_EditableList, RecordMixin, Base):
    __tablename__ = "support_topics"
    __natural_key__ = "code"  # id = catalogue_id("support_topics", code): one row per code on every desk


class Venue(_EditableList, RecordMixin, Base):
    __tablename__ = "venues"
    __natural_key__ = "code"


class SharedSetting(RecordMixin, Base):
    """Town-wide settings shared by all desks (server-authoritative); ``version`` counts edits."""

    __tablename__ = "shared_settings"
    __natural_key__ = "key"

    key: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class AuditEvent(RecordMixin, Base):
    """One audit-log entry. Append-only: the store refuses UPDATE/DELETE (ORM hook + SQL triggers).

    The hash chain (prev_hash/hash) is computed by dxdesk.security.audit, not here.
    """

    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("desk_id", "seq", name="uq_audit_events_desk_seq"),)

    # No index of its own (migration 0011): the unique (desk_id, seq) index serves desk_id look-ups.
    desk_id: Mapped[str] = mapped_column(String(36), nullable=False)

    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow, index=True)
    actor: Mapped[str | None] = mapped_column(String(36))  # clerk id
    event_type: Mapped[str] = mapped_column(String(64), nullable=False)
    jimu_type: Mapped[str] = mapped_column(String(128), nullable=False, default="")  # 事務種別
    reason: Mapped[str] = mapped_column(String(256), nullable=False, default="")  # 処理事由
    items: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # item names read, never values
    result: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    hash: Mapped[str] = mapped_column(String(128), nullable=False, default="")


class AuditCheckpoint(Base):
    """How far each desk's audit chain was last verified, so the routine check walks only newer events.

    Local only, never synced. ``mac`` is HMAC-SHA256 with that desk's audit key over the other
    columns (dxdesk.security.auditcheckpoint): a row edited in the file does not verify, and is
    reported as tampering; a row deleted only makes the next check a full one.
    """

    __tablename__ = "audit_checkpoints"

    desk_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    through_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    through_hash: Mapped[str] = mapped_column(String(128), nullable=False)
    events: Mapped[int] = mapped_column(Integer, nullable=False)  # rows of the desk up to through_seq
    keyed: Mapped[bool] = mapped_column(Boolean, nullable=False)  # a keyed event was seen up to there
    verified_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    mac: Mapped[str] = mapped_column(String(80), nullable=False)


class DeskKey(RecordMixin, Base):
    """A desk's data or audit key *wrapped* with the town recovery key (dxdesk.store.escrow).

    Append-only: a new row for every new key (a rotation, a new recovery key); old rows stay,
    so backups made before a rotation can still be opened with the recovery sheet. Pushed to
    the server like any record, so a lost desk's rows there can be read with the sheet too.
    Holds nothing readable without the recovery key's private half, which is never on a desk.
    """

    __tablename__ = "desk_keys"
    __table_args__ = (_one_of("kind", ("database", "audit"), "kind"),)

    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    key_ids: Mapped[str] = mapped_column(String(512), nullable=False)  # which keys (ids only, never key bytes)
    recovery_fingerprint: Mapped[str] = mapped_column(String(16), nullable=False)
    wrapped: Mapped[str] = mapped_column(Text, nullable=False)


class Outbox(Base):
    """Local change queue for the central server, written in the same transaction as the change.

    ``payload`` is normally NULL: the sync engine sends the row's state at send time,
    which is what an idempotent UUID upsert needs. Local only, never synced itself.
    """

    __tablename__ = "outbox"
    __table_args__ = (CheckConstraint("op IN ('upsert', 'delete')", name="op"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(64), nullable=False)
    record_id: Mapped[str] = mapped_column(String(36), nullable=False)
    op: Mapped[str] = mapped_column(String(8), nullable=False)
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Refused by the server: kept out of the queue (the rest goes on) until ``dxdesk sync --retry-set-aside``.
    set_aside_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    set_aside_reason: Mapped[str | None] = mapped_column(Text)  # constraint / error class, never record data


class SyncState(Base):
    """Per-table pull watermark and last sync outcome (local only)."""

    __tablename__ = "sync_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    pulled_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pulled_xid: Mapped[int | None] = mapped_column(BigInteger)  # server snapshot xmin of the last pull
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


class DeskState(Base):
    """Local-only facts about this desk's own store (never synced). Revision 0012.

    ``queue_for_server`` = ``on`` once the desk has had a server (``db set-server``, ``db join``, a
    sync): from then on every change is queued in the outbox. A desk that never had one queues
    nothing (dxdesk.store.session), so its outbox does not grow forever.
    """

    __tablename__ = "desk_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class TownTrust(Base):
    """Local-only facts about the town this desk trusts (the pinned public town key). Never synced:
    the server is exactly what the pin protects against."""

    __tablename__ = "town_trust"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


# Shared catalogue rows have deterministic ids derived from their natural key (topic code, venue
# name, setting key), so the same row seeded or typed on two desks is the same record on the server.
CATALOGUE_NAMESPACE = uuid.UUID("5d0c1c52-6b55-4d1e-9a3f-8f2d7c1e0a11")


def catalogue_id(table: str, natural_key: str) -> str:
    return str(uuid.uuid5(CATALOGUE_NAMESPACE, f"{table}:{natural_key}"))


def natural_id(obj: object) -> str | None:
    """The deterministic id of a catalogue row (None for ordinary records, which get a random UUID)."""
    attr = getattr(type(obj), "__natural_key__", None)
    value = getattr(obj, attr, None) if attr else None
    return catalogue_id(obj.__table__.name, value) if value else None  # type: ignore[attr-defined]


# Tables replicated to the server, in dependency order (parents first).
PUSHED_TABLES = (
    "clerks", "support_topics", "venues", "shared_settings",
    "visits", "visit_steps", "forms_printed", "support_sessions", "audit_events", "desk_keys",
)
