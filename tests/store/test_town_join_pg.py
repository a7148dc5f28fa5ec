"""A town's desks on one real PostgreSQL: joining, the shared seed, account resolution, the town key.

Written as a town runs it: accounts signed in with their roles, the default seed on every desk,
support sessions logged through the signed-in SupportService, sync through the production
SyncEngine (which always carries the account gate).
"""
from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, func, select, text

from dxdesk.security.accounttrust import refused_accounts
from dxdesk.security.audit import EventType
from dxdesk.security.auth import AuthService, InvalidCredentialsError
from dxdesk.security.join import JoinError, join_town
from dxdesk.security.passwords import ScryptParams, hash_password
from dxdesk.security.permissions import Role
from dxdesk.security.townkey import fingerprint
from dxdesk.store.base import utcnow
from dxdesk.store.models import AuditEvent, Clerk, Outbox, SupportTopic, TownTrust
from dxdesk.store.server import create_server_engine, parse_server_url
from dxdesk.store.servertls import INSECURE, ServerTLS
from dxdesk.store.sync import SyncEngine
from dxdesk.support.catalog import seed_topics
from dxdesk.support.model import local_now, new_session
from dxdesk.support.repository import SessionQuery
from dxdesk.support.service import SupportService
from dxdesk.support.sql_repository import SqlRepository

from .conftest import desk_settings

pytestmark = pytest.mark.postgres

FAST = ScryptParams(n=2**6, r=8, p=1)  # the same code path as production, without its cost
TOWN_ADMIN_PW = "town key holder 1x"
C_ADMIN_PW = "desk c own secret 2"
SATO_PW = "green tea ladder 3"
BOSS_PW = "blue river stone 5"
C_STAFF_PW = "desk c staff pw 6"


class Desk:
    """One desk PC: its database, sign-in service and sync engine (production wiring)."""

    def __init__(self, make_db, pg_url: str, name: str, *, town_desk: bool = True) -> None:
        self.name = name
        self.settings = desk_settings(server_url=pg_url, lab_no_tls=True)
        self.settings.general.desk_name = name
        self.db = make_db(name, settings=self.settings, town_desk=town_desk)
        self.auth = AuthService(self.db, params=FAST, failure_delay_s=0)
        self.sync = SyncEngine(self.db, self.settings.store)
        self.pg_url = pg_url

    def join(self, login: str, password: str, expected_fingerprint: str | None):
        server = create_server_engine(self.pg_url, tls=ServerTLS(INSECURE))
        try:
            return join_town(self.db, server, login, password, desk_name=self.name, server_host="test",
                             confirm=lambda fp: expected_fingerprint is None or fp == expected_fingerprint)
        finally:
            server.dispose()

    def issue(self, admin, login: str, name: str, role: Role, password: str) -> None:
        """As a town does it: the administrator issues a first password, the holder chooses their own at
        the first sign-in (a change the holder cannot sign), and an administrator signs it."""
        self.auth.create_account(admin, login, name, role, "issued first pw 0")
        holder = self.auth.sign_in(login, "issued first pw 0")
        self.auth.change_password(holder, "issued first pw 0", password)
        assert self.auth.sign_pending(admin) == [login]

    def fingerprint(self) -> str:
        with self.db.session() as s:
            return fingerprint(s.get(TownTrust, "public_key").value)

    def service(self, login: str, password: str) -> SupportService:
        return SupportService(SqlRepository(self.db), self.auth.sign_in(login, password), self.auth.audit)

    def log_session(self, service: SupportService, note: str) -> str:
        session = new_session(
            started_at=local_now().replace(second=0, microsecond=0) - timedelta(hours=1), venue="中央公民館",
            venue_type="community_hall", topics=[seed_topics()[0].code], device="iphone", age_band="70-74",
            attendees=2, helpers=1, duration_minutes=20, outcome="resolved", catalog=service.catalog(),
            note=note, logged_by=service.session.login)
        return service.add(session, by=service.session.login).id


