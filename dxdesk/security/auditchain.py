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
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

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
    resumed_after: int | None = None  # the walk started after this verified checkpoint (None: from seq 1)

    def describe(self) -> str:
        if self.ok:
            if self.resumed_after is not None:
                return (f"audit chain intact ({self.checked} events; checked the events after the verified "
                        f"checkpoint at seq {self.resumed_after}, 'audit verify --full' re-checks all)")
            return f"audit chain intact ({self.checked} events)"
        if self.first_bad_seq is None:
            return f"audit chain cannot be checked: {self.reason}"
        where = f"seq {self.first_bad_seq}" + (f" (id {self.first_bad_id})" if self.first_bad_id else "")
        return f"audit chain broken at event {where}: {self.reason}"


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


MSG_NO_ANCHOR = "the chain does not start at seq 1 and no checkpoint covers the removed events"


@dataclass(frozen=True)
class VerifiedPoint:
    """Where an earlier, successful verification ended: a walk can go on from the event after it."""

    seq: int
    hash: str
    keyed: bool  # keyed events were seen up to there (an unkeyed one after it is a rewrite)
    checked: int  # events verified up to there


def _gap_failure(rec: AuditRecord, index: int) -> VerifyResult:
    d = rec.details
    what = ("had been rewritten" if d.get("cause") == "rewritten"
            else f"after seq {d.get('last_seq', '?')} were missing")
    return VerifyResult(
        False, rec.seq, f"when this event was written the events {what}: this desk had last written seq "
        f"{d.get('noted_seq', '?')} (the newest events were deleted, the WAL was lost, or an older "
        "database file was copied over the live one; a restore through 'dxdesk db restore' is recorded "
        "as db.restore instead)", rec.id, index,
    )


class ChainWalker:
    """Checks one desk's chain event by event, in ascending seq, holding only the last event.

    ``feed`` every event (it returns False once something is wrong: stop feeding), then
    ``finish``. What is reported, in this order: the first bad link or hash (or a chain
    that starts after seq 1 with no retention checkpoint naming the removed events), then
    the first ``audit.gap`` event, then a disagreement with the head noted outside the
    database. ``start`` continues after a verified point instead of from seq 1.
    """

    def __init__(self, key: bytes | None, head: ChainHead | None = None, cutover: int | None = None,
                 start: VerifiedPoint | None = None) -> None:
        self.key, self.head, self.cutover, self.start = key, head, cutover, start
        self.last: tuple[int, str] | None = (start.seq, start.hash) if start else None
        self.keyed = start.keyed if start else False
        self.checked = start.checked if start else 0
        self._failure: VerifyResult | None = None
        self._anchor: tuple[int, str, AuditRecord] | None = None  # (seq, hash) a retention checkpoint must name
        self._gap: VerifyResult | None = None
        self._head_result: VerifyResult | None = None
        self._head_seen = False

    def feed(self, rec: AuditRecord) -> bool:
        if self._failure is not None:
            return False
        index = self.checked
        if self.last is None:
            if rec.seq != 1 or rec.prev_hash != GENESIS_HASH:
                # The oldest events may have been purged under the retention rule; then a
                # checkpoint (itself protected by the chain) must name the removed tail hash.
                self._anchor = (rec.seq - 1, rec.prev_hash, rec)
                if rec.seq < 1:
                    self._failure = VerifyResult(False, rec.seq, MSG_NO_ANCHOR, rec.id)
                    return False
        else:
            prev_seq, prev_hash = self.last
            if rec.seq <= prev_seq:
                self._failure = VerifyResult(False, rec.seq, f"out of order: seq {rec.seq} follows seq {prev_seq}",
                                             rec.id, index)
            elif rec.seq != prev_seq + 1:
                self._failure = VerifyResult(
                    False, rec.seq, f"missing event(s): seq {prev_seq + 1}..{rec.seq - 1} were removed", rec.id, index)
            elif rec.prev_hash != prev_hash:
                self._failure = VerifyResult(False, rec.seq, "prev_hash does not match the hash of the event before it",
                                             rec.id, index)
        if self._failure is None:
            self._failure = _check_hash(rec, self.key, self.keyed, index, self.cutover)
        if self._failure is not None:
            return False
        if self._anchor is not None and rec.event_type == CHECKPOINT_EVENT:
            if (rec.details.get("removed_through_seq") == self._anchor[0]
                    and rec.details.get("removed_last_hash") == self._anchor[1]):
                self._anchor = None
        if self._gap is None and rec.event_type == GAP_EVENT:
            self._gap = _gap_failure(rec, index)
        if self.head is not None and rec.seq == self.head.seq:
            self._head_seen = True
            if rec.hash != self.head.hash:
                self._head_result = VerifyResult(False, rec.seq, _MSG_HEAD_REWRITTEN, rec.id)
        self.keyed = self.keyed or is_keyed(rec.hash)
        self.last = (rec.seq, rec.hash)
        self.checked += 1
        return True

    @property
    def failed(self) -> bool:
        """Something wrong was found: feeding more events changes nothing."""
        return self._failure is not None

    def finish(self, stored_hash: Callable[[int], str | None] | None = None) -> VerifyResult:
        """The verdict. ``stored_hash(seq)`` looks up an event before ``start`` (for the head note)."""
        if self._anchor is not None:
            first = self._anchor[2]
            return VerifyResult(False, first.seq, MSG_NO_ANCHOR, first.id)
        if self._failure is not None:
            return self._failure
        if self._gap is not None:
            return self._gap
        if self.head is not None:
            failure = self._check_head(self.head, stored_hash)
            if failure is not None:
                return failure
        return VerifyResult(ok=True, checked=self.checked, resumed_after=self.start.seq if self.start else None)

    def point(self) -> VerifiedPoint | None:
        """Where this walk ended, if it found nothing wrong so far."""
        if self.last is None or self._failure is not None or self._anchor is not None:
            return None
        return VerifiedPoint(self.last[0], self.last[1], self.keyed, self.checked)

    def _check_head(self, head: ChainHead, stored_hash: Callable[[int], str | None] | None) -> VerifyResult | None:
        """Compare the chain with the head noted outside the database (catches deleted newest events)."""
        if self.last is None or head.seq > self.last[0]:
            after = self.last[0] if self.last else 0
            return VerifyResult(
                False, after + 1, f"events after seq {after} are missing: this desk last wrote seq {head.seq} "
                "(expected after restoring an older backup; otherwise the newest events were deleted)",
                None, self.checked,
            )
        if self._head_result is not None:
            return replace(self._head_result, checked=self.checked)
        if not self._head_seen and stored_hash is not None:
            stored = stored_hash(head.seq)
            if stored is not None and stored != head.hash:
                return VerifyResult(False, head.seq, _MSG_HEAD_REWRITTEN, None, self.checked)
        return None


_MSG_HEAD_REWRITTEN = ("the event does not match the last hash recorded outside the database (the chain was "
                       "rewritten)")


def verify_chain(events: Iterable[AuditRecord], key: bytes | None = None,
                 head: ChainHead | None = None, cutover: int | None = None) -> VerifyResult:
    """Check one desk's chain in storage order (ascending seq as read); see :class:`ChainWalker`.

    ``key`` is that desk's audit key (None: only legacy unkeyed events can be checked,
    keyed ones fail with ``key_missing``). ``head`` is the newest event the desk noted
    outside the database, if known; ``cutover`` the first seq it wrote keyed, if noted.
    """
    walker = ChainWalker(key, head, cutover)
    for rec in events:
        if not walker.feed(rec):
            break
    return walker.finish()
