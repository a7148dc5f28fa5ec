from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text

from dxdesk.store import migrate
from dxdesk.store.database import create_sqlite_engine, open_database
from dxdesk.store.errors import AppendOnlyError, SchemaTooNewError, StoreError
from dxdesk.store.models import AuditEvent

from .conftest import desk_paths, desk_settings


def test_empty_database_is_created_at_head_with_wal_and_foreign_keys(db):
    assert migrate.current_revision(db.engine) == migrate.head_revision()
    assert db.migration_backup is None  # nothing to protect on a brand-new file
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"clerks", "visits", "visit_steps", "forms_printed", "support_sessions", "support_topics",
            "venues", "shared_settings", "audit_events", "outbox", "sync_state"} <= tables
    assert oct(db.path.stat().st_mode & 0o777) == "0o600"


def test_older_database_is_backed_up_before_migrating(tmp_path: Path):
    paths = desk_paths(tmp_path / "desk").ensure()
    engine = create_sqlite_engine(paths.database_file)
    migrate.upgrade(engine, "0001_initial")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO sync_state (name) VALUES ('marker')")
    engine.dispose()

    db = open_database(desk_settings(), paths)
    try:
        assert migrate.current_revision(db.engine) == migrate.head_revision()
        backup = db.migration_backup
        assert backup is not None and backup.parent == paths.backup_dir
        with sqlite3.connect(backup) as conn:  # the backup is the pre-migration database, data included
            assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001_initial"
            assert conn.execute("SELECT name FROM sync_state").fetchone()[0] == "marker"
            triggers = conn.execute("SELECT count(*) FROM sqlite_master WHERE type='trigger'").fetchone()[0]
        assert triggers == 0
    finally:
        db.close()
    # Opening again at head makes no further backup.
    db = open_database(desk_settings(), paths)
    db.close()
    assert db.migration_backup is None
    assert len(list(paths.backup_dir.iterdir())) == 1


def test_database_from_newer_dxdesk_is_refused(tmp_path: Path):
    paths = desk_paths(tmp_path / "desk")
    open_database(desk_settings(), paths).close()
    with sqlite3.connect(paths.database_file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    with pytest.raises(SchemaTooNewError) as info:
        open_database(desk_settings(), paths)
    assert "dxdesk を更新" in info.value.message.ja


def test_foreign_sqlite_file_is_not_touched(tmp_path: Path):
    paths = desk_paths(tmp_path / "desk").ensure()
    with sqlite3.connect(paths.database_file) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    with pytest.raises(StoreError, match="not a dxdesk database"):
        open_database(desk_settings(), paths)
    with sqlite3.connect(paths.database_file) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == ["recipes"]


def _add_event(db, seq: int = 1) -> str:
    def job(s):
        event = AuditEvent(seq=seq, event_type="card_read", jimu_type="住民票", reason="本人確認", items=["name"])
        s.add(event)
        s.flush()
        return event.id
    return db.writer.run(job)


def test_audit_events_are_append_only_through_the_store(db):
    event_id = _add_event(db)

    def edit(s):
        s.get(AuditEvent, event_id).reason = "changed"

    def remove(s):
        s.delete(s.get(AuditEvent, event_id))

    for job in (edit, remove):
        with pytest.raises(AppendOnlyError):
            db.writer.run(job)
    with db.session() as s:
        assert s.scalars(select(AuditEvent.reason)).all() == ["本人確認"]


def test_audit_events_are_append_only_in_sql_too(db):
    _add_event(db)
    for sql in ("UPDATE audit_events SET reason = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(sa_exc.IntegrityError, match="audit_events is append-only"), db.engine.begin() as conn:
            conn.execute(text(sql))
        with db.session() as s:
            assert s.scalar(select(AuditEvent.reason)) == "本人確認"
