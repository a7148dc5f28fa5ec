"""Sync against a real PostgreSQL (started by conftest.pg_server)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from sqlalchemy import create_engine, func, select, text, update

from dxdesk.store.base import utcnow
from dxdesk.store.connectivity import ConnectivityMode
from dxdesk.store.models import AuditEvent, Outbox, SupportSession, SupportTopic, Visit, VisitStep
from dxdesk.store.server import parse_server_url
from dxdesk.store.sync import SyncEngine, SyncResult, SyncScheduler

from .conftest import desk_settings

pytestmark = pytest.mark.postgres


class Crash(Exception):
    """Stands in for the app dying at a chosen point."""


@pytest.fixture
def server(pg_url):
    engine = create_engine(parse_server_url(pg_url))
    yield engine
    engine.dispose()


def _desk(make_db, pg_url, name="desk-a", batch=200):
    settings = desk_settings(server_url=pg_url, lab_no_tls=True)
    settings.store.sync_batch_size = batch
    db = make_db(name, settings=settings)
    return db, SyncEngine(db, settings.store)


def _visit_with_steps(db, steps=2, name="山田 花子"):
    def job(s):
        visit = Visit(resident_name=name, procedures=["juminhyo"])
        s.add(visit)
        s.flush()
        for i in range(steps):
            s.add(VisitStep(visit_id=visit.id, step=f"step{i}", started_at=utcnow(), seconds=i))
        return visit.id
    return db.writer.run(job)


def _support(db, **kw):
    values = dict(started_at=utcnow(), venue="hall", venue_type="community_hall", device="iphone",
                  age_band="70-74", outcome="resolved", attendees=4, helpers=1)
    values.update(kw)

    def job(s):
        row = SupportSession(**values)
        s.add(row)
        s.flush()
        return row.id
    return db.writer.run(job)


def _count(server, table):
    with server.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()


def test_push_is_idempotent_and_server_only_sees_ciphertext(make_db, pg_url, server):
    db, engine = _desk(make_db, pg_url)
    visit_id = _visit_with_steps(db)
    db.writer.run(lambda s: s.add(AuditEvent(seq=1, event_type="print", items=["name"])))

    first = engine.run_once()
    assert (first.sent, first.pending) == (4, 0)
    assert engine.connectivity.status().mode is ConnectivityMode.ONLINE
    assert engine.run_once().sent == 0
    # Even a full resend (e.g. outbox restored from a backup) creates no duplicates.
    db.writer.run(lambda s: s.execute(update(Outbox).values(sent_at=None)))
    assert engine.run_once().sent == 4
    assert [_count(server, t) for t in ("visits", "visit_steps", "audit_events")] == [1, 2, 1]
    with server.connect() as conn:
        stored = conn.execute(text("SELECT resident_name FROM visits WHERE id = :id"), {"id": visit_id}).scalar()
        assert stored.startswith("v1:") and "山田" not in stored
        with pytest.raises(Exception, match="append-only"):
            conn.execute(text("UPDATE audit_events SET reason = 'x'"))


def test_crash_after_server_commit_before_marking_sent_converges(make_db, pg_url, server, monkeypatch):
    db, engine = _desk(make_db, pg_url)
    _visit_with_steps(db, steps=3)

    def crash(ids):
        raise Crash()
    monkeypatch.setattr(engine, "_mark_sent", crash)
    with pytest.raises(Crash):
        engine.run_once()
    assert _count(server, "visit_steps") == 3 and db.pending_count() == 4  # on the server, not yet marked

    monkeypatch.undo()
    assert engine.run_once().sent == 4
    assert (_count(server, "visits"), _count(server, "visit_steps"), db.pending_count()) == (1, 3, 0)


def test_crash_before_server_commit_loses_nothing(make_db, pg_url, server):
    db, engine = _desk(make_db, pg_url)
    _visit_with_steps(db, steps=3)

    def crash(phase, number):
        if phase == "in-transaction":
            raise Crash()  # every row of the batch is written but not committed: all must roll back
    engine.batch_hook = crash
    with pytest.raises(Crash):
        engine.run_once()
    assert _count(server, "visits") == 0 and _count(server, "visit_steps") == 0
    assert db.pending_count() == 4

    engine.batch_hook = None
    assert engine.run_once().sent == 4
    assert (_count(server, "visits"), _count(server, "visit_steps"), db.pending_count()) == (1, 3, 0)


def test_batches_follow_outbox_order(make_db, pg_url, server, monkeypatch):
    db, engine = _desk(make_db, pg_url, batch=3)
    _visit_with_steps(db, steps=4)  # 5 entries; steps need their visit first (server foreign key)
    _visit_with_steps(db, steps=1)  # 2 more
    batches: list[list[str]] = []
    original = engine._push_batch

    def spy(server_engine, batch, number):
        batches.append([e.table_name for e in batch])
        original(server_engine, batch, number)
    monkeypatch.setattr(engine, "_push_batch", spy)

    assert engine.run_once() == SyncResult(sent=7, pulled=0, pending=0)
    assert [len(b) for b in batches] == [3, 3, 1]
    assert batches[0][0] == "visits" and batches[1][-1] == "visits"
    assert _count(server, "visit_steps") == 5


def test_updates_follow_updated_at_and_newer_server_versions_win(make_db, pg_url, server):
    db, engine = _desk(make_db, pg_url)
    visit_id = _visit_with_steps(db, steps=0)
    engine.run_once()

    db.writer.run(lambda s: setattr(s.get(Visit, visit_id), "status", "closed"))
    assert engine.run_once().sent == 1
    with server.begin() as conn:
        assert conn.execute(text("SELECT status FROM visits")).scalar() == "closed"
        conn.execute(text("UPDATE visits SET status = 'abandoned', updated_at = :t"),
                     {"t": utcnow() + timedelta(hours=1)})
    db.writer.run(lambda s: setattr(s.get(Visit, visit_id), "total_seconds", 42))
    engine.run_once()
    with server.connect() as conn:  # the stale local version did not overwrite the newer one
        assert conn.execute(text("SELECT status, total_seconds FROM visits")).one() == ("abandoned", None)


def test_pull_brings_shared_lists_and_other_desks_sessions(make_db, pg_url, server):
    db_a, sync_a = _desk(make_db, pg_url, "desk-a")
    db_b, sync_b = _desk(make_db, pg_url, "desk-b")
    own = _support(db_a, venue="counter-a", venue_type="counter")
    other = _support(db_b, follow_up_needed=True, follow_up_contact="090-1111-2222")
    db_b.writer.run(lambda s: s.add(SupportTopic(code="mynaportal", label_ja="マイナポータル")))
    sync_b.run_once()

    result = sync_a.run_once()
    assert result.sent == 1 and result.pulled == 2  # B's session and B's topic; A's own row is not pulled back
    with db_a.session() as s:
        pulled = s.get(SupportSession, other)
        assert pulled.desk_id == db_b.desk_id and pulled.attendees == 4
        assert pulled.follow_up_needed and pulled.follow_up_contact is None  # B's secret stays with B
        assert s.scalar(select(SupportTopic.label_ja)) == "マイナポータル"
        assert s.scalar(select(func.count()).select_from(SupportSession)) == 2
        assert s.get(SupportSession, own).venue == "counter-a"
    assert db_a.pending_count() == 0  # pulled rows are not echoed back

    with server.begin() as conn:  # an administrator edits the topic on the server
        conn.execute(text("UPDATE support_topics SET label_ja = 'マイナポータル（更新）', updated_at = :t"),
                     {"t": utcnow() + timedelta(minutes=1)})
    assert sync_a.run_once().pulled >= 1
    assert sync_a.run_once().sent == 0
    with db_a.session() as s:
        assert s.scalar(select(SupportTopic.label_ja)) == "マイナポータル（更新）"
    assert _count(server, "support_sessions") == 2


def test_sessions_from_a_desk_that_was_offline_for_days_are_still_pulled(make_db, pg_url, server):
    # BCP: desk B works offline for three days, then pushes what it recorded. Its rows' updated_at
    # lie days behind desk A's pull watermark; the pull must still bring them in.
    db_a, sync_a = _desk(make_db, pg_url, "desk-a")
    db_b, sync_b = _desk(make_db, pg_url, "desk-b")
    _support(db_b)
    sync_b.run_once()
    assert sync_a.run_once().pulled == 1  # A's watermark is now "today"
    three_days_ago = utcnow() - timedelta(days=3)
    late = _support(db_b, started_at=three_days_ago, created_at=three_days_ago, updated_at=three_days_ago)
    sync_b.run_once()
    assert sync_a.run_once().pulled >= 1
    with db_a.session() as s:
        assert s.get(SupportSession, late) is not None
        assert s.scalar(select(func.count()).select_from(SupportSession)) == 2


def test_scheduler_runs_in_background_and_reports(make_db, pg_url, server):
    db, engine = _desk(make_db, pg_url)
    _support(db)
    done = threading.Event()
    results: list[SyncResult | None] = []

    def on_result(result, error):
        results.append(result)
        done.set()
    scheduler = SyncScheduler(engine, on_result)
    scheduler.start()
    try:
        assert done.wait(20)
    finally:
        scheduler.stop()
    assert results[0] is not None and results[0].sent == 1
    assert engine.connectivity.status_text("ja") == "オンライン — 未送信 0件"


def test_cli_sync_sends_waiting_records(pg_url, server, capsys, desk_accounts):
    from dxdesk.cli import main
    from dxdesk.store.database import open_database

    assert main(["db", "set-server", pg_url, "--no-password", "--insecure-no-tls", "--as", "admin"]) == 0
    db = open_database()
    try:
        _support(db)
    finally:
        db.close()
    assert main(["sync"]) == 0  # the desk's routine sync: no person signed in, recorded as the desk
    assert "still waiting 0" in capsys.readouterr().out  # the session, the accounts and their audit events
    assert _count(server, "support_sessions") == 1
    db = open_database()
    try:
        with db.session() as orm:
            from sqlalchemy import select

            from dxdesk.store.models import AuditEvent
            last = orm.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
            assert (last.event_type, last.actor, last.result) == ("sync.run", "desk", "success")
            assert db.pending_count() == 0  # recorded before it ran: the event went out with the sync
    finally:
        db.close()


def test_old_sent_entries_are_pruned_but_unsent_ones_never(make_db, pg_url, server):
    db, engine = _desk(make_db, pg_url)
    _support(db)
    engine.run_once()
    old = utcnow() - timedelta(days=30)
    db.writer.run(lambda s: s.execute(update(Outbox).values(sent_at=old)))
    _support(db)
    assert engine.run_once().sent == 1
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Outbox)) == 1  # the 30-day-old sent entry is gone
    assert _count(server, "support_sessions") == 2


def test_record_edited_then_deleted_between_syncs_is_deleted_on_the_server(make_db, pg_url, server):
    db, engine = _desk(make_db, pg_url)

    def add(s):
        topic = SupportTopic(code="old", label_ja="古い項目")
        s.add(topic)
        s.flush()
        return topic.id
    topic_id = db.writer.run(add)
    engine.run_once()
    db.writer.run(lambda s: setattr(s.get(SupportTopic, topic_id), "label_ja", "改名"))
    db.writer.run(lambda s: s.delete(s.get(SupportTopic, topic_id)))  # outbox: upsert, then delete

    assert engine.run_once().sent == 2
    assert _count(server, "support_topics") == 0


def test_notes_kept_on_the_desk_never_reach_the_server(make_db, pg_url, server):
    """[store] keep_support_notes_on_desk: the session syncs, its free-text note does not (#20 item 8)."""
    db, engine = _desk(make_db, pg_url)
    shared = _support(db, note="shared note")
    engine.run_once()
    engine.settings.keep_support_notes_on_desk = True
    kept = _support(db, note="山田様 090-1234-5678")
    db.writer.run(lambda s: s.get(SupportSession, shared).__setattr__("attendees", 5))  # edited after the switch
    engine.run_once()
    with server.connect() as conn:
        notes = dict(conn.execute(text("SELECT id, note FROM support_sessions")).all())
    assert notes == {shared: "", kept: ""}
    with db.session() as s:
        assert s.get(SupportSession, kept).note == "山田様 090-1234-5678"  # still on this desk


def test_sign_in_lockouts_stay_on_the_desk_where_they_happened(make_db, pg_url, server):
    """A lock on desk A must not appear on desk B: unknown logins cannot lock town-wide (docs/accounts.md)."""
    from dxdesk.security.accounttrust import pin_key, sign_row
    from dxdesk.security.townkey import TownSigner
    from dxdesk.store.models import Clerk

    desk_a, engine_a = _desk(make_db, pg_url, "desk-a")
    desk_b, engine_b = _desk(make_db, pg_url, "desk-b")
    town = TownSigner.generate()  # both desks trust one town key (accounts travel signed only)
    desk_b.writer.run(lambda s: pin_key(s, town.public_b64))

    def add(s):
        pin_key(s, town.public_b64)
        row = Clerk(login="tanaka", display_name="田中", role="clerk", password_hash="scrypt$x", failed_attempts=0,
                    active=True, must_change_password=False)
        s.add(row)
        s.flush()  # the id, then the signature over it
        sign_row(row, town)
        return row.id
    clerk_id = desk_a.writer.run(add)
    engine_a.run_once()
    engine_b.run_once()
    until = utcnow() + timedelta(minutes=5)

    def lock(s):
        row = s.get(Clerk, clerk_id)
        row.failed_attempts, row.locked_until = 0, until
    desk_a.writer.run(lock)  # five wrong passwords on desk A
    engine_a.run_once()
    with server.connect() as conn:
        assert conn.execute(text("SELECT locked_until FROM clerks")).scalar() is None
    engine_b.run_once()
    with desk_b.session() as s:
        assert s.get(Clerk, clerk_id).locked_until is None
    with desk_a.session() as s:  # and a pull does not lift desk A's own lock
        engine_a.run_once()
        assert s.get(Clerk, clerk_id).locked_until is not None
