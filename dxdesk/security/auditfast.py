"""The full walk of a stored chain at speed: canonical bytes straight from the rows SQLite gives back.

:func:`dxdesk.security.auditchain.canonical_payload` is the *definition* of the bytes an event's
hash covers (``json.dumps`` of a dict, sorted keys, compact, UTF-8). Building an
:class:`AuditRecord`, a dict, a ``datetime`` and that ``json.dumps`` per event costs about 100 µs
on a loaded desk; at 1,000,000 events that is minutes. This module produces **the same bytes**
from the stored text with a fixed template:

* the keys of the canonical form are fixed, so their sorted order is written once
  (``_TEMPLATE``); every text value goes through ``json.encoder.encode_basestring``, the very
  escaping ``json.dumps(ensure_ascii=False)`` applies to a string;
* ``occurred_at``: SQLite keeps SQLAlchemy's ``YYYY-MM-DD HH:MM:SS.ffffff`` (naive UTC), which is
  the canonical ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` with two characters changed (why that needs no
  parse: :func:`canonical_maker`); any other shape goes the reference way;
* ``details`` and ``items`` repeat a lot across events (the same form, the same counts): their
  canonical JSON is computed once per distinct stored text (a bounded cache);
* HMAC-SHA256 from the key's inner and outer pads hashed once (``hashlib`` ``copy()``), which is
  what HMAC is (RFC 2104) without setting the key up again per event.

Only the ordinary case takes this path: the next seq, the right ``prev_hash``, a keyed hash that
matches, and not an event the walker must look into (a retention checkpoint, an ``audit.gap``,
the noted head). Everything else - the first event, a legacy hash, any mismatch, a value of an
unexpected type - is handed to :meth:`ChainWalker.feed` as a full record, so what is reported,
and with which words, is exactly what the reference walk reports. ``tests/security/
test_audit_fast.py`` checks the bytes against ``canonical_payload`` for arbitrary values.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import json
from datetime import datetime, timezone
from json.encoder import encode_basestring
from typing import Any, Callable, Iterable

from dxdesk.security.auditchain import (
    CHECKPOINT_EVENT,
    GAP_EVENT,
    KEYED_PREFIX,
    AuditRecord,
    ChainWalker,
    _check_no_floats,
)
from dxdesk.store.errors import DamagedRecordError

# The canonical keys in sorted order (actor < desk_id < details < event_type < id < items <
# jimu_type < occurred_at < prev_hash < reason < result < seq), each value already JSON text.
_TEMPLATE = ('{"actor":%s,"desk_id":%s,"details":%s,"event_type":%s,"id":%s,"items":%s,"jimu_type":%s,'
             '"occurred_at":"%sT%sZ","prev_hash":%s,"reason":%s,"result":%s,"seq":%d}')
_CACHE_LIMIT = 4096  # distinct texts remembered (least recently used dropped: memory stays bounded)
_KEYED_LEN = len(KEYED_PREFIX)

# The stored columns read per event, in the order every function here indexes them. ``desk_id`` is
# not read: the query selects one desk, so every row's desk_id is that value (one string fewer per row).
COLUMNS = ("id", "seq", "occurred_at", "actor", "event_type", "jimu_type", "reason", "items", "result", "details",
           "prev_hash", "hash")


def load_stored_json(text: Any) -> Any:
    """What the ORM's JSON columns give back (dxdesk.store.database._load_json)."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise DamagedRecordError() from None


def stored_time(text: Any) -> datetime:
    """What the ORM's UTCDateTime column gives back for the stored value (aware UTC)."""
    try:
        moment = datetime.fromisoformat(text)
        return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    except (ValueError, TypeError, AttributeError):
        raise DamagedRecordError() from None


def record_from_stored(row: tuple[Any, ...], desk_id: str) -> AuditRecord:
    """The AuditRecord the ORM path would have built from the same stored values."""
    items, details = load_stored_json(row[7]), load_stored_json(row[9])
    return AuditRecord(row[0], row[1], stored_time(row[2]), row[3], desk_id, row[4], row[5] or "", row[6] or "",
                       tuple(items or ()), row[8] or "", dict(details or {}), row[10], row[11])


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _canonical_details(stored: Any) -> str | None:
    try:
        details = dict(load_stored_json(stored) or {})
        _check_no_floats(details, "details")
        return _canonical_json(details)
    except (TypeError, ValueError):  # floats, not a mapping: canonical_payload refuses it, with its words
        return None


