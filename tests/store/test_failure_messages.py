"""What a person sees when the local database cannot be used: one plain sentence, never a traceback.

Each failure is made real (see tests/storefaults.py for how, also as root) and then met
the way a town meets it: through the CLI as a separate process (``dxdesk support add``,
``dxdesk support list`` signed in, ``dxdesk db status``), and through the window's one
translator (``dxdesk.ui.errors.error_text``) applied to what the store raised.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from accounts import add_ready_account
from sqlalchemy import select, update
from storefaults import (
    damage_ciphertext,
    damage_value,
    garble_header,
    read_only,
    truncate_file,
    write_lock_held_by_another_program,
)

from dxdesk import i18n
from dxdesk.config import load_settings
from dxdesk.errors import DxError
from dxdesk.paths import app_paths
from dxdesk.security.audit import AuditLog
from dxdesk.security.auth import AuthService
from dxdesk.security.passwords import PasswordHashError, ScryptParams
from dxdesk.security.permissions import Role
from dxdesk.store.crypto import MSG_CANNOT_DECRYPT
from dxdesk.store.database import open_database
from dxdesk.store.errors import (
    DamagedRecordError,
    DatabaseCorruptError,
    DatabaseLockedError,
    DatabaseReadOnlyError,
    DataFolderReadOnlyError,
    DiskFullError,
)
from dxdesk.store.models import SupportSession
from dxdesk.ui.errors import error_text

PASSWORD = "correct horse 1"
CONTACT = "090-1234-5678"
ADD = ["support", "add", "--topics", "power,line", "--age", "75-79", "--device", "android", "--attendees", "1",
       "--helpers", "1", "--duration", "20", "--outcome", "resolved", "--venue", "中央公民館",
       "--venue-type", "community_hall", "--as", "vol"]
LIST = ["support", "list", "--as", "vol"]
STATUS = ["db", "status"]


@pytest.fixture(autouse=True)
def desk() -> Path:
    """A desk with a supporter account and one logged session whose follow-up contact is stored encrypted."""
    db = open_database()
    try:
        auth = AuthService(db, AuditLog(db), load_settings().security, params=ScryptParams(n=2**6, r=8, p=1))
        admin = auth.create_first_admin("admin", "管理者", PASSWORD)
        add_ready_account(auth, admin, "vol", "vol", Role.SUPPORTER, PASSWORD)
    finally:
        db.close()
    code, _, err = cli(*ADD)
    assert code == 0, err
    db = open_database()
    try:
        db.writer.run(lambda s: s.execute(update(SupportSession).values(follow_up_needed=True,
                                                                        follow_up_contact=CONTACT)))
    finally:
        db.close()  # checkpoints: the file alone holds everything, no -wal/-shm left beside it
    path = app_paths().database_file
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
    return path


def cli(*argv: str) -> tuple[int, str, str]:
    """``dxdesk ARGV`` as its own process; the password comes on stdin (no terminal: new session)."""
    proc = subprocess.run([sys.executable, "-m", "dxdesk", *argv], input=PASSWORD + "\n", capture_output=True,
                          text=True, timeout=180, start_new_session=True, env=os.environ.copy(), check=False)
    return proc.returncode, proc.stdout, proc.stderr


def assert_refused(result: tuple[int, str, str], error: DxError) -> None:
    code, out, err = result
    assert code == 2, (out, err)
    assert f"dxdesk: {error.message.en}" in err
    for leak in ("Traceback", "unexpected error", "OperationalError", "DatabaseError", "sqlite3.", CONTACT):
        assert leak not in err and leak not in out


def assert_window_says(exc: BaseException, error: DxError) -> None:
    """The window's translator gives the same sentence, in Japanese and in English."""
    assert type(exc) is type(error)
    try:
        for language in ("ja", "en"):
            i18n.set_language(language)
            assert error_text(exc) == error.message.text(language)
    finally:
        i18n.set_language("ja")


