"""Verified checkpoints: the routine check walks only new events; --full and a tampered checkpoint are caught."""
from __future__ import annotations

from dxdesk.security import auditcheckpoint, auditfast, auditheadnote
from dxdesk.security.audit import AuditEntry, EventType
from dxdesk.security.auditkey import audit_head_user, load_chain_head
from dxdesk.security.auditview import AuditService
from dxdesk.security.permissions import Role
from dxdesk.store.keys import get_secret

from .conftest import desk_id, drop_audit_triggers, raw_connection
from .test_audit_chain import _fill


def _verify(db, audit, sessions, full=False):
    results = AuditService(db, audit).verify(sessions[Role.SUPERVISOR], full=full)
    assert list(results) == [desk_id()]
    return results[desk_id()]


def _checkpoint_seq(db) -> int | None:
    conn = raw_connection(db)
    row = conn.execute("SELECT through_seq FROM audit_checkpoints").fetchone()
    conn.close()
    return row[0] if row else None


def _edit_file(db, *statements: str) -> None:
    """What someone with the SQLite file does: drop the append-only triggers, then edit."""
    conn = raw_connection(db)
    drop_audit_triggers(conn)
    for statement in statements:
        conn.execute(statement)
    conn.close()


def _newest_seq(db) -> int:
    conn = raw_connection(db)
    seq = conn.execute("SELECT max(seq) FROM audit_events").fetchone()[0]
    conn.close()
    return int(seq)


def test_a_verify_records_a_checkpoint_and_the_next_one_starts_after_it(db, audit, sessions):
    _fill(audit, sessions)
    first = _verify(db, audit, sessions)
    assert first.ok and first.resumed_after is None
    through = _checkpoint_seq(db)
    assert through == _newest_seq(db)

    _fill(audit, sessions)
    second = _verify(db, audit, sessions)
    assert second.ok and second.resumed_after == through and second.checked == _newest_seq(db)
    assert "checkpoint" in second.describe()
    assert _checkpoint_seq(db) == _newest_seq(db)


def test_an_event_edited_before_the_checkpoint_is_caught_by_full(db, audit, sessions):
    _fill(audit, sessions)
    assert _verify(db, audit, sessions).ok
    # Contents changed, stored hash left alone: only re-hashing the event shows it.
    _edit_file(db, "UPDATE audit_events SET reason = '変更' WHERE seq = 3")
    full = _verify(db, audit, sessions, full=True)
    assert not full.ok and full.first_bad_seq == 3 and "hash mismatch" in full.reason


def test_an_event_deleted_before_the_checkpoint_makes_the_routine_check_walk_everything(db, audit, sessions):
    _fill(audit, sessions)
    assert _verify(db, audit, sessions).ok
    _edit_file(db, "DELETE FROM audit_events WHERE seq = 4")
    result = _verify(db, audit, sessions)
    assert not result.ok and result.first_bad_seq == 5 and "missing event" in result.reason


def test_a_checkpoint_moved_in_the_file_is_reported_and_full_replaces_it(db, audit, sessions):
    _fill(audit, sessions)
    assert _verify(db, audit, sessions).ok
    _fill(audit, sessions)
    conn = raw_connection(db)
    drop_audit_triggers(conn)
    newest = conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
    # Someone edits event 9 and moves the checkpoint past it, so the routine check would skip it.
    conn.execute("UPDATE audit_events SET reason = '変更' WHERE seq = 9")
    conn.execute("UPDATE audit_checkpoints SET through_seq = ?, through_hash = ?, events = ?",
                 (newest[0], newest[1], newest[0]))
    conn.close()
    routine = _verify(db, audit, sessions)
    assert not routine.ok and "checkpoint" in routine.reason and "--full" in routine.reason

    full = _verify(db, audit, sessions, full=True)
    assert not full.ok and full.first_bad_seq == 9  # the edit itself, found by walking everything


def test_full_reports_a_tampered_checkpoint_once_then_records_a_good_one(db, audit, sessions):
    _fill(audit, sessions)
    assert _verify(db, audit, sessions).ok
    conn = raw_connection(db)
    # The last hex digit changed (to '1' if it was '0': replacing '0' with '0' would change nothing).
    conn.execute("UPDATE audit_checkpoints SET mac = 'c1:' || substr(mac, 4, 63) || "
                 "CASE substr(mac, -1) WHEN '0' THEN '1' ELSE '0' END")
    conn.close()
    assert not _verify(db, audit, sessions).ok
    full = _verify(db, audit, sessions, full=True)
    assert not full.ok and "checkpoint" in full.reason  # the chain was fine: the finding is the checkpoint
    assert _verify(db, audit, sessions).ok  # the fresh checkpoint verifies


def test_the_typed_walk_reads_in_batches_and_gives_what_the_stored_walk_reads(db, audit, sessions, monkeypatch):
    """Databases other than SQLite walk typed records BATCH at a time; SQLite's fast walk reads the stored text."""
    monkeypatch.setattr(auditcheckpoint, "BATCH", 2)
    _fill(audit, sessions)
    conn = raw_connection(db)
    stored = conn.execute(f"SELECT {', '.join(auditfast.COLUMNS)} FROM audit_events ORDER BY seq").fetchall()
    conn.close()
    with db.session() as orm:
        typed = list(auditcheckpoint.stream_records(orm.connection(), desk_id(), after_seq=1))
    assert len(stored) > 5 and typed == [auditfast.record_from_stored(row, desk_id()) for row in stored[1:]]


def test_a_burst_of_events_writes_the_head_note_once_and_the_close_writes_the_newest(db, audit, sessions,
                                                                                     monkeypatch):
    writes: list[int] = []
    real = auditheadnote._write

    def counting(desk, paths, note):
        if note.waiting is not None:
            writes.append(note.waiting.seq)
        real(desk, paths, note)

    auditheadnote.flush()
    monkeypatch.setattr(auditheadnote, "_write", counting)
    monkeypatch.setattr(auditheadnote, "NOTE_INTERVAL", 3600.0)  # the whole burst inside one interval
    clerk = sessions[Role.CLERK].clerk_id
    for i in range(10):
        audit.append(AuditEntry(EventType.PRINT, clerk, details={"form": "juminhyo", "n": i}))
    newest = _newest_seq(db)
    assert len(writes) == 1 and writes[0] < newest  # the first of the burst only
    head = load_chain_head(desk_id())
    assert head is not None and head.seq == newest  # this process already answers with the newest
    db.close()
    assert writes[-1] == newest
    assert f'"seq": {newest}' in (get_secret(audit_head_user(desk_id())) or "")
