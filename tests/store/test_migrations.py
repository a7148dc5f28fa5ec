from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select, text

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


def test_new_database_and_its_wal_are_owner_only_from_the_start(tmp_path: Path):
    # SQLite copies the database file's mode onto -wal/-shm when it creates them, so the
    # file must be 0600 before the first connection, not chmod-ed after it.
    import os

    old_umask = os.umask(0o022)
    try:
        db = open_database(desk_settings(), desk_paths(tmp_path / "desk"))
    finally:
        os.umask(old_umask)
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM outbox").scalar()
        files = [db.path, Path(f"{db.path}-wal"), Path(f"{db.path}-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: oct(f.stat().st_mode & 0o777) for f in files} == {f.name: "0o600" for f in files}
    finally:
        db.close()


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


def test_db_status_of_a_newer_database_says_update_dxdesk_not_db_upgrade(capsys):
    # Before: "upgrade needed (dxdesk db upgrade)" and exit 0, advice this dxdesk cannot follow.
    from dxdesk.cli import main
    from dxdesk.paths import app_paths

    open_database().close()
    with sqlite3.connect(app_paths().database_file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    assert main(["db", "status"]) == 2
    out, err = capsys.readouterr()
    assert "made by a newer dxdesk: update dxdesk" in out and "db upgrade" not in out
    assert "This database was created by a newer dxdesk. Update dxdesk." in err


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


# Representative rows for every table of the first revision, written with plain SQL as that dxdesk
# would have stored them (naive UTC datetimes, JSON as text, booleans as 0/1, ciphertext for personal fields).
_T = "2026-04-01 01:00:00.000000"
_FIRST_REVISION_ROWS: dict[str, list[dict[str, object]]] = {
    "clerks": [dict(id="c1", login="sato", display_name="佐藤", role="supervisor", password_hash="scrypt$x",
                    failed_attempts=1, locked_until=None, active=1)],
    "visits": [dict(id="v1", clerk_id="c1", status="closed", started_at=_T, closed_at="2026-04-01 01:09:30.000000",
                    identify_method="pin", procedures='["juminhyo", "inkan_shomei"]', total_seconds=570,
                    resident_name=("enc", "visits.resident_name", "山田 花子"),
                    answers=("enc", "visits.answers", '{"copies":2}'))],
    "visit_steps": [dict(id="s1", visit_id="v1", step="identify", started_at=_T, ended_at=_T, seconds=40),
                    dict(id="s2", visit_id="v1", step="print", started_at=_T, ended_at=None, seconds=None)],
    "forms_printed": [dict(id="f1", visit_id="v1", form_id="juminhyo", mode="overlay", printed_at=_T,
                           printer="FX-1")],
    "support_sessions": [dict(id="p1", started_at=_T, venue="hall-1", venue_type="community_hall",
                              topics='["line"]', note="メモ", device="android", age_band="75-79", attendees=3,
                              helpers=1, helper_role="volunteer", duration_minutes=30, outcome="resolved",
                              follow_up_needed=1, follow_up_closed_at=None, repeat_visitor=0, logged_by="sato",
                              deleted_at=None,
                              follow_up_contact=("enc", "support_sessions.follow_up_contact", "090-1234-5678"))],
    "support_topics": [dict(id="t1", code="mynaportal", label_ja="マイナポータル", label_en="Myna Portal", sort=1,
                            active=1)],
    "venues": [dict(id="n1", code="hall-1", label_ja="中央公民館", label_en="", sort=0, active=0)],
    "shared_settings": [dict(id="g1", key="office_name", value='"試験町役場"', version=3)],
    "audit_events": [dict(id="a1", seq=1, occurred_at=_T, actor="c1", event_type="card_read", jimu_type="住民票",
                          reason="本人確認", items='["name"]', result="ok", details='{"reader": 0}',
                          prev_hash="", hash="h1")],
}


def test_first_revision_database_upgrades_to_head_with_its_data_intact(tmp_path: Path):
    from dxdesk.store.keys import load_or_create_keyset
    from dxdesk.store.models import Outbox, SharedSetting, SupportSession, Visit, catalogue_id

    settings = desk_settings()
    paths = desk_paths(tmp_path / "desk").ensure()
    first = migrate.script_directory().get_base()
    engine = create_sqlite_engine(paths.database_file)
    migrate.upgrade(engine, first)
    engine.dispose()
    keyset = load_or_create_keyset(settings.general.desk_id, paths)
    conn = sqlite3.connect(paths.database_file)
    with conn:
        for table, rows in _FIRST_REVISION_ROWS.items():
            for row in rows:
                values = {k: keyset.encrypt(v[2].encode(), v[1]) if isinstance(v, tuple) else v
                          for k, v in row.items()}
                values.update(created_at=_T, updated_at=_T, desk_id=settings.general.desk_id)
                conn.execute(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                             list(values.values()))
                conn.execute("INSERT INTO outbox (table_name, record_id, op, created_at, sent_at) "
                             "VALUES (?, ?, 'upsert', ?, ?)", (table, row["id"], _T, None if table != "venues" else _T))
        conn.execute("INSERT INTO sync_state (name, pulled_until, last_sync_at, last_error) "
                     "VALUES ('pull:venues', ?, ?, 'timeout')", (_T, _T))
    columns = {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in [*_FIRST_REVISION_ROWS, "outbox",
                                                                                    "sync_state"]}
    before = {t: conn.execute(f"SELECT {', '.join(c)} FROM {t} ORDER BY 1").fetchall() for t, c in columns.items()}
    conn.close()
    # Revision 0004 re-keys the shared catalogue rows to their natural-key ids (and the outbox follows).
    rekeyed = {"t1": catalogue_id("support_topics", "mynaportal"), "n1": catalogue_id("venues", "hall-1"),
               "g1": catalogue_id("shared_settings", "office_name")}
    before = {t: sorted((tuple(rekeyed.get(v, v) if isinstance(v, str) else v for v in row) for row in rows),
                        key=lambda r: r[0]) for t, rows in before.items()}

    db = open_database(settings, paths)
    try:
        assert migrate.current_revision(db.engine) == migrate.head_revision() != first
        assert db.migration_backup is not None and db.migration_backup.exists()
        with sqlite3.connect(db.migration_backup) as backup:
            assert backup.execute("SELECT version_num FROM alembic_version").fetchone() == (first,)
            assert backup.execute("SELECT count(*) FROM visit_steps").fetchone() == (2,)
        with db.engine.connect() as raw:  # every original column of every row, unchanged
            after = {t: sorted(map(tuple, raw.exec_driver_sql(f"SELECT {', '.join(c)} FROM {t}").fetchall()),
                               key=lambda r: r[0]) for t, c in columns.items()}
        assert after == before
        with db.session() as s:  # and readable through today's models: decryption, UTC, JSON
            visit = s.get(Visit, "v1")
            assert visit.resident_name == "山田 花子" and visit.answers == {"copies": 2}
            assert visit.procedures == ["juminhyo", "inkan_shomei"] and visit.started_at.tzinfo is not None
            assert [st.step for st in visit.steps] == ["identify", "print"] and visit.forms[0].mode == "overlay"
            session = s.get(SupportSession, "p1")
            assert session.follow_up_contact == "090-1234-5678" and session.follow_up_needed is True
            assert s.scalar(select(SharedSetting.value)) == "試験町役場"
            assert s.scalar(select(func.count()).select_from(Outbox)) == 10
        assert db.pending_count() == 9  # the venue was already sent; the rest still waits
        _add_event(db, seq=2)  # the migrated database takes new records
        with pytest.raises(sa_exc.IntegrityError, match="append-only"), db.engine.begin() as raw:
            raw.execute(text("DELETE FROM audit_events WHERE id = 'a1'"))  # migrated rows are protected too
    finally:
        db.close()