def _canonical_items(stored: Any) -> str | None:
    try:
        return _canonical_json(list(load_stored_json(stored) or ()))
    except (TypeError, ValueError):
        return None


def hmac_sha256_hex(key: bytes) -> Callable[[bytes], str]:
    """``hmac.new(key, msg, sha256).hexdigest`` with the key's pads hashed once (RFC 2104)."""
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def digest(message: bytes) -> str:
        i = inner.copy()
        i.update(message)
        o = outer.copy()
        o.update(i.digest())
        return o.hexdigest()

    return digest


def canonical_maker(desk_id: str) -> Callable[[tuple[Any, ...]], bytes | None]:
    """row -> the canonical payload of one of ``desk_id``'s stored rows, or None when only the reference
    way may judge it. One per walk: it remembers the canonical text of repeated values.

    ``occurred_at`` is taken as text: the template turns ``YYYY-MM-DD HH:MM:SS.ffffff`` into
    ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` without parsing it. That is safe because the result is only
    ever trusted when the keyed hash over it matches: the writer hashed ``utc_iso`` of a real
    date-time, so a match means the stored text is exactly that date-time in SQLite's form, which
    the reference way parses back to the same bytes. Text of another length or separator (an
    offset, no microseconds) is not guessed at; the reference way parses it.
    """
    desk = encode_basestring(desk_id)
    # Most events repeat a few details and item lists, and event types, results, actors, 事務種別 and
    # 処理事由: each distinct stored text is made canonical (escaped) once, within a bounded memory.
    details_of = functools.lru_cache(_CACHE_LIMIT)(_canonical_details)
    items_of = functools.lru_cache(_CACHE_LIMIT)(_canonical_items)
    text = functools.lru_cache(_CACHE_LIMIT)(encode_basestring)
    template, escape = _TEMPLATE, encode_basestring

    def make(row: tuple[Any, ...]) -> bytes | None:
        moment, seq = row[2], row[1]
        if type(moment) is not str or len(moment) != 26 or moment[10] != " " or type(seq) is not int:
            return None
        details, items = details_of(row[9]), items_of(row[7])
        if details is None or items is None:
            return None
        actor = row[3]
        try:
            return (template % (
                "null" if actor is None else text(actor), desk, details, text(row[4]), escape(row[0]), items,
                text(row[5] or ""), moment[:10], moment[11:], escape(row[10]), text(row[6] or ""),
                text(row[8] or ""), seq)).encode("utf-8")
        except (TypeError, UnicodeEncodeError):  # a value of another type, a lone surrogate: the reference judges
            return None

    return make


def walk_stored(walker: ChainWalker, rows: Iterable[tuple[Any, ...]], desk_id: str) -> None:
    """Feed ``rows`` (one desk's stored values in :data:`COLUMNS` order, ascending seq) to ``walker``.

    The ordinary event is checked here and moves the walker on exactly as ``feed`` would
    (``last``, ``keyed``, ``checked``); any other goes through ``feed`` as a full record.
    """
    key, head = walker.key, walker.head
    # A walker that already failed takes nothing more (feed says so); the fast path must not either.
    mac = hmac_sha256_hex(key) if key and not walker.failed else None
    head_seq = head.seq if head is not None else None
    canonical = canonical_maker(desk_id)
    compare = hmac.compare_digest
    special = (CHECKPOINT_EVENT, GAP_EVENT)
    for row in rows:
        last = walker.last
        seq, stored_hash = row[1], row[11]
        if (mac is not None and last is not None and type(stored_hash) is str and stored_hash.isascii()
                and stored_hash.startswith(KEYED_PREFIX) and seq == last[0] + 1 and row[10] == last[1]
                and seq != head_seq and row[4] not in special):
            payload = canonical(row)
            if payload is not None and compare(mac(payload), stored_hash[_KEYED_LEN:]):
                walker.keyed = True
                walker.last = (seq, stored_hash)
                walker.checked += 1
                continue
        if not walker.feed(record_from_stored(row, desk_id)):
            return
