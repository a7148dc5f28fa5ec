from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from dxdesk.store.errors import DatabaseLockedError, DiskFullError
from dxdesk.store.models import Outbox, SupportSession, Visit, VisitStep


def _session(**overrides) -> SupportSession:
    values = dict(started_at=datetime(2026, 4, 1, 1, 0, tzinfo=timezone.utc), venue="hall-1",
                  venue_type="community_hall", topics=["line"], device="android", age_band="75-79",
                  attendees=3, helpers=1, outcome="resolved")
    values.update(overrides)
    return SupportSession(**values)


def _counts(db) -> tuple[int, int, int]:
    with db.session() as s:
        return (s.scalar(select(func.count()).select_from(Visit)),
                s.scalar(select(func.count()).select_from(SupportSession)),
                s.scalar(select(func.count()).select_from(Outbox)))


def test_a_job_is_one_transaction_and_a_failure_writes_nothing(db):
    def job(s):
        s.add(Visit(resident_name="山田 太郎"))
        s.add(_session())
        s.flush()  # rows are in the database inside the transaction...
        raise ValueError("validation failed late")  # ...and must all disappear

    with pytest.raises(ValueError):
        db.writer.run(job)
    assert _counts(db) == (0, 0, 0)


def test_record_and_its_outbox_entry_commit_together_in_dependency_order(db):
    def job(s):
        visit = Visit(procedures=["juminhyo"])
        s.add(visit)
        s.flush()
        s.add(VisitStep(visit_id=visit.id, step="identify", started_at=visit.started_at))
        return visit.id

    visit_id = db.writer.run(job)
    with db.session() as s:
        visit = s.get(Visit, visit_id)
        assert visit.desk_id == db.desk_id and visit.created_at.tzinfo is timezone.utc
        entries = s.execute(select(Outbox.table_name, Outbox.op).order_by(Outbox.id)).all()
    assert entries == [("visits", "upsert"), ("visit_steps", "upsert")]
    assert db.pending_count() == 2


def test_jobs_run_in_submission_order_on_one_thread(db):
    threads: list[str] = []

    def job(n):
        def run(s):
            threads.append(threading.current_thread().name)
            s.add(_session(attendees=n))
            return n
        return run

    futures = [db.writer.submit(job(n)) for n in range(1, 11)]
    assert [f.result(timeout=30) for f in futures] == list(range(1, 11))
    assert set(threads) == {"dxdesk-db-writer"}
    with db.session() as s:
        assert sorted(s.scalars(select(SupportSession.attendees))) == list(range(1, 11))


def test_read_sessions_refuse_to_write(db):
    with pytest.raises(RuntimeError, match="read-only"), db.session() as s:
        s.add(_session())
        s.flush()
    assert _counts(db) == (0, 0, 0)


def test_locked_database_gives_a_clear_message_and_writes_nothing(make_db):
    db = make_db(busy_timeout_ms=100)
    other = sqlite3.connect(db.path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(DatabaseLockedError) as info:
            db.writer.run(lambda s: s.add(_session()))
        assert info.value.message.ja.startswith("ほかのプログラムがデータベースファイルを使用中")
        assert "Another program" in str(info.value)
    finally:
        other.rollback()
        other.close()
    assert _counts(db) == (0, 0, 0)
    db.writer.run(lambda s: s.add(_session()))  # and it recovers once the other program lets go
    assert _counts(db) == (0, 1, 1)


def test_disk_full_gives_a_clear_message_and_writes_nothing(db):
    db.writer.run(lambda s: s.add(_session(note="before")))

    def fill(s):
        # Cap the file at its current size: the next pages cannot be allocated (SQLITE_FULL).
        pages = s.connection().exec_driver_sql("PRAGMA page_count").scalar()
        s.connection().exec_driver_sql(f"PRAGMA max_page_count={pages}")
        for i in range(50):
            s.add(_session(note="x" * 4000 + str(i)))
        s.flush()

    with pytest.raises(DiskFullError) as info:
        db.writer.run(fill)
    assert "ディスクの空き容量" in info.value.message.ja
    with db.session() as s:
        assert s.scalars(select(SupportSession.note)).all() == ["before"]
    assert db.pending_count() == 1


def test_close_with_a_stuck_job_names_it_and_does_not_pull_the_database_from_under_it(make_db, caplog):
    import logging

    from sqlalchemy import event

    from dxdesk.store.database import open_database
    from dxdesk.store.errors import DatabaseInUseError

    from .conftest import desk_settings

    db = make_db(exclusive=True)
    disposed: list[object] = []
    event.listen(db.engine, "engine_disposed", lambda engine: disposed.append(engine))
    started, gate = threading.Event(), threading.Event()

    def import_visits(s):
        started.set()
        assert gate.wait(10)
        s.add(Visit(resident_name="山田 太郎"))

    future = db.writer.submit(import_visits)
    assert started.wait(5)
    with caplog.at_level(logging.ERROR, logger="dxdesk.store"):
        db.close(timeout=0.05)  # the job is still inside its transaction
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("import_visits" in m and "has not finished" in m for m in errors), errors
    assert not any("山田" in m for m in errors)  # the job's function is named, never its data
    assert disposed == []  # the engine stays with the running job...
    with pytest.raises(DatabaseInUseError):  # ...and so does the lock: nobody else may start on it yet
        open_database(desk_settings(db.desk_id), db.paths, exclusive=True)

    gate.set()
    future.result(5)  # the job commits normally
    db.close()  # a second close completes the first one
    assert len(disposed) == 1 and not db.instance_lock.held
    again = open_database(desk_settings(db.desk_id), db.paths)
    with again.session() as s:
        assert s.scalars(select(Visit.resident_name)).all() == ["山田 太郎"]
    again.close()
