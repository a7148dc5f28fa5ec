"""Pull only what changed (#13 item 6): an exact server-side cursor, no look-back; a no-op sync reads nothing."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, func, select, text

from dxdesk.store.models import SupportSession
from dxdesk.store.server import parse_server_url

from .test_sync_pg import _desk, _support

pytestmark = pytest.mark.postgres


@pytest.fixture
def server(pg_url):
    engine = create_engine(parse_server_url(pg_url))
    yield engine
    engine.dispose()


def _insert_session(conn, desk_id="desk-elsewhere"):
    row_id = str(uuid.uuid4())
    conn.execute(text(
        "INSERT INTO support_sessions (id, desk_id, created_at, updated_at, started_at, venue, venue_type, topics, "
        "note, device, age_band, attendees, helpers, helper_role, duration_minutes, outcome, follow_up_needed, "
        "repeat_visitor, logged_by) VALUES (:id, :desk, now(), now(), now(), 'hall', 'community_hall', '[]', '', "
        "'iphone', '70-74', 1, 0, '', 10, 'resolved', false, false, '')"), {"id": row_id, "desk": desk_id})
    return row_id


def _local_sessions(db):
    with db.session() as s:
        return set(s.scalars(select(SupportSession.id)))


def test_a_transaction_that_commits_after_a_pull_is_still_pulled(make_db, pg_url, server):
    db, engine = _desk(make_db, pg_url)
    engine.run_once()  # schema, first cursor

    late = server.connect()
    late_tx = late.begin()
    late_id = _insert_session(late)  # written first, committed last
    with server.begin() as conn:
        early_id = _insert_session(conn)

    first = engine.run_once()
    assert first.pulled == 1 and _local_sessions(db) == {early_id}
    late_tx.commit()
    late.close()
    second = engine.run_once()
    # The early row sat above the cursor (the late transaction was still open): it is read once more.
    assert second.pulled == 2 and _local_sessions(db) == {early_id, late_id}
    assert engine.run_once().pulled == 0


def test_a_no_op_sync_reads_no_row_and_changes_no_record(make_db, pg_url, server):
    db, engine = _desk(make_db, pg_url)
    other, other_engine = _desk(make_db, pg_url, name="desk-b")
    for _ in range(20):
        _support(other)
    other_engine.run_once()
    assert engine.run_once().pulled == 20
    # A row re-stamped on the server (an administrator's edit) is pulled again, and only it.
    with server.begin() as conn:
        conn.execute(text("UPDATE support_sessions SET note = 'fixed' WHERE id = (SELECT min(id) FROM support_sessions)"))
    assert engine.run_once().pulled == 1

    def data_version():  # SQLite's own counter of commits to the file: a no-op sync must not move it
        with db.engine.connect() as conn:
            return conn.exec_driver_sql("SELECT count(*), max(updated_at) FROM support_sessions").one(), \
                db.path.stat().st_mtime_ns, (db.path.parent / (db.path.name + "-wal")).stat().st_size
    engine.run_once()  # the stored last-sync time was just written: nothing else to record now
    before = data_version()
    result = engine.run_once()
    assert (result.sent, result.pulled) == (0, 0)
    assert data_version() == before
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SupportSession)) == 20
