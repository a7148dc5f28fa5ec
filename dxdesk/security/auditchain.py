"""The audit log's hash chain: canonical form, hashing and verification.

Pure functions over plain records, so the same code verifies rows read from
SQLite, PostgreSQL or a CSV export. Each event stores ``prev_hash`` (the hash of
the event before it) and ``hash`` = SHA-256 over the canonical JSON of its own
fields plus ``prev_hash``. Editing a row breaks its hash; deleting one leaves a
seq gap and a prev_hash that no longer matches; reordering changes the seq that
each hash covers.

Canonical JSON: sorted keys, no insignificant whitespace, UTF-8, timestamps as
UTC ISO-8601 with microseconds and a ``Z``, and no floats (their text form is
not stable across platforms and databases).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

GENESIS_HASH = "0" * 64
CHECKPOINT_EVENT = "audit.checkpoint"


@dataclass(frozen=True)
class AuditRecord:
    """One stored audit event, as plain data."""

    id: str
    seq: int
    occurred_at: datetime
    actor: str | None  # clerk id; None when nobody could be identified (failed sign-in)
    desk_id: str
    event_type: str
    jimu_type: str
    reason: str
    items: tuple[str, ...]
    result: str
    details: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS_HASH
    hash: str = ""


def utc_iso(moment: datetime) -> str:
    """UTC ISO-8601 with microseconds; naive datetimes are taken as UTC (SQLite drops tzinfo)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_no_floats(value: Any, where: str) -> None:
    if isinstance(value, float):
        raise TypeError(f"audit {where} must not contain floats (not canonical); use int or str")
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"audit {where} keys must be strings")
            _check_no_floats(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for v in value:
            _check_no_floats(v, where)
    elif value is not None and not isinstance(value, (str, int, bool)):
        raise TypeError(f"audit {where} holds a {type(value).__name__}; only str, int, bool, None, lists, dicts")


def canonical_payload(record: AuditRecord) -> bytes:
    """The exact bytes that ``hash`` covers."""
    _check_no_floats(record.details, "details")
    payload = {
        "id": record.id,
        "seq": int(record.seq),
        "occurred_at": utc_iso(record.occurred_at),
        "actor": record.actor,
        "desk_id": record.desk_id,
        "event_type": record.event_type,
        "jimu_type": record.jimu_type,
        "reason": record.reason,
        "items": list(record.items),
        "result": record.result,
        "details": dict(record.details),
        "prev_hash": record.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def compute_hash(record: AuditRecord) -> str:
    return hashlib.sha256(canonical_payload(record)).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    first_bad_seq: int | None = None
    reason: str = ""
    first_bad_id: str | None = None
    checked: int = 0

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact ({self.checked} events)"
        where = f"seq {self.first_bad_seq}" + (f" (id {self.first_bad_id})" if self.first_bad_id else "")
        return f"audit chain broken at event {where}: {self.reason}"


def _checkpoint_anchor(records: list[AuditRecord], first: AuditRecord) -> bool:
    """True when a chained checkpoint event vouches for the removed prefix before ``first``."""
    for rec in records:
        if rec.event_type != CHECKPOINT_EVENT:
            continue
        through = rec.details.get("removed_through_seq")
        last_hash = rec.details.get("removed_last_hash")
        if through == first.seq - 1 and last_hash == first.prev_hash:
            return True
    return False


def verify_chain(events: Iterable[AuditRecord]) -> VerifyResult:
    """Check the chain in storage order (ascending seq as read). Stops at the first bad event."""
    records = list(events)
    if not records:
        return VerifyResult(ok=True, checked=0)
    first = records[0]
    if first.seq != 1 or first.prev_hash != GENESIS_HASH:
        # The oldest events may have been purged under the retention rule; then a
        # checkpoint (itself protected by the chain) must name the removed tail hash.
        if first.seq < 1 or not _checkpoint_anchor(records, first):
            return VerifyResult(
                False, first.seq, "the chain does not start at seq 1 and no checkpoint covers the removed events",
                first.id,
            )
    prev: AuditRecord | None = None
    for index, rec in enumerate(records):
        if prev is not None:
            if rec.seq <= prev.seq:
                return VerifyResult(False, rec.seq, f"out of order: seq {rec.seq} follows seq {prev.seq}", rec.id,
                                    index)
            if rec.seq != prev.seq + 1:
                return VerifyResult(
                    False, rec.seq, f"missing event(s): seq {prev.seq + 1}..{rec.seq - 1} were removed", rec.id, index
                )
            if rec.prev_hash != prev.hash:
                return VerifyResult(False, rec.seq, "prev_hash does not match the hash of the event before it",
                                    rec.id, index)
        try:
            expected = compute_hash(rec)
        except TypeError as exc:
            return VerifyResult(False, rec.seq, f"event cannot be canonicalised: {exc}", rec.id, index)
        if expected != rec.hash:
            return VerifyResult(False, rec.seq, "contents were changed after the event was written (hash mismatch)",
                                rec.id, index)
        prev = rec
    return VerifyResult(ok=True, checked=len(records))