def session_count(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM support_sessions").fetchone()[0])
    finally:
        conn.close()


def write_one(db) -> None:  # type: ignore[no-untyped-def]
    db.writer.run(lambda s: s.execute(update(SupportSession).values(note="edited")))


def test_read_only_database_file(desk):
    with read_only(desk):
        assert_refused(cli(*ADD), DatabaseReadOnlyError())
        assert_refused(cli(*LIST), DatabaseReadOnlyError())  # signing in is recorded, so it cannot start
        code, out, err = cli(*STATUS)
        assert "schema:    current" in out  # status still reads what it can ...
        assert_refused((code, out, err), DatabaseReadOnlyError())  # ... and says what is wrong
        assert "read-only, so nothing can be recorded" in cli("doctor")[1]  # where the message sends them
        db = open_database()
        try:
            with pytest.raises(DxError) as raised:
                write_one(db)
        finally:
            db.close()
        assert_window_says(raised.value, DatabaseReadOnlyError())
    assert session_count(desk) == 1


def test_read_only_data_folder(desk):
    with read_only(desk.parent):
        assert_refused(cli(*ADD), DataFolderReadOnlyError())
        assert_refused(cli(*LIST), DataFolderReadOnlyError())
        assert_refused(cli(*STATUS), DataFolderReadOnlyError())
        doctor = cli("doctor")[1]
        assert f"cannot write to {desk.parent}" in doctor
        assert "its folder is read-only" in doctor  # the file is fine: no advice to restore a backup over it
        assert "restore a backup" not in doctor
        with pytest.raises(DxError) as raised:
            open_database().close()
        assert_window_says(raised.value, DataFolderReadOnlyError())
    assert session_count(desk) == 1


def test_database_file_locked_by_another_program(desk):
    with write_lock_held_by_another_program(desk):
        # Each refused write first waits out SQLite's busy timeout (5 s): the sentence is what is checked here.
        assert_refused(cli(*ADD), DatabaseLockedError())
        db = open_database(busy_timeout_ms=100)
        try:
            with pytest.raises(DxError) as raised:
                write_one(db)
        finally:
            db.close()
        assert_window_says(raised.value, DatabaseLockedError())
    assert session_count(desk) == 1
    assert cli(*LIST)[0] == 0  # and all is well once the other program lets go


def test_damaged_ciphertext_in_one_row(desk):
    damage_ciphertext(desk, "support_sessions", "follow_up_contact")
    assert_refused(cli(*LIST), DamagedRecordError(MSG_CANNOT_DECRYPT))  # says which kind of damage
    db = open_database()
    try:
        with pytest.raises(DxError) as raised, db.session() as s:
            s.scalars(select(SupportSession)).all()
    finally:
        db.close()
    assert_window_says(raised.value, DamagedRecordError(MSG_CANNOT_DECRYPT))
    assert "復号できません" in error_text(raised.value)


@pytest.mark.parametrize("column, value", [("started_at", "garbage-time"), ("topics", "[garbage-json")])
def test_stored_value_that_does_not_parse(desk, column, value):
    damage_value(desk, "support_sessions", column, value)
    assert_refused(cli(*LIST), DamagedRecordError())
    db = open_database()
    try:
        with pytest.raises(DxError) as raised, db.session() as s:
            s.scalars(select(SupportSession)).all()
    finally:
        db.close()
    assert_window_says(raised.value, DamagedRecordError())
    # The parse error quotes the value; it is not passed on to the log either.
    assert "garbage" not in app_paths().log_file.read_text(encoding="utf-8")


def test_damaged_password_hash_of_an_account(desk):
    conn = sqlite3.connect(desk)
    with conn:
        conn.execute("UPDATE clerks SET password_hash = 'scrypt$garbled' WHERE login = 'vol'")
    conn.close()
    assert_refused(cli(*LIST), PasswordHashError("test"))
    assert cli("account", "list", "--as", "admin")[0] == 0  # the other accounts still sign in


@pytest.mark.parametrize("damage", [truncate_file, garble_header], ids=["truncated", "garbled"])
def test_corrupt_database_file(desk, damage):
    damage(desk)
    assert_refused(cli(*LIST), DatabaseCorruptError())
    assert_refused(cli(*STATUS), DatabaseCorruptError())
    with pytest.raises(DxError) as raised:
        open_database().close()
    assert_window_says(raised.value, DatabaseCorruptError())


def test_disk_full(desk, monkeypatch, capsys):
    """SQLite's own "database or disk is full" (SQLITE_FULL), made real by capping the file at its current size
    (``PRAGMA max_page_count``): a full disk cannot be arranged here (no tmpfs mount), and SQLite reports both
    the same way. The CLI runs in this process for that, so the cap applies to it."""
    from sqlalchemy import event

    from dxdesk.cli import main
    from dxdesk.store import database

    real_engine = database.create_sqlite_engine

    def capped(path, busy_timeout_ms=database.DEFAULT_BUSY_TIMEOUT_MS):  # type: ignore[no-untyped-def]
        engine = real_engine(path, busy_timeout_ms)

        @event.listens_for(engine, "connect")
        def _cap(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
            dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

        return engine

    conn = sqlite3.connect(desk)
    conn.execute("VACUUM")  # no free pages left inside the file either
    conn.close()
    monkeypatch.setattr(database, "create_sqlite_engine", capped)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSWORD)
    big_note = "長" * 2000  # 6000 bytes: needs pages the capped file does not have
    code = main([*ADD, "--note", big_note])
    err = capsys.readouterr().err
    assert_refused((code, "", err), DiskFullError())
    db = open_database()
    try:
        with pytest.raises(DxError) as raised:
            db.writer.run(lambda s: s.execute(update(SupportSession).values(note=big_note)))
    finally:
        db.close()
    assert_window_says(raised.value, DiskFullError())
    monkeypatch.undo()
    assert session_count(desk) == 1


def test_a_true_bug_is_still_called_unexpected(monkeypatch, capsys):
    from dxdesk.cli import main
    from dxdesk.store import cli as store_cli

    def broken(args):  # type: ignore[no-untyped-def]
        raise KeyError("a bug")

    monkeypatch.setattr(store_cli, "_status", broken)
    assert main(STATUS) == 1
    err = capsys.readouterr().err
    assert "unexpected error (KeyError)" in err and "Traceback" not in err
