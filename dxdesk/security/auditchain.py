"""The audit log's hash chain: canonical form, hashing and verification.

Pure functions over plain records, so the same code verifies rows read from
SQLite, PostgreSQL or a CSV export. Each event stores ``prev_hash`` (the hash of
the event before it) and ``hash`` over the canonical JSON of its own fields plus
``prev_hash``. Editing a row breaks its hash; deleting one leaves a seq gap and a
prev_hash that no longer matches; reordering changes the seq that each hash covers.

Hash versions, told apart by the stored text:

* ``h1:<hex>`` - HMAC-SHA256 with the desk's audit key (:mod:`auditkey`). All new
  events. Without the key nobody can recompute a rewritten chain.
* ``<64 hex>`` - legacy plain SHA-256, written before the chain was keyed. Still
  verified, but only *before* the first keyed event and before the recorded
  cut-over point (the first keyed seq, noted outside the database): an unkeyed event
  after either is what a rewrite without the key looks like, and is reported as such.

Canonical JSON: sorted keys, no insignificant whitespace, UTF-8, timestamps as
UTC ISO-8601 with microseconds and a ``Z``, and no floats (their text form is
not stable across platforms and databases).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

GENESIS_HASH = "0" * 64
KEYED_PREFIX = "h1:"
CHECKPOINT_EVENT = "audit.checkpoint"
# Written by the desk itself when it finds its database behind (or different from) the head it
# noted outside the database: the keyed, lasting record of a truncation or an older file copied in.
GAP_EVENT = "audit.gap"


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


def compute_hash(record: AuditRecord, key: bytes) -> str:
    """The keyed hash every new event gets: ``h1:`` + HMAC-SHA256(key, canonical payload)."""
    if not key:
        raise ValueError("the audit key must not be empty")
    return KEYED_PREFIX + hmac.new(key, canonical_payload(record), hashlib.sha256).hexdigest()


def legacy_hash(record: AuditRecord) -> str:
    """Plain SHA-256 of events written before the chain was keyed (verification only)."""
    return hashlib.sha256(canonical_payload(record)).hexdigest()


def is_keyed(stored_hash: str) -> bool:
    return stored_hash.startswith(KEYED_PREFIX)


def _is_legacy(stored_hash: str) -> bool:
    return len(stored_hash) == 64 and all(c in "0123456789abcdef" for c in stored_hash)


@dataclass(frozen=True)
class ChainHead:
    """The newest event a desk wrote, as noted outside the database (see :mod:`auditkey`)."""

    seq: int
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    first_bad_seq: int | None = None
    reason: str = ""
    first_bad_id: str | None = None
    checked: int = 0
    key_missing: bool = False  # keyed events found but no audit key to check them with

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact ({self.checked} events)"
        if self.first_bad_seq is None:
            return f"audit chain cannot be checked: {self.reason}"
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


def _check_hash(rec: AuditRecord, key: bytes | None, keyed_seen: bool, index: int,
                cutover: int | None = None) -> VerifyResult | None:
    """None when ``rec.hash`` is right; else the failure to report."""
    try:
        if is_keyed(rec.hash):
            if key is None:
                return VerifyResult(
                    False, rec.seq, "the audit key for this desk is not available (OS keyring or owner-only key "
                    "file), so keyed events cannot be checked; restore the key or verify on the desk that wrote them",
                    rec.id, index, key_missing=True,
                )
            if hmac.compare_digest(compute_hash(rec, key), rec.hash):
                return None
            return VerifyResult(False, rec.seq, "contents were changed after the event was written (hash mismatch)",
                                rec.id, index)
        if not _is_legacy(rec.hash):
            return VerifyResult(False, rec.seq, "the stored hash has an unknown format", rec.id, index)
        if keyed_seen:
            return VerifyResult(False, rec.seq, "an unkeyed hash follows keyed events: the event was rewritten "
                                "without the audit key", rec.id, index)
        if cutover is not None and rec.seq >= cutover:
            return VerifyResult(False, rec.seq, f"an unkeyed hash at or after the cut-over point (seq {cutover}, "
                                "from where this desk writes keyed events): the event was rewritten without the "
                                "audit key", rec.id, index)
        if legacy_hash(rec) != rec.hash:
            return VerifyResult(False, rec.seq, "contents were changed after the event was written (hash mismatch)",
                                rec.id, index)
        return None
    except TypeError as exc:
        return VerifyResult(False, rec.seq, f"event cannot be canonicalised: {exc}", rec.id, index)


def _check_head(records: list[AuditRecord], head: ChainHead) -> VerifyResult | None:
    """Compare the chain with the head noted outside the database (catches deleted newest events)."""
    last = records[-1] if records else None
    if last is None or head.seq > last.seq:
        after = last.seq if last else 0
        return VerifyResult(
            False, after + 1, f"events after seq {after} are missing: this desk last wrote seq {head.seq} "
            "(expected after restoring an older backup; otherwise the newest events were deleted)",
            None, len(records),
        )
    for rec in records:
        if rec.seq == head.seq:
            if rec.hash != head.hash:
                return VerifyResult(False, rec.seq, "the event does not match the last hash recorded outside the "
                                    "database (the chain was rewritten)", rec.id, len(records))
            break
    return None


def _check_gaps(records: list[AuditRecord]) -> VerifyResult | None:
    """The first ``audit.gap`` event: the desk itself found events missing or rewritten when it wrote it."""
    for index, rec in enumerate(records):
        if rec.event_type == GAP_EVENT:
            d = rec.details
            what = ("had been rewritten" if d.get("cause") == "rewritten"
                    else f"after seq {d.get('last_seq', '?')} were missing")
            return VerifyResult(
                False, rec.seq, f"when this event was written the events {what}: this desk had last written seq "
                f"{d.get('noted_seq', '?')} (the newest events were deleted, the WAL was lost, or an older "
                "database file was copied over the live one; a restore through 'dxdesk db restore' is recorded "
                "as db.restore instead)", rec.id, index,
            )
    return None


def verify_chain(events: Iterable[AuditRecord], key: bytes | None = None,
                 head: ChainHead | None = None, cutover: int | None = None) -> VerifyResult:
    """Check one desk's chain in storage order (ascending seq as read).

    Stops at the first bad link or hash; then reports a recorded gap (``audit.gap``)
    and last compares the newest event with the head noted outside the database.
    ``key`` is that desk's audit key (None: only legacy unkeyed events can be checked,
    keyed ones fail with ``key_missing``). ``head`` is the newest event the desk noted
    outside the database, if known; ``cutover`` the first seq it wrote keyed, if noted.
    """
    records = list(events)
    if not records:
        if head is not None:
            return _check_head(records, head) or VerifyResult(ok=True, checked=0)
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
    keyed_seen = False
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
        failure = _check_hash(rec, key, keyed_seen, index, cutover)
        if failure is not None:
            return failure
        keyed_seen = keyed_seen or is_keyed(rec.hash)
        prev = rec
    failure = _check_gaps(records)
    if failure is not None:
        return failure
    if head is not None:
        failure = _check_head(records, head)
        if failure is not None:
            return failure
    return VerifyResult(ok=True, checked=len(records))