@pytest.fixture
def server(pg_url):
    engine = create_engine(parse_server_url(pg_url))
    yield engine
    engine.dispose()


def _server_rows(server, sql: str, **params):
    with server.connect() as conn:
        return conn.execute(text(sql), params).all()


def _first_desk(make_db, pg_url) -> Desk:
    a = Desk(make_db, pg_url, "desk-a")
    admin = a.auth.create_first_admin("admin", "町の管理者", TOWN_ADMIN_PW)
    a.issue(admin, "sato", "佐藤", Role.SUPPORTER, SATO_PW)
    a.issue(admin, "boss", "課長", Role.SUPERVISOR, BOSS_PW)
    report = a.join("admin", TOWN_ADMIN_PW, None)  # an empty server: this desk's town key becomes the town's
    assert report.first_desk
    return a


def test_three_desks_one_server_join_merge_and_keep_authors(make_db, pg_url, server):
    a = _first_desk(make_db, pg_url)
    a_ids = [a.log_session(a.service("sato", SATO_PW), f"A{i}") for i in range(2)]
    assert a.sync.run_once().pending == 0

    # B joins before it has any account of its own: the town's administrator signs in against the server.
    b = Desk(make_db, pg_url, "desk-b")
    assert b.auth.needs_first_admin()
    with pytest.raises(JoinError):  # a different fingerprint than the administrator expects: nothing changes
        b.join("admin", TOWN_ADMIN_PW, "0000-0000-0000-0000-0000-0000-0000-0000")
    b.join("admin", TOWN_ADMIN_PW, a.fingerprint())
    assert b.sync.run_once().refused == 0
    assert not b.auth.needs_first_admin()
    b_ids = [b.log_session(b.service("sato", SATO_PW), "B0")]

    # C works alone for a while: its own first administrator "admin" and supporter "sato" (named like
    # A's) and "tanaka" (only on C); the supporters log sessions.
    c = Desk(make_db, pg_url, "desk-c", town_desk=False)
    c.settings.store.server_url = ""
    c_admin = c.auth.create_first_admin("admin", "C の管理者", C_ADMIN_PW)
    c.issue(c_admin, "sato", "C の佐藤", Role.SUPPORTER, C_STAFF_PW)
    c.issue(c_admin, "tanaka", "田中", Role.SUPPORTER, C_STAFF_PW)
    c_ids = [c.log_session(c.service("sato", C_STAFF_PW), "C0"), c.log_session(c.service("tanaka", C_STAFF_PW), "C1")]
    with c.db.session() as s:
        c_sato_id = s.scalar(select(Clerk.id).where(Clerk.login == "sato"))
        assert s.scalar(select(func.count()).select_from(Outbox)) == 0  # alone: nothing queued (issue #17)

    # ... then joins the town. Its "admin" and "sato" step aside (renamed, deactivated), keeping their ids;
    # "tanaka" is signed into the town by the joining administrator.
    c.settings.store.server_url = pg_url
    report = c.join("admin", TOWN_ADMIN_PW, a.fingerprint())
    assert report.renamed == [("admin", "admin@desk-c"), ("sato", "sato@desk-c")]
    assert report.signed == ["tanaka"]

    results = [desk.sync.run_once() for _ in range(2) for desk in (a, b, c)]
    assert all(r.refused == 0 and r.set_aside == 0 for r in results)
    everything = set(a_ids + b_ids + c_ids)
    with c.db.session() as s:  # every record C wrote alone reached the server at its join, audit events too
        c_events = set(s.scalars(select(AuditEvent.id).where(AuditEvent.desk_id == c.db.desk_id)))
    assert {r[0] for r in _server_rows(server, "SELECT id FROM audit_events WHERE desk_id = :d",
                                       d=c.db.desk_id)} == c_events
    assert {r[0] for r in _server_rows(server, "SELECT id FROM support_sessions")} == everything
    for desk in (a, b, c):
        assert (desk.db.pending_count(), desk.db.set_aside_count()) == (0, 0), desk.name  # nothing waits
        town_list = desk.service("boss", BOSS_PW).list(SessionQuery())
        assert {s.id for s in town_list} == everything, desk.name
        # The same default seed on every desk is the same rows: no duplicates anywhere.
        with desk.db.session() as s:
            assert sorted(s.scalars(select(SupportTopic.code))) == sorted(t.code for t in seed_topics())
    assert _server_rows(server, "SELECT count(*) FROM support_topics")[0][0] == len(seed_topics())

    # C's records keep their author: the renamed account (same id) on the server and on every desk.
    assert sorted(_server_rows(server, "SELECT logged_by, desk_id FROM support_sessions WHERE id = ANY(:ids)",
                               ids=c_ids)) == [("sato@desk-c", c.db.desk_id), ("tanaka", c.db.desk_id)]
    assert _server_rows(server, "SELECT login, active FROM clerks WHERE id = :id", id=c_sato_id) == [
        ("sato@desk-c", False)]
    c_sato_events = _server_rows(server, "SELECT count(*) FROM audit_events WHERE actor = :id", id=c_sato_id)
    assert c_sato_events[0][0] >= 1  # its sign-in on C, attributed to C's sato on the server
    for desk in (a, b):
        with desk.db.session() as s:
            row = s.get(Clerk, c_sato_id)
            assert (row.login, row.active, row.display_name) == ("sato@desk-c", False, "C の佐藤")
        assert desk.auth.sign_in("tanaka", C_STAFF_PW).role is Role.SUPPORTER  # C's own account joined the town
    # Only the town's "admin" and "sato" sign in, anywhere; C's old passwords no longer open them.
    for desk in (a, b, c):
        with pytest.raises(InvalidCredentialsError):
            desk.auth.sign_in("admin", C_ADMIN_PW)
        with pytest.raises(InvalidCredentialsError):
            desk.auth.sign_in("sato", C_STAFF_PW)
        assert desk.auth.sign_in("sato", SATO_PW).role is Role.SUPPORTER


