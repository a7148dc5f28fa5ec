"""The keyed chain against someone who can write the SQLite file but not read the desk's secrets."""
from __future__ import annotations

import hashlib
import json
import logging

from dxdesk.security.audit import AuditEntry, EventType, Item
from dxdesk.security.auditchain import GENESIS_HASH, legacy_hash
from dxdesk.security.auditkey import audit_key_user, load_audit_key, load_chain_head
from dxdesk.security.auditview import AuditService
from dxdesk.security.permissions import Role
from dxdesk.store.keys import get_secret, set_secret

from .conftest import desk_id, drop_audit_triggers, raw_connection
from .test_audit_chain import _fill, _verify

_COLUMNS = "id, seq, occurred_at, actor, desk_id, event_type, jimu_type, reason, items, result, details, prev_hash"


def _plain_sha256(row: tuple) -> str:
    """Recompute a row's hash the way the unkeyed chain did, from the raw SQLite values."""
    from datetime import datetime

    from dxdesk.security.auditchain import AuditRecord

    (id_, seq, occurred_at, actor, desk, event_type, jimu, reason, items, result, details, prev) = row
    rec = AuditRecord(id_, seq, datetime.fromisoformat(occurred_at), actor, desk, event_type, jimu or "",
                      reason or "", tuple(json.loads(items or "[]")), result or "", json.loads(details or "{}"),
                      prev)
    return legacy_hash(rec)


def _rewrite_plain_from(conn, seq: int) -> None:
    """Re-link every event from ``seq`` on with plain SHA-256, as an attacker without the key would."""
    prev = conn.execute("SELECT hash FROM audit_events WHERE seq = ?", (seq - 1,)).fetchone()
    prev_hash = prev[0] if prev else GENESIS_HASH
    for row in conn.execute(f"SELECT {_COLUMNS} FROM audit_events WHERE seq >= ? ORDER BY seq", (seq,)).fetchall():
        row = row[:-1] + (prev_hash,)
        new_hash = _plain_sha256(row)
        conn.execute("UPDATE audit_events SET prev_hash = ?, hash = ? WHERE id = ?", (prev_hash, new_hash, row[0]))
        prev_hash = new_hash


def test_new_events_are_keyed_and_the_head_is_noted(db, audit, sessions):
    _fill(audit, sessions)
    conn = raw_connection(db)
    hashes = [h for (h,) in conn.execute("SELECT hash FROM audit_events ORDER BY seq")]
    last = conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    conn.close()
    assert hashes and all(h.startswith("h1:") for h in hashes)
    head = load_chain_head(desk_id())
    assert head is not None and (head.seq, head.hash) == tuple(last)


def test_edit_with_recomputed_plain_chain_is_detected(db, audit, sessions):
    _fill(audit, sessions)
    conn = raw_connection(db)
    drop_audit_triggers(conn)
    seq = conn.execute("SELECT seq FROM audit_events WHERE event_type='card.read' ORDER BY seq LIMIT 1").fetchone()[0]
    conn.execute("UPDATE audit_events SET reason = '改ざん' WHERE seq = ?", (seq,))
    _rewrite_plain_from(conn, seq)
    conn.close()
    result = _verify(db, audit, sessions)
    assert not result.ok and result.first_bad_seq == seq
    assert "without the audit key" in result.reason


def test_deleting_the_newest_events_is_reported(db, audit, sessions):
    _fill(audit, sessions)
    conn = raw_connection(db)
    drop_audit_triggers(conn)
    (top,) = conn.execute("SELECT MAX(seq) FROM audit_events").fetchone()
    conn.execute("DELETE FROM audit_events WHERE seq > ?", (top - 2,))
    conn.close()
    result = _verify(db, audit, sessions)
    assert (result.ok, result.first_bad_seq) == (False, top - 1)
    assert f"events after seq {top - 2} are missing" in result.describe()


def test_an_append_after_truncation_logs_the_gap(db, audit, sessions, caplog):
    _fill(audit, sessions)
    conn = raw_connection(db)
    drop_audit_triggers(conn)
    (top,) = conn.execute("SELECT MAX(seq) FROM audit_events").fetchone()
    conn.execute("DELETE FROM audit_events WHERE seq = ?", (top,))
    conn.close()
    with caplog.at_level(logging.ERROR, logger="dxdesk.security.audit"):
        audit.append(AuditEntry(EventType.SIGN_OUT, sessions[Role.CLERK].clerk_id))
    assert any(f"after seq {top - 1} are missing" in r.getMessage() for r in caplog.records)


def test_deleting_every_event_is_reported(db, audit, sessions):
    _fill(audit, sessions)
    conn = raw_connection(db)
    drop_audit_triggers(conn)
    conn.execute("DELETE FROM audit_events")
    conn.close()
    results = AuditService(db, audit).verify(sessions[Role.SUPERVISOR])
    assert not results[desk_id()].ok and "after seq 0 are missing" in results[desk_id()].describe()


def test_legacy_database_still_verifies_and_continues_keyed(db, audit, sessions, caplog):
    """A database written before keying: all plain SHA-256, no key, head or cut-over point stored yet."""
    _fill(audit, sessions)
    conn = raw_connection(db)
    drop_audit_triggers(conn)
    _rewrite_plain_from(conn, 1)  # exactly what the old code wrote
    conn.close()
    from dxdesk.store.keys import _secret_file  # the test backend is the owner-only file
    from dxdesk.paths import app_paths
    from dxdesk.security.auditheadnote import flush

    flush()  # as at the end of the process that wrote them: a waiting head note is written, then forgotten
    for user in (audit_key_user(desk_id()), f"audit-head:{desk_id()}", f"audit-cutover:{desk_id()}"):
        _secret_file(user, app_paths()).unlink()
    audit._key = None  # as if freshly started with the old data
    assert _verify(db, audit, sessions).ok

    with caplog.at_level(logging.ERROR):
        record = audit.append(AuditEntry(EventType.CARD_READ, sessions[Role.CLERK].clerk_id, jimu_type="税",
                                         reason="確定申告", items=(Item.BASIC4,)))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.hash.startswith("h1:") and not errors  # no head yet is not a truncation
    result = _verify(db, audit, sessions)
    assert result.ok and result.checked == record.seq


def test_keyed_events_with_the_key_gone_fail_clearly(db, audit, sessions):
    _fill(audit, sessions)
    from dxdesk.paths import app_paths
    from dxdesk.store.keys import _secret_file

    _secret_file(audit_key_user(desk_id()), app_paths()).unlink()
    result = _verify(db, audit, sessions)
    assert not result.ok and result.key_missing and "audit key" in result.describe()


def test_corrupt_key_is_reported_not_raised(db, audit, sessions):
    _fill(audit, sessions)
    set_secret(audit_key_user(desk_id()), "not hex")
    result = _verify(db, audit, sessions)
    assert not result.ok and "corrupt" in result.describe() and "not hex" not in result.describe()


def test_the_key_never_reaches_the_database_file(db, audit, sessions):
    _fill(audit, sessions)
    key = load_audit_key(desk_id())
    assert key is not None and get_secret(audit_key_user(desk_id())) == key.hex()
    db.close()
    blob = b"".join(p.read_bytes() for p in db.path.parent.glob(db.path.name + "*"))
    for form in (key, key.hex().encode(), key.hex().upper().encode(), hashlib.sha256(key).hexdigest().encode()):
        assert form not in blob
