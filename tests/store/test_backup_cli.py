from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from dxdesk.cli import main
from dxdesk.config import load_settings
from dxdesk.paths import app_paths
from dxdesk.store.backup import backup_sqlite, restore_sqlite
from dxdesk.store.database import open_database
from dxdesk.store.errors import StoreError
from dxdesk.store.keys import SERVER_PASSWORD_USER, get_secret
from dxdesk.store.models import Visit
from signin import AS_ADMIN, SERVER_PW

YES = ("--yes",)


def _add(name: str) -> None:
    db = open_database()
    try:
        db.writer.run(lambda s: s.add(Visit(resident_name=name)))
    finally:
        db.close()


def _names() -> list[str]:
    db = open_database()
    try:
        with db.session() as s:
            return sorted(s.scalars(select(Visit.resident_name)))
    finally:
        db.close()


def test_backup_and_restore_round_trip_through_the_cli(tmp_path: Path, capsys, desk_accounts):
    _add("佐藤 一郎")
    out = tmp_path / "copy.sqlite3"
    assert main(["db", "backup", str(out), *AS_ADMIN]) == 0
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    _add("鈴木 次郎")
    assert _names() == ["佐藤 一郎", "鈴木 次郎"]

    assert main(["db", "restore", str(out), *AS_ADMIN, *YES]) == 0
    assert _names() == ["佐藤 一郎"]
    kept = list(app_paths().backup_dir.glob("*before-restore*"))
    assert len(kept) == 1  # the replaced database is kept, with the record made after the backup
    with sqlite3.connect(kept[0]) as conn:
        assert conn.execute("SELECT count(*) FROM visits").fetchone()[0] == 2
    assert "restored" in capsys.readouterr().out


def test_backup_is_consistent_while_the_writer_is_busy(db, tmp_path: Path):
    for i in range(20):
        db.writer.submit(lambda s, i=i: s.add(Visit(total_seconds=i)))
    copy = backup_sqlite(db.path, tmp_path / "live.sqlite3")
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        visits, outbox = (conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("visits", "outbox"))
    assert visits == outbox  # every committed visit came with its outbox row: no torn transaction


def test_restore_refuses_files_that_are_not_dxdesk_databases(tmp_path: Path, capsys, desk_accounts):
    _add("x")
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    assert main(["db", "restore", str(junk), *AS_ADMIN, *YES]) == 2
    err = capsys.readouterr().err
    assert "junk.sqlite3 is not a dxdesk database or is damaged" in err
    assert ".restoring" not in err  # the file the administrator named, not our staging copy
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (a)")
    with pytest.raises(StoreError, match="not a dxdesk database"):
        restore_sqlite(other, app_paths().database_file, tmp_path)
    assert _names() == ["x"]  # untouched


def test_restore_refuses_while_the_database_is_in_use(tmp_path: Path, capsys, desk_accounts):
    _add("x")
    out = tmp_path / "copy.sqlite3"
    assert main(["db", "backup", str(out), *AS_ADMIN]) == 0
    holder = sqlite3.connect(app_paths().database_file, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        assert main(["db", "restore", str(out), *AS_ADMIN, *YES]) == 2
    finally:
        holder.rollback()
        holder.close()
    assert "in use" in capsys.readouterr().err


def test_restore_and_rotate_key_refuse_while_an_idle_dxdesk_has_the_database_open(tmp_path: Path, capsys, desk_accounts):
    # A running app holds pooled connections between saves, with no transaction and (in WAL mode)
    # no lock that BEGIN EXCLUSIVE would trip over. Replacing the file under it, or rotating the key
    # it encrypts with, would lose what it writes next.
    _add("x")
    out = tmp_path / "copy.sqlite3"
    assert main(["db", "backup", str(out), *AS_ADMIN]) == 0
    running = open_database()
    try:
        with running.session() as s:
            assert s.scalars(select(Visit.resident_name)).all() == ["x"]
        assert main(["db", "restore", str(out), *AS_ADMIN, *YES]) == 2
        assert "close it before restoring" in capsys.readouterr().err
        assert main(["db", "rotate-key", *AS_ADMIN, *YES]) == 2
        assert "close it before rotating the key" in capsys.readouterr().err
        running.writer.run(lambda s: s.add(Visit(resident_name="y")))  # the app is unharmed
    finally:
        running.close()
    assert _names() == ["x", "y"]


def test_status_upgrade_and_server_settings(monkeypatch, capsys, desk_accounts):
    assert main(["db", "upgrade", *AS_ADMIN]) == 0
    assert main(["db", "status"]) == 0
    out = capsys.readouterr().out
    assert "up to date" in out and "key file (no keyring" in out and "local only" in out

    assert main(["sync"]) == 2
    assert "no server configured" in capsys.readouterr().err

    assert main(["db", "set-server", "postgresql://dxdesk@server.example/dxdesk", "--insecure-no-tls", *AS_ADMIN]) == 0
    assert load_settings().store.server_url == "postgresql://dxdesk@server.example/dxdesk"
    assert get_secret(SERVER_PASSWORD_USER) == SERVER_PW
    assert SERVER_PW not in app_paths().settings_file.read_text()

    assert main(["db", "set-server", "postgresql://dxdesk:pw@server/dxdesk", "--insecure-no-tls", *AS_ADMIN]) == 2
    assert "password" in capsys.readouterr().err

    assert main(["db", "work-offline", "on", *AS_ADMIN]) == 0
    assert load_settings().store.work_offline is True
    assert main(["sync"]) == 2
    assert "work offline is on" in capsys.readouterr().err


def test_rotate_key_command(capsys, desk_accounts):
    _add("田中 三郎")
    assert main(["db", "rotate-key", *AS_ADMIN, *YES]) == 0
    assert "1 record(s) re-encrypted" in capsys.readouterr().out
    assert _names() == ["田中 三郎"]


def test_doctor_check_reports_the_database_without_creating_it():
    from dxdesk.doctor import Status
    from dxdesk.store import doctor_check

    paths = app_paths()
    first = doctor_check(paths)
    assert first.status is Status.OK and "no database yet" in first.detail
    assert not paths.database_file.exists()
    _add("x")
    report = doctor_check(paths)
    # No server was ever set: nothing is queued (issue #17), so nothing is said to wait.
    assert report.status is Status.OK and "0 record(s) waiting to sync" in report.detail
    assert "key file (no keyring" in report.detail
    paths.database_file.write_bytes(b"garbage" * 1000)
    assert doctor_check(paths).status is Status.FAIL


def test_a_failed_backup_leaves_no_partial_file(tmp_path: Path):
    # A full disk or a damaged source stops the copy part-way: nothing half-written may stay beside OUT
    # (a clerk would take "backup.sqlite3.partial" for a backup).
    source = tmp_path / "not-a-database.sqlite3"
    source.write_bytes(b"\x13" * 5000)
    out = tmp_path / "out" / "backup.sqlite3"
    with pytest.raises(sqlite3.DatabaseError):
        backup_sqlite(source, out)
    assert list(out.parent.iterdir()) == []
