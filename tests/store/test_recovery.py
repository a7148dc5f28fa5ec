"""Town recovery of a lost PC (#13 item 4): recovery key set-up, restore on a new PC, reading the server."""
from __future__ import annotations

import io
import re
import shutil
import sqlite3

import pytest
from sqlalchemy import create_engine, select

from dxdesk.cli import main
from dxdesk.config import load_settings, save_settings
from dxdesk.paths import app_paths
from dxdesk.security.audit import AuditLog, load_records
from dxdesk.security.auditchain import verify_chain
from dxdesk.security.auditkey import load_audit_key
from dxdesk.security.recoverykey import (
    RecoveryKeyError, RecoverySecret, fingerprint, fingerprint_id, legacy_fingerprint, stored_fingerprints,
    typed_fingerprint, unwrap, wrap,
)
from dxdesk.store.database import open_database
from dxdesk.store.escrow import read_desk_from_server
from dxdesk.store.errors import EncryptionKeyError
from dxdesk.store.models import DeskKey, SupportSession, Visit
from dxdesk.store.rotate import rotate_key
from dxdesk.store.server import parse_server_url
from dxdesk.store.servertls import INSECURE

NAME, CONTACT = "山田 花子", "090-1234-5678"


def test_secret_text_round_trip_and_typo_is_caught():
    secret = RecoverySecret.generate()
    assert RecoverySecret.parse(secret.text()) == secret
    typed = secret.grouped.lower().replace("-", " ") + "  " + secret.check_code
    assert RecoverySecret.parse(typed) == secret
    wrong = ("A" if secret.grouped[0] != "A" else "B") + secret.grouped[1:]
    with pytest.raises(RecoveryKeyError) as caught:
        RecoverySecret.parse(f"{wrong} {secret.check_code}")
    assert "check code" in str(caught.value)
    sealed = wrap(secret.public, b"k" * 32, "ctx-a")
    assert unwrap(secret, sealed, "ctx-a") == b"k" * 32
    with pytest.raises(RecoveryKeyError):
        unwrap(secret, sealed, "ctx-b")  # a wrapped key moved to another desk's row does not open
    with pytest.raises(RecoveryKeyError) as other:
        unwrap(RecoverySecret.generate(), sealed, "ctx-a")
    assert fingerprint(secret.public) in str(other.value)


def test_the_fingerprint_is_16_hex_digits_in_groups_of_4_typed_any_way():
    public = RecoverySecret.generate().public
    fp = fingerprint(public)
    assert re.fullmatch(r"[0-9a-f]{4}(-[0-9a-f]{4}){3}", fp)
    assert fingerprint_id(public) == fp.replace("-", "") and len(fingerprint_id(public)) == 16  # fits the column
    assert legacy_fingerprint(public) == fp[:9]  # what earlier versions printed: its first 8 digits
    full_width = fp.upper().translate(str.maketrans("0123456789ABCDEF-", "０１２３４５６７８９ＡＢＣＤＥＦ－"))
    for typed in (fp, fp.upper(), fp.replace("-", ""), fp.replace("-", " "), f"  {fp.upper().replace('-', ' - ')} ",
                  full_width, fp.replace("-", "ー")):
        assert typed_fingerprint(typed) == fp, typed
    assert typed_fingerprint(legacy_fingerprint(public).upper()) == legacy_fingerprint(public)
    assert typed_fingerprint("3f2a-91c0-5b7e-0d1") == "3f2a-91c0-5b7e-0d1"  # a digit short: named as typed
    assert typed_fingerprint("3f2a-91c0-5b7e-0d1x") == "3f2a-91c0-5b7e-0d1x"