def test_row_inserted_on_the_server_cannot_sign_in_anywhere(make_db, pg_url, server):
    # The attacker controls the server: inserts an administrator with a known password, promotes a
    # supporter, and replays a signature from another row. No desk applies any of it.
    a = _first_desk(make_db, pg_url)
    a.sync.run_once()
    b = Desk(make_db, pg_url, "desk-b")
    b.join("admin", TOWN_ADMIN_PW, a.fingerprint())
    b.sync.run_once()

    now = utcnow()
    admin_sig = _server_rows(server, "SELECT signature FROM clerks WHERE login = 'admin'")[0][0]
    with server.begin() as conn:
        # The third login looks like a phone number: refused all the same, without stopping the sync
        # on the audit log's privacy check (the event then names the row by id only).
        for login, signature in (("evil", None), ("evil2", admin_sig), ("09012345678", None)):
            conn.execute(text(
                "INSERT INTO clerks (id, created_at, updated_at, desk_id, login, display_name, role, "
                "password_hash, failed_attempts, active, version, signature) VALUES (:id, :t, :t, :desk, :login, "
                "'x', 'administrator', :hash, 0, true, 99, :sig)"),
                {"id": str(uuid.uuid4()), "t": now, "desk": str(uuid.uuid4()), "login": login,
                 "hash": hash_password("known password 9", FAST), "sig": signature})
        conn.execute(text("UPDATE clerks SET role = 'administrator', version = version + 1, updated_at = :t "
                          "WHERE login = 'sato'"), {"t": now + timedelta(seconds=1)})

    for desk in (a, b):
        result = desk.sync.run_once()
        assert result.refused == 4, desk.name
        for login in ("evil", "evil2"):
            with pytest.raises(InvalidCredentialsError):
                desk.auth.sign_in(login, "known password 9")
        assert desk.auth.sign_in("sato", SATO_PW).role is Role.SUPPORTER
        refusals = _events(desk, EventType.ACCOUNT_REFUSED)
        assert sorted(e.details["login"] for e in refusals if "login" in e.details) == ["evil", "evil2", "sato"]
        assert len(refusals) == 4
        assert None not in {e.details["clerk_id"] for e in refusals}
        assert {e.details["reason"] for e in refusals} == {"unsigned", "bad_signature"}
        # The exact pull cursor does not fetch the unchanged rows again: nothing new is refused, the
        # refusals stay on record (events and the count `dxdesk db status` shows), and none was applied.
        assert desk.sync.run_once().refused == 0
        assert len(_events(desk, EventType.ACCOUNT_REFUSED)) == 4
        with pytest.raises(InvalidCredentialsError):
            desk.auth.sign_in("evil", "known password 9")
    with b.db.session() as s:
        assert refused_accounts(s) == 4  # what `dxdesk db status` and the sync line report


