"""The hash chain, in memory and against rows edited directly in the SQLite file."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from dxdesk.security.audit import AuditEntry, AuditError, EventType, Item, Result, check_entry
from dxdesk.security.auditchain import GENESIS_HASH, AuditRecord, compute_hash, verify_chain
from dxdesk.security.auditview import AuditService
from dxdesk.security.permissions import Role

from .conftest import drop_audit_triggers, raw_connection


def _chain(n: int) -> list[AuditRecord]:
    records, prev = [], GENESIS_HASH
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    for seq in range(1, n + 1):
        rec = AuditRecord(f"id-{seq}", seq, start + timedelta(minutes=seq), "clerk-1", "desk-1", "card.read",
                          "税", "確定申告", ("basic4",), "success", {"n": seq}, prev)
        rec = dataclasses.replace(rec, hash=compute_hash(rec))
        records.append(rec)
        prev = rec.hash
    return records


def test_in_memory_chain_detects_edit_delete_and_reorder():
    chain = _chain(5)
    assert verify_chain(chain).ok and verify_chain(chain).checked == 5
    assert verify_chain([]).ok

    edited = list(chain)
    edited[2] = dataclasses.replace(chain[2], reason="別の理由")
    result = verify_chain(edited)
    assert (result.ok, result.first_bad_seq, result.first_bad_id) == (False, 3, "id-3")
    assert "hash mismatch" in result.reason

    deleted = chain[:2] + chain[3:]
    result = verify_chain(deleted)
    assert (result.first_bad_seq, result.first_bad_id) == (4, "id-4") and "missing" in result.reason

    swapped = [chain[0], chain[2], chain[1], chain[3], chain[4]]
    assert verify_chain(swapped).first_bad_seq == 3

    assert verify_chain(chain[1:]).first_bad_seq == 2  # a removed head without a checkpoint


def test_canonical_form_refuses_floats():
    rec = dataclasses.replace(_chain(1)[0], details={"ratio": 0.5})
    with pytest.raises(TypeError):
        compute_hash(rec)


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