def test_a_desk_set_up_by_an_earlier_version_still_reads_its_short_fingerprint_rows(tmp_path, monkeypatch, capsys,
                                                                                      desk_accounts):
    """desk_keys rows, wraps and the confirmation that an earlier version wrote hold the 8-digit fingerprint:
    they still count (nothing is wrapped again, no confirmation asked) and a backup still opens with the sheet."""
    from dxdesk.app.recovery import RecoveryKeys
    from dxdesk.security import recoverykey
    from dxdesk.store import escrow
    from dxdesk.store.problems import current_problems

    safe = tmp_path / "usb"
    safe.mkdir()
    with monkeypatch.context() as earlier_version:  # stores the short form, as dxdesk did before
        earlier_version.setattr(recoverykey, "fingerprint_id", recoverykey.legacy_fingerprint)
        earlier_version.setattr(escrow, "fingerprint_id", recoverykey.legacy_fingerprint)
        assert main(["db", "recovery-setup", "--out", str(safe / "town.key"), "--as", "admin"]) == 0
    secret = RecoverySecret.parse((safe / "town.key").read_text())
    short = legacy_fingerprint(secret.public)
    desk_id = _fill_desk()
    db = open_database()
    try:
        with db.session() as s:
            rows = s.execute(select(DeskKey.recovery_fingerprint, DeskKey.wrapped)).all()
        assert len(rows) == 2 and all(fp == short and wrapped.startswith(f"r1:{short}:") for fp, wrapped in rows)
        assert escrow.ensure_wrapped_keys(db) == 0  # the short rows are this key's: nothing wrapped twice
        assert escrow.awaiting_confirmation(db) is None and "recovery_key" not in current_problems(db)
        state = RecoveryKeys(db, AuditLog(db)).state()
        assert (state.town_key, state.wrapped) == (fingerprint(secret.public), ("audit", "database"))
    finally:
        db.close()
    capsys.readouterr()
    assert main(["db", "status"]) == 0
    assert f"recovery:  town key {fingerprint(secret.public)}; wrapped here: audit, database" in capsys.readouterr().out

    backup = tmp_path / "b.sqlite3"
    assert main(["db", "backup", str(backup), "--as", "admin"]) == 0
    shutil.rmtree(app_paths().config_dir.parent)  # the PC is lost
    monkeypatch.setenv("DXDESK_HOME", str(tmp_path / "new-pc"))
    assert main(["db", "restore", str(backup), "--recovery-sheet", str(safe / "town.key"), "--as", "admin",
                 "--yes"]) == 0
    assert load_settings(app_paths()).general.desk_id == desk_id
    db = open_database()
    try:
        with db.session() as s:
            assert s.scalars(select(Visit.resident_name)).one() == NAME
    finally:
        db.close()


def _fill_desk():
    from dxdesk.security.audit import AuditEntry

    db = open_database()
    try:
        db.writer.run(lambda s: s.add(Visit(resident_name=NAME, procedures=["juminhyo"], my_number="123456789018")))
        db.writer.run(lambda s: s.add(SupportSession(
            started_at=__import__("dxdesk.store.base", fromlist=["utcnow"]).utcnow(), venue="hall",
            venue_type="community_hall", device="iphone", age_band="80+", outcome="referred",
            follow_up_needed=True, follow_up_contact=CONTACT)))
        AuditLog(db).append(AuditEntry(event_type="card.read", actor=None, jimu_type="住民票", reason="交付",
                                       items=("name",)))
        return db.desk_id
    finally:
        db.close()


