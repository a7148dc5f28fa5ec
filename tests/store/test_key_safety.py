"""Keys never change by accident (#13 item 3): a keyring hiccup or a lost key never makes a new key."""
from __future__ import annotations

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from sqlalchemy import select

from dxdesk.counter import VisitJournal
from dxdesk.security.audit import AuditEntry, AuditLog
from dxdesk.security.auditkey import audit_key_user
from dxdesk.services import JournalKey
from dxdesk.store.database import open_database
from dxdesk.store.keys import (
    KeyMissingError, KeyStoreUnavailableError, database_key_user, get_secret,
)
from dxdesk.store.models import Visit

from .conftest import desk_paths, desk_settings


class FlakyKeyring(KeyringBackend):
    """An OS keyring that works, except that the next ``fail_reads`` reads raise (locked / D-Bus timeout)."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}
        self.fail_reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        if self.fail_reads > 0:
            self.fail_reads -= 1
            raise keyring.errors.KeyringError("org.freedesktop.DBus.Error.NoReply")
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def flaky():
    previous = keyring.get_keyring()
    backend = FlakyKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def _visit(db, name="山田 花子"):
    def job(s):
        v = Visit(resident_name=name, procedures=["juminhyo"])
        s.add(v)
        s.flush()
        return v.id
    return db.writer.run(job)


def test_keyring_hiccup_at_start_blocks_with_clear_error_and_next_start_reads_everything(tmp_path, flaky):
    settings, paths = desk_settings(), desk_paths(tmp_path / "desk")
    db = open_database(settings, paths)
    _visit(db)
    audit = AuditLog(db)
    audit.append(AuditEntry(event_type="form.print", actor=None))
    db.close()
    stored = dict(flaky.store)
    assert any(user.startswith("database-key:") for _, user in stored)

    flaky.fail_reads = 1
    with pytest.raises(KeyStoreUnavailableError) as caught:
        open_database(settings, paths)
    assert "no new key was made" in str(caught.value)
    assert "キーリング" in caught.value.message.ja
    assert flaky.store == stored  # nothing was overwritten

    db = open_database(settings, paths)  # the keyring answers again: everything is readable
    try:
        with db.session() as s:
            assert s.scalars(select(Visit.resident_name)).all() == ["山田 花子"]
        AuditLog(db).append(AuditEntry(event_type="form.print", actor=None))
    finally:
        db.close()
    assert flaky.store[("dxdesk", database_key_user(settings.general.desk_id))] == \
        stored[("dxdesk", database_key_user(settings.general.desk_id))]


def test_missing_database_key_with_encrypted_rows_is_refused_not_replaced(tmp_path, flaky):
    settings, paths = desk_settings(), desk_paths(tmp_path / "desk")
    db = open_database(settings, paths)
    _visit(db)
    db.close()
    flaky.store.pop(("dxdesk", database_key_user(settings.general.desk_id)))

    with pytest.raises(KeyMissingError) as caught:
        open_database(settings, paths)
    assert "recovery-sheet" in str(caught.value)
    assert ("dxdesk", database_key_user(settings.general.desk_id)) not in flaky.store


def test_doctor_fails_the_database_whose_key_is_missing(tmp_path, flaky):
    # Before: "OK ... no key yet (will be created)" while the app itself refused to start.
    from dxdesk.config import save_settings
    from dxdesk.doctor import Status
    from dxdesk.store.health import doctor_check

    settings, paths = desk_settings(), desk_paths(tmp_path / "desk")
    save_settings(settings, paths)
    db = open_database(settings, paths)
    _visit(db)
    db.close()
    assert doctor_check(paths).status is Status.OK
    flaky.store.pop(("dxdesk", database_key_user(settings.general.desk_id)))
    check = doctor_check(paths)
    assert check.status is Status.FAIL
    assert "key is missing" in check.detail and "recovery sheet" in check.fix
    assert ("dxdesk", database_key_user(settings.general.desk_id)) not in flaky.store  # the check made none


def test_empty_database_still_gets_a_key_on_first_start(tmp_path, flaky):
    settings, paths = desk_settings(), desk_paths(tmp_path / "desk")
    db = open_database(settings, paths)
    db.close()
    assert ("dxdesk", database_key_user(settings.general.desk_id)) in flaky.store


def test_audit_key_is_never_recreated_once_the_desk_has_events(tmp_path, flaky):
    settings, paths = desk_settings(), desk_paths(tmp_path / "desk")
    db = open_database(settings, paths)
    try:
        AuditLog(db).append(AuditEntry(event_type="form.print", actor=None))
        flaky.store.pop(("dxdesk", audit_key_user(settings.general.desk_id)))
        with pytest.raises(KeyMissingError):
            AuditLog(db).append(AuditEntry(event_type="form.print", actor=None))
        assert ("dxdesk", audit_key_user(settings.general.desk_id)) not in flaky.store
        flaky.fail_reads = 1
        with pytest.raises(KeyStoreUnavailableError):
            AuditLog(db).append(AuditEntry(event_type="form.print", actor=None))
    finally:
        db.close()


def test_journal_key_is_never_recreated_while_journal_files_exist(tmp_path, flaky):
    paths = desk_paths(tmp_path / "desk")
    journal_dir = tmp_path / "journal"
    journal_dir.mkdir()
    journal = VisitJournal(directory=journal_dir)
    journal.key_provider = JournalKey("d1", paths, in_use=lambda: any(journal_dir.glob("*.json")))
    first = journal.key_provider.get_key()
    (journal_dir / "0d2c.json").write_text("{}")

    flaky.fail_reads = 1
    with pytest.raises(KeyStoreUnavailableError):
        JournalKey("d1", paths, in_use=lambda: True).get_key()
    assert JournalKey("d1", paths, in_use=lambda: True).get_key() == first
    flaky.store.clear()
    with pytest.raises(KeyMissingError):
        JournalKey("d1", paths, in_use=lambda: True).get_key()
    assert get_secret("visit-journal-key:d1", paths) is None
