"""Issue 20, written as the attack: someone with the database file and a shell, but no password and no key.

They edit the file with sqlite3, copy files over each other, delete the WAL, truncate
the database; then an honest supervisor runs ``dxdesk audit verify``, or the desk
simply carries on. Every one of these must be reported (exit 1, the event named) or
refused, never "intact".
"""
from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from dxdesk.cli import main
from dxdesk.config import load_settings, save_settings
from dxdesk.paths import app_paths
from dxdesk.store.database import open_database
from signin import ADMIN_PW, AS_ADMIN, create_accounts

from .conftest import drop_audit_triggers
from .test_audit_keyed import _rewrite_plain_from

AS_BOSS = ("--as", "boss")


@pytest.fixture
def desk(prompts):
    """A desk with accounts and some history; returns the live database path."""
    create_accounts()
    assert main(["account", "list", *AS_ADMIN]) == 0
    assert main(["account", "unlock", "clerk", *AS_ADMIN]) == 0
    return app_paths().database_file


def _sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        drop_audit_triggers(conn)
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def _top(path: Path) -> int:
    with closing(sqlite3.connect(path)) as conn, conn:  # closed: an open handle makes restore see the file in use
        return conn.execute("SELECT max(seq) FROM audit_events").fetchone()[0]


def _verify(capsys) -> tuple[int, str]:
    code = main(["audit", "verify", *AS_BOSS])
    return code, capsys.readouterr().out


def test_an_honest_desk_verifies(desk, capsys):
    code, out = _verify(capsys)
    assert code == 0 and "audit chain intact" in out


