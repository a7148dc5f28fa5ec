"""The hash chain, in memory and against rows edited directly in the SQLite file."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from dxdesk.security.audit import AuditEntry, AuditError, EventType, Item, Result, check_entry
from dxdesk.security.auditchain import GENESIS_HASH, AuditRecord, ChainHead, compute_hash, legacy_hash, verify_chain
from dxdesk.security.auditview import AuditService
from dxdesk.security.permissions import Role

from .conftest import drop_audit_triggers, raw_connection


KEY = bytes(range(32))


def _chain(n: int, key: bytes | None = KEY, keyed_from: int = 1) -> list[AuditRecord]:
    """``n`` events; those from seq ``keyed_from`` on are keyed, earlier ones legacy (key None: all legacy)."""
    records, prev = [], GENESIS_HASH
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for seq in range(1, n + 1):
        rec = AuditRecord(f"id-{seq}", seq, start + timedelta(minutes=seq), "clerk-1", "desk-1", "card.read",
                          "税", "確定申告", ("basic4",), "success", {"n": seq}, prev)
        keyed = key is not None and seq >= keyed_from
        rec = dataclasses.replace(rec, hash=compute_hash(rec, key) if keyed else legacy_hash(rec))
        records.append(rec)
        prev = rec.hash
    return records


def _rechain_plain(records: list[AuditRecord], from_index: int) -> list[AuditRecord]:
    """What an attacker without the key does: edit, then recompute plain SHA-256 links from there on."""
    out = list(records[:from_index])
    prev = out[-1].hash if out else GENESIS_HASH
    for rec in records[from_index:]:
        rec = dataclasses.replace(rec, prev_hash=prev)
        rec = dataclasses.replace(rec, hash=legacy_hash(rec))
        out.append(rec)
        prev = rec.hash
    return out


@pytest.mark.parametrize("key", [KEY, None], ids=["keyed", "legacy"])
def test_in_memory_chain_detects_edit_delete_and_reorder(key):
    chain = _chain(5, key)
    assert verify_chain(chain, KEY).ok and verify_chain(chain, KEY).checked == 5
    assert verify_chain([], KEY).ok

    edited = list(chain)
    edited[2] = dataclasses.replace(chain[2], reason="別の理由")
    result = verify_chain(edited, KEY)
    assert (result.ok, result.first_bad_seq, result.first_bad_id) == (False, 3, "id-3")
    assert "hash mismatch" in result.reason

    deleted = chain[:2] + chain[3:]
    result = verify_chain(deleted, KEY)
    assert (result.first_bad_seq, result.first_bad_id) == (4, "id-4") and "missing" in result.reason

    swapped = [chain[0], chain[2], chain[1], chain[3], chain[4]]
    assert verify_chain(swapped, KEY).first_bad_seq == 3

    assert verify_chain(chain[1:], KEY).first_bad_seq == 2  # a removed head without a checkpoint


def test_new_hashes_are_keyed_hmac():
    rec = _chain(1)[0]
    assert rec.hash.startswith("h1:") and len(rec.hash) == 3 + 64
    assert compute_hash(rec, bytes(32)) != rec.hash  # another key gives another hash
    assert rec.hash[3:] != legacy_hash(rec)


def test_edit_with_recomputed_plain_sha256_is_detected():
    chain = _chain(5)
    forged = list(chain)
    forged[2] = dataclasses.replace(chain[2], reason="別の理由")
    forged = _rechain_plain(forged, 2)
    result = verify_chain(forged, KEY)
    assert (result.ok, result.first_bad_seq) == (False, 3)
    assert "without the audit key" in result.reason


def test_edit_relabelled_as_keyed_with_a_guessed_key_is_detected():
    chain = _chain(3)
    edited = dataclasses.replace(chain[2], reason="別の理由")
    forged = chain[:2] + [dataclasses.replace(edited, hash=compute_hash(edited, b"guess" * 8))]
    result = verify_chain(forged, KEY)
    assert (result.ok, result.first_bad_seq) == (False, 3) and "hash mismatch" in result.reason


def test_legacy_and_mixed_chains_verify():
    assert verify_chain(_chain(4, key=None), None).ok  # written before keying; no key needed
    assert verify_chain(_chain(4, key=None), KEY).ok
    mixed = _chain(6, KEY, keyed_from=4)
    assert [r.hash.startswith("h1:") for r in mixed] == [False] * 3 + [True] * 3
    assert verify_chain(mixed, KEY).checked == 6


def test_keyed_events_without_the_key_are_an_error_not_ok():
    result = verify_chain(_chain(6, KEY, keyed_from=4), None)
    assert not result.ok and result.key_missing and result.first_bad_seq == 4
    assert "audit key" in result.describe()


def test_whole_chain_rewritten_as_legacy_is_caught_by_the_head():
    chain = _chain(4)
    forged = _rechain_plain([dataclasses.replace(chain[0], reason="別の理由")] + chain[1:], 0)
    assert verify_chain(forged, KEY).ok  # nothing keyed left to compare against...
    result = verify_chain(forged, KEY, ChainHead(4, chain[-1].hash))  # ...but the noted head differs
    assert (result.ok, result.first_bad_seq) == (False, 4) and "rewritten" in result.reason


def test_truncation_is_reported_from_the_head():
    chain = _chain(5)
    head = ChainHead(5, chain[-1].hash)
    assert verify_chain(chain, KEY, head).ok
    assert verify_chain(chain, KEY, ChainHead(4, chain[3].hash)).ok  # a head that lags is fine
    result = verify_chain(chain[:3], KEY, head)
    assert (result.ok, result.first_bad_seq) == (False, 4)
    assert "events after seq 3 are missing" in result.describe()
    assert not verify_chain([], KEY, head).ok


def test_canonical_form_refuses_floats():
    rec = dataclasses.replace(_chain(1)[0], details={"ratio": 0.5})
    with pytest.raises(TypeError):
        compute_hash(rec, KEY)


def _fill(audit, sessions):
    clerk = sessions[Role.CLERK].clerk_id
    for i in range(3):
        audit.append(AuditEntry(EventType.CARD_READ, clerk, jimu_type="税", reason=f"確定申告 {i}",
                                items=(Item.BASIC4, Item.MY_NUMBER)))
        audit.append(AuditEntry(EventType.PRINT, clerk, details={"form": "juminhyo"}))


def _verify(db, audit, sessions):
    results = AuditService(db, audit).verify(sessions[Role.SUPERVISOR])
    assert len(results) == 1
    return next(iter(results.values()))


def _row(conn, seq):
    return conn.execute("SELECT id, seq FROM audit_events WHERE seq = ?", (seq,)).fetchone()


def test_store_chain_verifies(db, audit, sessions):
    _fill(audit, sessions)
    result = _verify(db, audit, sessions)
    assert result.ok, result.describe()
    assert result.checked >= 6 + 4  # + first-admin, account creations and sign-ins


def test_edited_row_is_named(db, audit, sessions):
    _fill(audit, sessions)
    conn = raw_connection(db)
    drop_audit_triggers(conn)
    target = conn.execute("SELECT id, seq FROM audit_events WHERE event_type='card.read' ORDER BY seq LIMIT 1").fetchone()
    conn.execute("UPDATE audit_events SET reason = '改ざん' WHERE id = ?", (target[0],))
    conn.close()
    result = _verify(db, audit, sessions)
    assert not result.ok
    assert (result.first_bad_seq, result.first_bad_id) == (target[1], target[0])
    assert f"seq {target[1]}" in result.describe() and target[0] in result.describe()


def test_edited_timestamp_is_detected(db, audit, sessions):
    _fill(audit, sessions)
    conn = raw_connection(db)
    drop_audit_triggers(conn)
    conn.execute("UPDATE audit_events SET occurred_at = '2020-01-01 00:00:00.000000' WHERE seq = 4")
    conn.close()
    assert _verify(db, audit, sessions).first_bad_seq == 4


def test_deleted_row_is_named(db, audit, sessions):
    _fill(audit, sessions)
    conn = raw_connection(db)
    drop_audit_triggers(conn)
    after = _row(conn, 6)
    conn.execute("DELETE FROM audit_events WHERE seq = 5")
    conn.close()
    result = _verify(db, audit, sessions)
    assert (result.first_bad_seq, result.first_bad_id) == (6, after[0])
    assert "missing" in result.reason


def test_reordered_rows_are_detected(db, audit, sessions):
    _fill(audit, sessions)
    conn = raw_connection(db)
    drop_audit_triggers(conn)
    conn.execute("UPDATE audit_events SET seq = -1 WHERE seq = 5")
    conn.execute("UPDATE audit_events SET seq = 5 WHERE seq = 6")
    conn.execute("UPDATE audit_events SET seq = 6 WHERE seq = -1")
    conn.close()
    result = _verify(db, audit, sessions)
    assert not result.ok and result.first_bad_seq == 5


def test_triggers_stop_plain_sql_edits(db, audit, sessions):
    import sqlite3

    conn = raw_connection(db)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("DELETE FROM audit_events WHERE seq = 1")
    conn.close()


def test_appends_continue_the_chain_across_reopen(db, audit, sessions, clock):
    from dxdesk.security.audit import AuditLog
    from dxdesk.store.database import open_database

    _fill(audit, sessions)
    db.close()
    reopened = open_database()
    try:
        log = AuditLog(reopened, clock=clock)
        record = log.append(AuditEntry(EventType.SIGN_OUT, sessions[Role.CLERK].clerk_id))
        assert _verify(reopened, log, sessions).ok
        assert record.seq == len(AuditService(reopened, log).list_events(sessions[Role.SUPERVISOR]))
    finally:
        reopened.close()


@pytest.mark.parametrize("entry", [
    AuditEntry(EventType.CARD_READ, "c", reason="番号 123456789018"),
    AuditEntry(EventType.CARD_READ, "c", reason="1234 5678 9018"),
    AuditEntry(EventType.CARD_READ, "c", reason="１２３４５６７８９０１８"),
    AuditEntry(EventType.CARD_READ, "c", items=("123456789018",)),
    AuditEntry(EventType.CARD_READ, "c", items=("山田太郎",)),
    AuditEntry(EventType.PRINT, "c", details={"contact": "090-1234-5678"}),
    AuditEntry(EventType.PRINT, "c", details={"mail": "taro@example.jp"}),
    AuditEntry(EventType.PRINT, "c", details={"zip": "〒100-0001"}),
    AuditEntry(EventType.PRINT, "c", details={"n": 123456789018}),
    AuditEntry(EventType.PRINT, "c", details={"pin=1234": True}),
])
def test_values_that_look_personal_are_refused(entry):
    with pytest.raises(AuditError) as info:
        check_entry(entry)
    assert "1234" not in str(info.value) and "taro" not in str(info.value)


def test_reading_a_my_number_requires_a_reason():
    with pytest.raises(AuditError):
        check_entry(AuditEntry(EventType.CARD_READ, "c", items=(Item.MY_NUMBER,)))
    check_entry(AuditEntry(EventType.CARD_READ, "c", items=(Item.BASIC4,)))
    check_entry(AuditEntry(EventType.CARD_READ, "c", Result.FAILURE, items=(Item.MY_NUMBER,)))


def test_identifiers_in_details_are_allowed():
    check_entry(AuditEntry(EventType.PRINT, "c", details={
        "visit_id": "12345678-1234-4234-8234-123456789012", "hash": "1234567" + "a" * 57,
        "when": "2026-11-25T10:00:00.000000Z", "rows": 1500}))
