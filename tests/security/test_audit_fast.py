"""The fast full walk (dxdesk.security.auditfast) hashes exactly the bytes canonical_payload defines.

canonical_payload stays the definition; these tests hold the template, the stored-text
shortcuts and the precomputed HMAC pads to it, for arbitrary values and for events stored
through the product's own append path.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dxdesk.security import auditfast
from dxdesk.security.audit import AuditEntry, EventType, Item
from dxdesk.security.auditchain import AuditRecord, ChainWalker, canonical_payload
from dxdesk.security.auditview import AuditService
from dxdesk.security.permissions import Role

from .conftest import drop_audit_triggers, raw_connection

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)  # any Unicode but lone surrogates
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), _text)
_json = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(_text, inner, max_size=3)), max_leaves=8)
_moment = st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31))


def _stored(record: AuditRecord) -> tuple[object, ...]:
    """The values as SQLite keeps them: SQLAlchemy's naive-UTC text and its default JSON text."""
    moment = record.occurred_at.astimezone(timezone.utc).replace(tzinfo=None)
    return (record.id, record.seq, moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond:06d}",
            record.actor, record.event_type, record.jimu_type, record.reason, json.dumps(list(record.items)),
            record.result, json.dumps(dict(record.details)), record.prev_hash, record.hash)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(id_=_text, seq=st.integers(1, 2**40), moment=_moment, actor=st.one_of(st.none(), _text), desk=_text,
       event_type=_text, jimu=_text, reason=_text, items=st.lists(_text, max_size=4),
       result=_text, details=st.dictionaries(_text, _json, max_size=4), prev=_text)
def test_the_template_gives_the_canonical_bytes_for_any_values(id_, seq, moment, actor, desk, event_type, jimu,
                                                                reason, items, result, details, prev):
    record = AuditRecord(id_, seq, moment.replace(tzinfo=timezone.utc), actor, desk, event_type, jimu, reason,
                         tuple(items), result, details, prev, "h1:x")
    row = _stored(record)
    assert auditfast.record_from_stored(row, desk) == record
    assert auditfast.canonical_maker(desk)(row) == canonical_payload(record)


def test_values_the_template_does_not_take_are_left_to_the_reference_way():
    record = AuditRecord("a", 1, datetime(2026, 4, 1, tzinfo=timezone.utc), None, "d", "card.read", "", "", (),
                         "success", {"n": 1}, "0" * 64, "h1:x")
    row = list(_stored(record))
    assert auditfast.canonical_maker("d")(tuple(row)) == canonical_payload(record)
    for where, value in ((2, "2026-04-01T00:00:00+00:00"), (2, "2026-04-01 00:00:00"), (9, '{"n": 1.5}'),
                         (9, "[1, 2]"), (1, "1"), (4, None), (0, "\udc80")):
        odd = list(row)
        odd[where] = value
        assert auditfast.canonical_maker("d")(tuple(odd)) is None, (where, value)


@given(key=st.binary(min_size=1, max_size=200), message=st.binary(max_size=300))
def test_hmac_from_precomputed_pads_is_hmac_sha256(key, message):
    assert auditfast.hmac_sha256_hex(key)(message) == hmac.new(key, message, hashlib.sha256).hexdigest()


def _odd_entries(clerk: str) -> list[AuditEntry]:
    """Contents that exercise the escaping: quotes, backslashes, control characters, non-BMP, nesting."""
    return [
        AuditEntry(EventType.CARD_READ, clerk, jimu_type='転入 "至急"', reason="確定申告\\控え\t𠮷",
                   items=(Item.BASIC4, Item.MY_NUMBER)),
        AuditEntry(EventType.PRINT, clerk, details={"form": "juminhyo", "pages": 2, "opts": {"z": [True, None]}}),
        AuditEntry(EventType.SETTINGS_CHANGE, None, details={"key": "印刷\u2028余白", "値": ""}),
        AuditEntry(EventType.SUPPORT_CHANGE, clerk, details={"what": "support.add", "rows": 1}),
    ]


def _verify_full(db, audit, sessions):
    results = AuditService(db, audit).verify(sessions[Role.SUPERVISOR], full=True)
    return next(iter(results.values()))


def test_events_stored_by_the_append_path_pass_the_fast_walk_without_the_reference_way(
        db, audit, clock, sessions, monkeypatch):
    clerk = sessions[Role.CLERK].clerk_id
    for round_ in range(5):
        for entry in _odd_entries(clerk):
            clock.advance(1 + round_ * 7e-6)
            audit.append(entry)
    fed: list[int] = []
    feed = ChainWalker.feed
    monkeypatch.setattr(ChainWalker, "feed", lambda self, rec: fed.append(rec.seq) or feed(self, rec))
    result = _verify_full(db, audit, sessions)
    assert result.ok and result.checked >= 20
    # Only the first event (nothing to link it to) and the noted head take the reference way.
    assert len(fed) <= 2 and fed[0] == 1


def test_an_edited_event_is_named_in_the_reference_words(db, audit, clock, sessions):
    clerk = sessions[Role.CLERK].clerk_id
    for entry in _odd_entries(clerk) * 3:
        audit.append(entry)
    conn = raw_connection(db)
    drop_audit_triggers(conn)
    conn.execute("UPDATE audit_events SET details = '{\"form\": \"juminhyo\", \"pages\": 3}' WHERE seq = 9")
    conn.close()
    result = _verify_full(db, audit, sessions)
    assert not result.ok and result.first_bad_seq == 9 and "hash mismatch" in result.reason