def test_a_chain_rewritten_as_legacy_and_padded_fails_before_the_supervisor_signs_in(desk, capsys):
    top = _top(desk)
    conn = sqlite3.connect(desk, isolation_level=None)
    drop_audit_triggers(conn)
    # Hide the failed sign-ins: drop one event from the middle, renumber, re-link without the key, pad back.
    conn.execute("DELETE FROM audit_events WHERE seq = 3")
    conn.execute("UPDATE audit_events SET seq = seq - 1 WHERE seq > 3")
    cols = [c[1] for c in conn.execute("PRAGMA table_info(audit_events)")]
    picked = ", ".join({"id": "'pad'", "seq": "?", "event_type": "'auth.sign_out'"}.get(c, c) for c in cols)
    conn.execute(f"INSERT INTO audit_events ({', '.join(cols)}) SELECT {picked} FROM audit_events WHERE seq = ?",
                 (top, top - 1))
    _rewrite_plain_from(conn, 1)
    conn.execute("CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
                 "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")
    conn.execute("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                 "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")
    conn.close()
    code, out = _verify(capsys)
    assert code == 1 and "broken at event seq 1" in out and "cut-over point" in out
    code, out = _verify(capsys)  # the first verify's own sign-in does not make it pass the second time
    assert code == 1 and "broken" in out


def test_deleting_the_newest_events_fails_and_stays_failed_after_the_next_sign_in(desk, capsys):
    top = _top(desk)
    _sql(desk, f"DELETE FROM audit_events WHERE seq > {top - 2}")
    code, out = _verify(capsys)
    assert code == 1 and f"events after seq {top - 2} are missing" in out
    assert main(["account", "list", *AS_ADMIN]) == 0  # the desk carries on: a sign-in appends
    code, out = _verify(capsys)
    assert code == 1 and f"broken at event seq {top - 1}" in out and f"after seq {top - 2} were missing" in out
    with closing(sqlite3.connect(desk)) as conn, conn:  # closed: an open handle makes restore see the file in use
        assert conn.execute(f"SELECT event_type FROM audit_events WHERE seq = {top - 1}").fetchone()[0] == "audit.gap"


def test_deleting_every_event_fails(desk, capsys):
    _sql(desk, "DELETE FROM audit_events")
    code, out = _verify(capsys)
    assert code == 1 and "events after seq 0 are missing" in out


def test_an_older_database_file_copied_over_the_live_one_fails(desk, tmp_path, capsys):
    old = tmp_path / "yesterday.sqlite3"
    shutil.copyfile(desk, old)  # the app is closed: a plain copy is a consistent file
    assert main(["account", "deactivate", "clerk", *AS_ADMIN]) == 0  # today's work
    top = _top(desk)
    shutil.copyfile(old, desk)
    code, out = _verify(capsys)
    assert code == 1 and f"this desk last wrote seq {top}" in out


def test_a_lost_wal_fails(desk, capsys):
    db = open_database()  # a running desk: its newest commits are still in the WAL
    try:
        with db.session() as orm:
            orm.execute(__import__("sqlalchemy").text("SELECT 1"))
        from dxdesk.security.audit import AuditEntry, AuditLog, EventType

        AuditLog(db).append(AuditEntry(EventType.SIGN_OUT, None))
        wal = Path(f"{desk}-wal")
        assert wal.exists() and wal.stat().st_size > 0
        main_file_only = desk.read_bytes()  # what is left when the WAL is lost (power cut, copied file)
    finally:
        db.close()
    desk.write_bytes(main_file_only)
    Path(f"{desk}-wal").unlink(missing_ok=True)
    code, out = _verify(capsys)
    assert code == 1 and "are missing" in out


def test_dropped_triggers_are_reported_and_recreated_only_by_an_administrator(desk, capsys):
    _sql(desk)  # drops the append-only triggers, changes nothing else
    code, out = _verify(capsys)
    assert code == 1 and "append-only triggers of audit_events are missing" in out
    assert main(["db", "status"]) == 0  # nothing recreates them behind anyone's back
    assert _verify(capsys)[0] == 1
    assert main(["audit", "repair-triggers", *AS_BOSS]) == 2  # a supervisor audits; repairs are an admin's
    assert main(["audit", "repair-triggers", *AS_ADMIN]) == 0
    assert "recreated audit_events_no_update, audit_events_no_delete" in capsys.readouterr().out
    code, out = _verify(capsys)
    assert code == 0 and "intact" in out
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with closing(sqlite3.connect(desk)) as conn, conn:  # closed: an open handle makes restore see the file in use
            conn.execute("DELETE FROM audit_events")


# ----------------------------------------------------- a desk with history
@pytest.mark.parametrize("how", ["truncate", "delete"])
def test_a_desk_with_history_never_starts_on_an_empty_or_missing_database(desk, how, capsys):
    if how == "truncate":
        desk.write_bytes(b"")
    else:
        desk.unlink()
    for argv in (["account", "add", "evil"], ["account", "list", *AS_ADMIN], ["support", "topics"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "has history" in err and str(app_paths().backup_dir) in err and "dxdesk db restore" in err
    assert main(["db", "status"]) == 1  # read-only, and says what to do
    assert "dxdesk db restore" in capsys.readouterr().out
    assert (desk.stat().st_size == 0) if how == "truncate" else not desk.exists()  # nothing was created


def test_no_new_first_administrator_where_accounts_were_removed_behind_dxdesks_back(desk, prompts, capsys):
    _sql(desk, "DELETE FROM clerks")
    assert main(["account", "add", "evil"]) == 2
    assert "has history" in capsys.readouterr().err
    with closing(sqlite3.connect(desk)) as conn, conn:  # closed: an open handle makes restore see the file in use
        assert conn.execute("SELECT count(*) FROM clerks").fetchone()[0] == 0


def test_a_lost_database_comes_back_only_through_an_audited_restore(desk, tmp_path, capsys):
    backup = tmp_path / "b.sqlite3"
    assert main(["db", "backup", str(backup), *AS_ADMIN]) == 0
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    desk.write_bytes(b"")
    assert main(["db", "restore", str(backup), *AS_ADMIN]) == 2  # no terminal to confirm on
    assert "--yes" in capsys.readouterr().err and desk.stat().st_size == 0
    assert main(["db", "restore", str(backup), *AS_ADMIN, "--yes"]) == 0  # the admin signs in on the backup
    code, out = _verify(capsys)
    assert code == 0 and "intact" in out
    with closing(sqlite3.connect(desk)) as conn, conn:  # closed: an open handle makes restore see the file in use
        details = conn.execute("SELECT details FROM audit_events WHERE event_type = 'db.restore'").fetchone()[0]
    import json

    recorded = json.loads(details)
    assert recorded["from_seq"] > recorded["to_seq"] and recorded["from_hash"].startswith("h1:")


# ----------------------------------------------------------------- restore
def test_restore_rolls_back_only_as_an_audited_step_from_head_to_head(desk, tmp_path, capsys):
    backup = tmp_path / "b.sqlite3"
    assert main(["db", "backup", str(backup), *AS_ADMIN]) == 0
    assert main(["account", "deactivate", "clerk", *AS_ADMIN]) == 0
    top = _top(desk)
    assert main(["db", "restore", str(backup), *AS_ADMIN, "--yes"]) == 0
    assert f"head seq {top + 1} ->" in capsys.readouterr().out  # the restoring admin's sign-in included
    code, out = _verify(capsys)
    assert code == 0, out


def _live_bytes() -> str:
    """The live database's content (a refused restore may check the file's journal mode, nothing else)."""
    conn = sqlite3.connect(app_paths().database_file)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def test_restore_of_a_newer_schema_touches_nothing(desk, tmp_path, capsys):
    backup = tmp_path / "future.sqlite3"
    assert main(["db", "backup", str(backup), *AS_ADMIN]) == 0
    with closing(sqlite3.connect(backup)) as conn, conn:  # closed: an open handle makes restore see the file in use
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    before = _live_bytes()
    assert main(["db", "restore", str(backup), *AS_ADMIN, "--yes"]) == 2
    assert "newer than this dxdesk" in capsys.readouterr().err
    assert _live_bytes() == before and not list(app_paths().backup_dir.glob("*before-restore*"))


def test_restore_of_a_backup_with_a_doctored_audit_log_touches_nothing(desk, tmp_path, capsys):
    backup = tmp_path / "doctored.sqlite3"
    assert main(["db", "backup", str(backup), *AS_ADMIN]) == 0
    _sql(backup, "UPDATE audit_events SET result = 'failure' WHERE seq = 2")
    before = _live_bytes()
    assert main(["db", "restore", str(backup), *AS_ADMIN, "--yes"]) == 2
    assert "audit chain broken at event seq 2" in capsys.readouterr().err
    assert _live_bytes() == before


def test_restore_of_a_damaged_file_touches_nothing(desk, tmp_path, capsys):
    backup = tmp_path / "damaged.sqlite3"
    assert main(["db", "backup", str(backup), *AS_ADMIN]) == 0
    data = backup.read_bytes()
    backup.write_bytes(data[: len(data) // 2])  # a copy cut short
    before = _live_bytes()
    assert main(["db", "restore", str(backup), *AS_ADMIN, "--yes"]) == 2
    err = capsys.readouterr().err
    assert "damaged" in err or "integrity" in err
    assert _live_bytes() == before


# ----------------------------------------------------------------- outputs
def test_outputs_never_replace_the_database_keys_or_settings_even_with_force(desk, capsys):
    paths = app_paths()
    secrets = sorted((paths.config_dir / "secrets").iterdir())
    before = desk.read_bytes()
    for target in (desk, paths.settings_file, secrets[0]):
        for force in ((), ("--force",)):
            assert main(["support", "report", "--fy", "2026", "--csv", str(target), *force, *AS_BOSS]) == 2
            assert main(["audit", "export", "--csv", str(target), *force, *AS_BOSS]) == 2
            assert main(["db", "backup", str(target), *force, *AS_ADMIN]) == 2
            assert "dxdesk's own files" in capsys.readouterr().err
    assert desk.read_bytes() == before
    code, out = _verify(capsys)
    assert code == 0


def test_exports_refuse_an_existing_file_without_force_and_are_owner_only(desk, tmp_path, capsys):
    out = tmp_path / "audit.csv"
    out.write_text("keep me", encoding="utf-8")
    assert main(["audit", "export", "--csv", str(out), *AS_BOSS]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_text(encoding="utf-8") == "keep me"
    os.umask(0o022)
    assert main(["audit", "export", "--csv", str(out), "--force", *AS_BOSS]) == 0
    assert oct(out.stat().st_mode & 0o777) == "0o600" and "seq" in out.read_text(encoding="utf-8-sig")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


# -------------------------------------------------------------------- sync
def test_routine_sync_refuses_a_server_written_into_settings_by_hand(desk, capsys):
    assert main(["db", "set-server", "postgresql://dxdesk@town.example/dxdesk", "--no-password", "--insecure-no-tls",
                 *AS_ADMIN]) == 0
    settings = load_settings()
    settings.store.server_url = "postgresql://dxdesk@attacker.example/dxdesk"  # edited settings.toml
    save_settings(settings)
    assert main(["sync"]) == 2
    assert "not set by an administrator" in capsys.readouterr().err
    with closing(sqlite3.connect(desk)) as conn, conn:  # closed: an open handle makes restore see the file in use
        row = conn.execute("SELECT actor, result FROM audit_events WHERE event_type = 'sync.run'").fetchone()
    assert row == ("desk", "denied")


def test_a_restore_the_administrator_declines_changes_nothing(desk, tmp_path):
    from dxdesk.app import maintenance
    from dxdesk.clisession import sign_in
    from dxdesk.store.errors import StoreError

    backup = tmp_path / "b.sqlite3"
    assert main(["db", "backup", str(backup), *AS_ADMIN]) == 0
    before = _live_bytes()
    questions: list[str] = []

    def decline(question: str) -> bool:
        questions.append(question)
        return False

    paths = app_paths()
    with pytest.raises(StoreError, match="Cancelled"):
        maintenance.restore(load_settings(paths), paths, lambda auth: sign_in(auth, "admin", "restoring"),
                            backup, decline)
    assert len(questions) == 1 and "rolled back" in questions[0]
    after = _live_bytes()
    removed = set(before.splitlines()) - set(after.splitlines())
    added = set(after.splitlines()) - set(before.splitlines())
    assert not removed  # only the administrator's sign-in was recorded (with its outbox row)
    assert [line for line in added if line.startswith('INSERT INTO "audit_events"')] and all(
        "auth.sign_in" in line or line.startswith('INSERT INTO "outbox"') for line in added)
    assert not list(paths.backup_dir.glob("*before-restore*"))
    assert not list(paths.data_dir.glob("*.restoring*"))


def test_scripts_give_the_password_on_stdin(desk, monkeypatch, prompts):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(f"{ADMIN_PW}\n"))
    asked = len(prompts)
    assert main(["db", "work-offline", "on", "--as", "admin", "--password-stdin"]) == 0
    assert len(prompts) == asked and load_settings().store.work_offline is True  # no prompt was shown
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong\n"))
    assert main(["db", "work-offline", "off", "--as", "admin", "--password-stdin"]) == 2
    assert load_settings().store.work_offline is True