def test_old_signed_version_is_not_replayed_over_a_newer_one(make_db, pg_url, server):
    a = _first_desk(make_db, pg_url)
    a.sync.run_once()
    b = Desk(make_db, pg_url, "desk-b")
    b.join("admin", TOWN_ADMIN_PW, a.fingerprint())
    b.sync.run_once()
    old = _server_rows(server, "SELECT password_hash, version, signature FROM clerks WHERE login = 'sato'")[0]
    admin = a.auth.sign_in("admin", TOWN_ADMIN_PW)
    a.auth.reset_password(admin, "sato", "fresh maple word 4")
    a.sync.run_once()
    b.sync.run_once()
    assert b.auth.sign_in("sato", "fresh maple word 4").must_change_password  # the reset is signed with it
    with server.begin() as conn:  # the operator waives the change of the administrator-issued password
        conn.execute(text("UPDATE clerks SET must_change_password = false WHERE login = 'sato'"))
    assert b.sync.run_once().refused == 1
    assert b.auth.sign_in("sato", "fresh maple word 4").must_change_password
    with server.begin() as conn:  # the operator puts the old, validly signed record back
        conn.execute(text("UPDATE clerks SET password_hash = :h, version = :v, signature = :s, updated_at = :t "
                          "WHERE login = 'sato'"), {"h": old[0], "v": old[1], "s": old[2], "t": utcnow()})
    assert b.sync.run_once().refused == 1
    with pytest.raises(InvalidCredentialsError):
        b.auth.sign_in("sato", SATO_PW)


def test_cli_join_with_fingerprint(make_db, pg_url, server, capsys, monkeypatch):
    from dxdesk.cli import main

    a = _first_desk(make_db, pg_url)
    a.sync.run_once()
    monkeypatch.setattr("sys.stdin", io.StringIO(TOWN_ADMIN_PW + "\n"))
    join = ["db", "join", pg_url, "--as", "admin", "--no-password", "--password-stdin", "--insecure-no-tls"]
    assert main([*join, "--fingerprint", "1111-2222-3333-4444-5555-6666-7777-8888"]) == 2
    assert "not confirmed" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(TOWN_ADMIN_PW + "\n"))
    assert main([*join, "--fingerprint", a.fingerprint()]) == 0
    out = capsys.readouterr().out
    assert f"town key fingerprint: {a.fingerprint()}" in out and "joined 127.0.0.1" in out
    assert main(["db", "status"]) == 0
    assert f"town key:  {a.fingerprint()}" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("wrong password 77\n"))
    assert main([*join, "--fingerprint", a.fingerprint()]) == 2
    assert "Wrong login name or password" in capsys.readouterr().err


def _events(desk: Desk, event_type: EventType) -> list[AuditEvent]:
    with desk.db.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.event_type == event_type.value,
                                                       AuditEvent.desk_id == desk.db.desk_id)))
