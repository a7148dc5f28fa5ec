"""Verified checkpoints of the audit chain, and reading a chain from the store (bounded memory, no ORM objects).

After a successful ``audit verify`` the last verified event of each desk (seq, hash, how
many events up to it, whether keyed events were seen) is stored in ``audit_checkpoints``
with an HMAC over those values under that desk's audit key. The routine check then
starts after it instead of at seq 1, so its cost follows the events written since the
last check, not the size of the log:

* the checkpoint's MAC must verify: a row edited in the file (someone moving it past an
  event they changed) is reported as tampering, never trusted;
* the event at the checkpoint must still carry the checkpointed hash, and the number of
  events up to it must be unchanged; otherwise (events deleted or purged before it) the
  whole chain is walked again, which names what changed;
* ``audit verify --full`` ignores the checkpoint and walks everything, which is what
  catches an event before the checkpoint whose contents were changed but whose stored
  hash was left alone.

Deleting the row only makes the next check a full one. Replaying an older genuine row
only makes the check walk more.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any, Iterator, cast

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection

from dxdesk.security import auditfast
from dxdesk.security.auditchain import AuditRecord, ChainWalker, VerifiedPoint, utc_iso
from dxdesk.store.models import AuditCheckpoint, AuditEvent

_MAC_PREFIX = "c1:"
_DOMAIN = b"dxdesk audit checkpoint v1\x00"  # a checkpoint MAC can never be mistaken for an event hash
BATCH = 5000  # events per query while walking: memory stays bounded whatever the size of the log

_events = cast(Table, AuditEvent.__table__)
_checkpoints = cast(Table, AuditCheckpoint.__table__)


def checkpoint_mac(key: bytes, desk_id: str, point: VerifiedPoint, verified_at: datetime) -> str:
    payload = json.dumps({
        "desk_id": desk_id, "seq": point.seq, "hash": point.hash, "events": point.checked, "keyed": point.keyed,
        "verified_at": utc_iso(verified_at),
    }, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return _MAC_PREFIX + hmac.new(key, _DOMAIN + payload, hashlib.sha256).hexdigest()


class TamperedCheckpointError(Exception):
    """The stored checkpoint does not carry a valid MAC under this desk's audit key."""

    def __init__(self, seq: int) -> None:
        super().__init__(f"audit checkpoint at seq {seq} has a bad MAC")
        self.seq = seq


def load_checkpoint(conn: Connection, desk_id: str, key: bytes) -> VerifiedPoint | None:
    """The desk's verified point, or None (never checked). Raises TamperedCheckpointError."""
    row = conn.execute(select(_checkpoints).where(_checkpoints.c.desk_id == desk_id)).first()
    if row is None:
        return None
    point = VerifiedPoint(int(row.through_seq), str(row.through_hash), bool(row.keyed), int(row.events))
    if not hmac.compare_digest(checkpoint_mac(key, desk_id, point, row.verified_at), str(row.mac)):
        raise TamperedCheckpointError(point.seq)
    return point


def still_holds(conn: Connection, desk_id: str, point: VerifiedPoint) -> bool:
    """The events up to the checkpoint are still the ones verified: same count, same hash at its seq."""
    stored = hash_at(conn, desk_id, point.seq)
    if stored != point.hash:
        return False
    count = conn.execute(select(func.count()).select_from(_events).where(
        _events.c.desk_id == desk_id, _events.c.seq <= point.seq)).scalar_one()
    return int(count) == point.checked


def hash_at(conn: Connection, desk_id: str, seq: int) -> str | None:
    value = conn.execute(select(_events.c.hash).where(_events.c.desk_id == desk_id, _events.c.seq == seq)).scalar()
    return None if value is None else str(value)


def save_checkpoint(conn: Connection, desk_id: str, point: VerifiedPoint, key: bytes, now: datetime) -> None:
    """Replace the desk's checkpoint (inside the caller's writer transaction)."""
    values: dict[str, Any] = {
        "through_seq": point.seq, "through_hash": point.hash, "events": point.checked, "keyed": point.keyed,
        "verified_at": now, "mac": checkpoint_mac(key, desk_id, point, now),
    }
    updated = conn.execute(_checkpoints.update().where(_checkpoints.c.desk_id == desk_id).values(**values))
    if not updated.rowcount:
        conn.execute(_checkpoints.insert().values(desk_id=desk_id, **values))


def desks(conn: Connection) -> list[str]:
    """Every desk with events, one index look-up each (no scan of the table)."""
    found: list[str] = []
    while True:
        query = select(func.min(_events.c.desk_id))
        if found:
            query = query.where(_events.c.desk_id > found[-1])
        desk = conn.execute(query).scalar()
        if desk is None:
            return found
        found.append(str(desk))


_COLUMNS = (_events.c.id, _events.c.seq, _events.c.occurred_at, _events.c.actor, _events.c.desk_id,
            _events.c.event_type, _events.c.jimu_type, _events.c.reason, _events.c["items"], _events.c.result,
            _events.c.details, _events.c.prev_hash, _events.c.hash)


def _record(r: Any) -> AuditRecord:
    return AuditRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6] or "", r[7] or "", tuple(r[8] or ()), r[9] or "",
                       dict(r[10] or {}), r[11], r[12])


def newest_record(conn: Connection, desk_id: str) -> AuditRecord | None:
    """The desk's newest event (one index look-up; no ORM object)."""
    row = conn.execute(select(*_COLUMNS).where(_events.c.desk_id == desk_id)
                       .order_by(_events.c.seq.desc()).limit(1)).first()
    return None if row is None else _record(row)


def stream_records(conn: Connection, desk_id: str, after_seq: int = 0) -> Iterator[AuditRecord]:
    """The desk's events with seq > ``after_seq`` in seq order, :data:`BATCH` rows per query."""
    while True:
        rows = conn.execute(select(*_COLUMNS).where(_events.c.desk_id == desk_id, _events.c.seq > after_seq)
                            .order_by(_events.c.seq).limit(BATCH)).all()
        for r in rows:
            yield _record(r)
        if len(rows) < BATCH:
            return
        after_seq = rows[-1][1]


def walk(conn: Connection, walker: ChainWalker, desk_id: str, after_seq: int = 0) -> None:
    """Feed the desk's events with seq > ``after_seq`` to ``walker``, in seq order, until it stops.

    On SQLite the stored values go straight from the driver's cursor to the fast walk
    (:mod:`auditfast`: no row objects, no type conversion; one streamed query over the
    ``(desk_id, seq)`` index); other databases give typed rows, walked as records.
    """
    if conn.dialect.name != "sqlite":
        for record in stream_records(conn, desk_id, after_seq):
            if not walker.feed(record):
                return
        return
    columns = ", ".join(f'"{name}"' for name in auditfast.COLUMNS)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"SELECT {columns} FROM audit_events WHERE desk_id = ? AND seq > ? ORDER BY seq",
                       (desk_id, after_seq))
        auditfast.walk_stored(walker, cursor, desk_id)
    finally:
        cursor.close()