@pytest.mark.postgres
def test_lost_pc_restore_with_the_recovery_sheet_and_reading_the_server(tmp_path, pg_url, monkeypatch, capsys,
                                                                       desk_accounts):
    safe = tmp_path / "usb"
    safe.mkdir()
    # An administrator points the desk at the throw-away cluster on 127.0.0.1 (lab opt-out: no TLS there).
    assert main(["db", "set-server", pg_url, "--no-password", "--insecure-no-tls", "--as", "admin"]) == 0
    assert main(["db", "recovery-setup", "--out", str(safe / "town.key"), "--sheet", str(safe / "sheet.pdf"), "--as", "admin"]) == 0
    assert (safe / "sheet.pdf").read_bytes().startswith(b"%PDF")
    assert oct((safe / "town.key").stat().st_mode & 0o777) == "0o600"
    secret_text = (safe / "town.key").read_text()
    for f in app_paths().config_dir.rglob("*"):  # the private half is nowhere in the desk's folders
        assert not f.is_file() or RecoverySecret.parse(secret_text).grouped not in f.read_text(errors="ignore")

    desk_id = _fill_desk()
    assert main(["sync"]) == 0
    capsys.readouterr()
    assert main(["db", "status"]) == 0
    assert f"recovery:  town key {fingerprint(RecoverySecret.parse(secret_text).public)}; wrapped here: audit, " \
        "database" in capsys.readouterr().out
    backup = tmp_path / "backup.sqlite3"
    assert main(["db", "backup", str(backup), "--as", "admin"]) == 0
    with sqlite3.connect(backup) as conn:
        assert sorted(k for (k,) in conn.execute("SELECT kind FROM desk_keys")) == ["audit", "database"]

    # The PC dies: its whole home (key files included) is gone. A new PC gets a fresh home.
    shutil.rmtree(app_paths().config_dir.parent)
    monkeypatch.setenv("DXDESK_HOME", str(tmp_path / "new-pc"))
    settings = load_settings(app_paths())
    settings.store.server_url = pg_url
    settings.store.server_tls = INSECURE  # the throw-away cluster on 127.0.0.1 (lab opt-out)
    save_settings(settings, app_paths())

    # Without the sheet the restored database is refused (never a new key over the old data).
    assert main(["db", "restore", str(backup), "--as", "admin", "--yes"]) == 2
    assert "no new key was made" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(secret_text.split("secret:")[1]))  # typed: secret + check code
    assert main(["db", "restore", str(backup), "--recovery-sheet", "-", "--as", "admin", "--yes"]) == 0

    assert load_settings(app_paths()).general.desk_id == desk_id
    db = open_database()
    try:
        with db.session() as s:
            visit = s.scalars(select(Visit)).one()
            assert (visit.resident_name, visit.my_number) == (NAME, "123456789018")
            assert s.scalars(select(SupportSession.follow_up_contact)).one() == CONTACT
        with db.session() as orm:
            chain = load_records(orm)
        assert verify_chain(chain, load_audit_key(desk_id)).ok  # the audit chain still verifies
        assert {"key.recovery_setup", "key.recovery_restore"} <= {r.event_type for r in chain}
    finally:
        db.close()

    # An administrator reads the lost desk's rows on the server with the same secret.
    server = create_engine(parse_server_url(pg_url))
    try:
        found = read_desk_from_server(server, desk_id, RecoverySecret.parse(secret_text))
    finally:
        server.dispose()
    assert [r["resident_name"] for r in found["visits"]] == [NAME]
    assert [r["follow_up_contact"] for r in found["support_sessions"]] == [CONTACT]
    out = tmp_path / "export"
    assert main(["db", "read-lost-desk", desk_id, "--recovery-sheet", str(safe / "town.key"), "--out", str(out), "--as", "admin"]) == 0
    assert NAME in (out / "visits.csv").read_text(encoding="utf-8-sig")
    db = open_database()
    try:
        with db.session() as orm:
            assert "data.recovery_read" in {r.event_type for r in load_records(orm)}
    finally:
        db.close()


def test_rotate_key_keeps_old_keys_wrapped_so_earlier_backups_open(tmp_path, monkeypatch, capsys, desk_accounts):
    safe = tmp_path / "usb"
    safe.mkdir()
    assert main(["db", "recovery-setup", "--out", str(safe / "town.key"), "--as", "admin"]) == 0
    desk_id = _fill_desk()
    old_backup = tmp_path / "before-rotation.sqlite3"
    assert main(["db", "backup", str(old_backup), "--as", "admin"]) == 0

    db = open_database()
    try:
        old_id = db.keyset.current
        rotate_key(db)
        assert list(db.keyset.keys) == [db.keyset.current] != [old_id]  # the key store has only the new key
        with db.session() as s:
            wrapped = s.scalars(select(DeskKey.key_ids).where(DeskKey.kind == "database")).all()
        assert any(old_id in ids for ids in wrapped)
    finally:
        db.close()

    # Restoring the earlier backup: its rows are under the old key, which only the recovery key still opens.
    assert main(["db", "restore", str(old_backup), "--as", "admin", "--yes"]) == 0
    db = open_database()
    try:
        with pytest.raises(EncryptionKeyError), db.session() as s:
            s.scalars(select(Visit.resident_name)).one()
    finally:
        db.close()
    assert main(["db", "restore", str(old_backup), "--recovery-sheet", str(safe / "town.key"), "--as", "admin", "--yes"]) == 0
    db = open_database()
    try:
        with db.session() as s:
            assert s.scalars(select(Visit.resident_name)).one() == NAME
        assert set(db.keyset.keys) >= {old_id}
    finally:
        db.close()
    assert load_settings(app_paths()).general.desk_id == desk_id


