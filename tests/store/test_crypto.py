from __future__ import annotations

import json
import sqlite3

import keyring
import pytest
from keyring.backend import KeyringBackend
from sqlalchemy import select, text

from dxdesk.store.base import utcnow
from dxdesk.store.crypto import KeySet
from dxdesk.store.database import open_database
from dxdesk.store.errors import DamagedRecordError
from dxdesk.store.keys import database_key_user, key_storage_description, key_storage_message, keyring_usable
from dxdesk.store.models import Outbox, SupportSession, Visit
from dxdesk.store.rotate import rotate_key

from .conftest import desk_settings

NAME = "髙橋 𠮷子"
MY_NUMBER = "123456789018"


def _add_visit(db) -> str:
    def job(s):
        v = Visit(resident_name=NAME, resident_kana="タカハシ ヨシコ", address="サンプル町1-2-3",
                  birth_date="1950-01-02", my_number=MY_NUMBER, answers={"purpose": "転出届"})
        s.add(v)
        s.flush()
        return v.id
    return db.writer.run(job)


def test_personal_fields_round_trip_and_are_not_plaintext_on_disk(db):
    visit_id = _add_visit(db)
    with db.session() as s:
        v = s.get(Visit, visit_id)
        assert (v.resident_name, v.my_number, v.answers) == (NAME, MY_NUMBER, {"purpose": "転出届"})
    path = db.path
    db.close()  # checkpoints the WAL into the main file
    raw = path.read_bytes() + (path.with_name(path.name + "-wal").read_bytes()
                               if path.with_name(path.name + "-wal").exists() else b"")
    for secret in (NAME, "サンプル町1-2-3", MY_NUMBER, "転出届"):
        assert secret.encode("utf-8") not in raw
    with sqlite3.connect(path) as conn:
        stored = conn.execute("SELECT resident_name FROM visits").fetchone()[0]
    assert stored.startswith(f"v1:{db.keyset.current}:")


def test_ciphertext_is_bound_to_its_column(db):
    visit_id = _add_visit(db)
    with db.engine.begin() as conn:  # move the name ciphertext into the address column
        conn.execute(text("UPDATE visits SET address = resident_name WHERE id = :id"), {"id": visit_id})
    with pytest.raises(DamagedRecordError) as info, db.session() as s:
        s.get(Visit, visit_id)
    assert NAME not in str(info.value) and "復号できません" in info.value.message.ja


def test_key_falls_back_to_owner_only_file_without_keyring(db):
    assert not keyring_usable()  # the test suite runs with the null keyring
    files = list((db.paths.config_dir / "secrets").iterdir())
    assert len(files) == 1 and db.desk_id in files[0].name
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"
    assert KeySet.from_json(files[0].read_text()).current == db.keyset.current
    assert key_storage_description(db.paths, db.desk_id) == "key file (no keyring; owner-only file)"
    assert key_storage_message(db.desk_id, db.paths).ja.startswith("キーはファイルに保存")


class MemoryKeyring(KeyringBackend):
    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        self.store.pop((service, username), None)


def test_key_lives_in_the_os_keyring_when_there_is_one(make_db):
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        settings = desk_settings()
        db = make_db(settings=settings)
        stored = backend.store[("dxdesk", database_key_user(settings.general.desk_id))]
        assert json.loads(stored)["current"] == db.keyset.current
        assert not (db.paths.config_dir / "secrets").exists()
        assert key_storage_description(db.paths, db.desk_id) == "key in OS keyring"
    finally:
        keyring.set_keyring(previous)


def test_rotate_key_reencrypts_everything_and_keeps_the_old_key_for_earlier_backups(db):
    """Without a town recovery key the old key stays in the key store (only earlier backups use it);
    with one it is kept only wrapped (tests/store/test_recovery.py)."""
    visit_id = _add_visit(db)
    db.writer.run(lambda s: s.add(SupportSession(
        started_at=utcnow(),
        venue="v", venue_type="shop", device="iphone", age_band="80+", outcome="referred",
        follow_up_needed=True, follow_up_contact="090-0000-0000")))
    old_id = db.keyset.current
    pending_before = db.pending_count()

    assert rotate_key(db) == 2
    assert db.keyset.current != old_id and sorted(db.keyset.keys) == sorted([old_id, db.keyset.current])
    with sqlite3.connect(db.path) as conn:
        for (value,) in conn.execute("SELECT resident_name FROM visits UNION ALL "
                                     "SELECT follow_up_contact FROM support_sessions"):
            assert KeySet.key_id_of(value) == db.keyset.current
    stored = KeySet.from_json(next((db.paths.config_dir / "secrets").iterdir()).read_text())
    assert stored.current == db.keyset.current and sorted(stored.keys) == sorted([old_id, db.keyset.current])
    with db.session() as s:
        assert s.get(Visit, visit_id).resident_name == NAME
        assert s.scalar(select(SupportSession.follow_up_contact)) == "090-0000-0000"
    assert db.pending_count() == pending_before + 2  # re-encrypted rows are resent to the server
    db.close()
    again = open_database(desk_settings(db.desk_id), db.paths)  # reads the rotated key from storage
    try:
        with again.session() as s:
            assert s.get(Visit, visit_id).my_number == MY_NUMBER
    finally:
        again.close()


def test_closing_a_follow_up_deletes_the_contact(db):
    def add(s):
        row = SupportSession(started_at=utcnow(), venue="v", venue_type="home_visit", device="none",
                             age_band="80+", outcome="partly", follow_up_needed=True, follow_up_contact="0120")
        s.add(row)
        s.flush()
        return row.id
    sid = db.writer.run(add)
    db.writer.run(lambda s: s.get(SupportSession, sid).close_follow_up())
    with db.session() as s:
        row = s.get(SupportSession, sid)
        assert row.follow_up_contact is None and row.follow_up_closed_at is not None
        assert s.scalar(select(Outbox.op).where(Outbox.record_id == sid).order_by(Outbox.id.desc())) == "upsert"