def test_no_recovery_key_in_a_backup_is_explained(tmp_path, capsys, desk_accounts):
    _fill_desk()
    backup = tmp_path / "b.sqlite3"
    assert main(["db", "backup", str(backup), "--as", "admin"]) == 0
    secret = tmp_path / "k"
    secret.write_text(RecoverySecret.generate().text())
    assert main(["db", "restore", str(backup), "--recovery-sheet", str(secret), "--as", "admin", "--yes"]) == 2
    assert "No keys wrapped with a recovery key" in capsys.readouterr().err


def test_a_changed_recovery_key_is_not_used_until_an_administrator_confirms_it(tmp_path, capsys, desk_accounts):
    import base64

    from dxdesk.store.escrow import RECOVERY_PUBLIC_KEY, ensure_wrapped_keys
    from dxdesk.store.models import SharedSetting
    from dxdesk.store.problems import current_problems

    safe = tmp_path / "usb"
    safe.mkdir()
    assert main(["db", "recovery-setup", "--out", str(safe / "town.key"), "--as", "admin"]) == 0
    _fill_desk()
    # Someone who can write the server replaces the public key; the next pull brings it to this desk.
    intruder = RecoverySecret.generate()

    def swap(s):
        row = s.scalars(select(SharedSetting).where(SharedSetting.key == RECOVERY_PUBLIC_KEY)).one()
        row.value = {"public": base64.b64encode(intruder.public).decode(), "fingerprint": fingerprint(intruder.public)}
    db = open_database()
    try:
        db.writer.run(swap)
        assert ensure_wrapped_keys(db) == 0
        with db.session() as s:
            fingerprints = set(s.scalars(select(DeskKey.recovery_fingerprint)))
        assert not fingerprints & set(stored_fingerprints(intruder.public))
        assert "recovery-accept" in current_problems(db)["recovery_key"][0]
    finally:
        db.close()
    capsys.readouterr()
    assert main(["db", "recovery-accept", fingerprint(intruder.public), "--as", "admin"]) == 0
    assert "keys wrapped with it: 2" in capsys.readouterr().out
    db = open_database()
    try:
        assert "recovery_key" not in current_problems(db)
    finally:
        db.close()


def test_the_first_recovery_key_from_the_server_is_used_only_after_the_sheet_fingerprint_is_typed(
        tmp_path, capsys, desk_accounts):
    """Not trusted on first use: a desk that never had a recovery key gets one through the server (here put
    in its shared settings as a pull would); it wraps nothing until an administrator types the fingerprint
    from the sheet, and a fingerprint that is not that key's is refused."""
    import base64

    from dxdesk.store.escrow import RECOVERY_PUBLIC_KEY, ensure_wrapped_keys
    from dxdesk.store.models import SharedSetting
    from dxdesk.store.problems import current_problems

    town = RecoverySecret.generate()  # set up on another desk; this desk only sees the public half
    _fill_desk()
    db = open_database()
    try:
        db.writer.run(lambda s: s.add(SharedSetting(key=RECOVERY_PUBLIC_KEY, value={
            "public": base64.b64encode(town.public).decode(), "fingerprint": fingerprint(town.public)})))
        assert ensure_wrapped_keys(db) == 0
        with db.session() as s:
            assert s.scalars(select(DeskKey)).all() == []
        assert f"recovery-accept {fingerprint(town.public)}" in current_problems(db)["recovery_key"][0]
    finally:
        db.close()
    capsys.readouterr()
    assert main(["db", "status"]) == 0

    other = fingerprint(RecoverySecret.generate().public)
    assert main(["db", "recovery-accept", other, "--as", "admin"]) == 2
    assert "not that of the recovery key this desk received" in capsys.readouterr().err
    # A sheet printed by an earlier version shows 8 digits: cheap to match with a key of one's own, so refused.
    assert main(["db", "recovery-accept", legacy_fingerprint(town.public), "--as", "admin"]) == 2
    assert "the short form printed by an earlier version" in capsys.readouterr().err
    typed = fingerprint(town.public).upper().replace("-", " ")  # as read aloud from the sheet
    assert main(["db", "recovery-accept", typed, "--as", "admin"]) == 0
    assert f"town recovery key {fingerprint(town.public)} accepted on this desk; keys wrapped with it: 2" \
        in capsys.readouterr().out
    db = open_database()
    try:
        assert "recovery_key" not in current_problems(db)
        with db.session() as s:
            assert set(s.scalars(select(DeskKey.recovery_fingerprint))) == {fingerprint_id(town.public)}
            events = {r.event_type for r in load_records(s)}
        assert "key.recovery_accept" in events
    finally:
        db.close()
