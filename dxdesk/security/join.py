"""Joining a desk to the town's server (``dxdesk db join URL --as ADMIN``, the first-start choice).

1. :func:`inspect_town` reads the town key and the named administrator's account from the server
   and checks the administrator's password against it, the account's signature against the
   server's town key, and that the administrator's wrap of the private key opens with the password.
   A server cannot pass this with a made-up town unless the administrator accepts a fingerprint
   that differs from the one their own desks show (``dxdesk db status``): :func:`join_town` takes
   the confirmation as a callback that sees the fingerprint first.
2. :func:`adopt_town`, in one desk transaction: forgets the desk's own town key (if it started
   alone), pins the town's key, resolves the desk's accounts (rule below), drops the desk's unsent
   copies of catalogue rows the server already has, and records the join in the audit log.
3. The caller saves the server URL and runs a sync, which pulls the town's accounts (accepted with
   the pinned key only) and catalogues.

Accounts of a desk that started alone (docs/sync.md, "Joining a town"):
* a local account whose login exists on the server with another id: the server's account wins;
  the desk's own is renamed ``login@desk-name``, deactivated and reported; it keeps its id, so
  visits and audit events it wrote keep their author, and this desk's support sessions logged
  under the old login are relabelled with the new one;
* any other local account is signed with the town key by the joining administrator and goes to
  the server with the desk's records.
An empty server (no town key, no accounts) is joined by the town's first desk: the administrator
signs in locally, and the desk's own town key becomes the town's.
"""
from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as OrmSession

from dxdesk.i18n import Msg
from dxdesk.security import accounttrust as trust
from dxdesk.security.audit import AuditEntry, AuditLog, EventType, Result
from dxdesk.security.auth import MSG_BAD_CREDENTIALS, AuthError, AuthService
from dxdesk.security.clerks import normalize_login
from dxdesk.security.passwords import DEFAULT_PARAMS, PasswordHashError, dummy_hash, verify_password
from dxdesk.security.permissions import Role
from dxdesk.security.townkey import TownKeyError, TownSigner, fingerprint, unwrap, verify_account
from dxdesk.store.database import Database
from dxdesk.store.models import Clerk, Outbox, SupportSession
from dxdesk.store.server import prepare_server_schema, raw_table
from dxdesk.store.session import start_queuing

CATALOGUE_TABLES = ("support_topics", "venues", "shared_settings")

MSG_NOT_TOWN_ADMIN = Msg(
    "このアカウントは町のサーバーで有効なシステム管理者ではありません。",
    "this account is not an active administrator on the town's server",
)
MSG_UNSIGNED_ADMIN = Msg(
    "サーバー上のこの管理者アカウントには町の鍵の正しい署名がありません。サーバーが改ざんされている可能性があります。",
    "the server's record of this administrator is not signed by the town key; the server may have been "
    "tampered with",
)
MSG_NO_WRAP = Msg(
    "この管理者には町の署名鍵がありません。署名鍵を持つ別の管理者で参加してください。",
    "this administrator holds no town signing key; join with another administrator",
)
MSG_SERVER_WITHOUT_KEY = Msg(
    "サーバーにはアカウントがありますが町の鍵がありません。"
    "最初の端末を新しい dxdesk に更新し、管理者がサインインしてから同期してください。",
    "the server has accounts but no town key; update the first desk, sign in there as an administrator and "
    "sync it first",
)
MSG_NOT_CONFIRMED = Msg(
    "町の鍵の指紋が確認されなかったため、参加を取りやめました。何も変更していません。",
    "the town key fingerprint was not confirmed; nothing was changed",
)
MSG_FIRST_DESK_NEEDS_ADMIN = Msg(
    "サーバーはまだ空です。この端末の管理者が最初に「単独で始める」で作成されている必要があります。",
    "the server is empty: the town's first desk must have its own administrator (start alone first)",
)


MSG_SERVER_UNUSABLE = Msg(
    "サーバーに接続できません。URL、サーバーのパスワード、ネットワークを確かめてください（{detail}）。",
    "cannot use the server; check the URL, the server password and the network ({detail})",
)


class JoinError(AuthError):
    """Joining was refused; nothing on the desk was changed."""


@dataclass(frozen=True)
class Town:
    public_b64: str
    admin_id: str
    admin_login: str
    signer: TownSigner | None  # None for the town's first desk (its own key stays)
    server_logins: dict[str, str] = field(default_factory=dict)  # login -> id on the server
    server_catalogue: dict[str, set[str]] = field(default_factory=dict)  # table -> ids on the server

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_b64)

    @property
    def key_digest(self) -> str:
        return hashlib.sha256(base64.b64decode(self.public_b64)).hexdigest()

    @property
    def first_desk(self) -> bool:
        return self.signer is None


@dataclass
class JoinReport:
    fingerprint: str
    first_desk: bool
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (old login, new login), deactivated
    signed: list[str] = field(default_factory=list)  # local accounts now signed into the town


def inspect_town(server: Engine, db: Database, login: str, password: str) -> Town:
    """Check ``login``/``password`` against the server's accounts (or, on an empty server, the desk's)."""
    prepare_server_schema(server)
    settings, clerks = raw_table("shared_settings"), raw_table("clerks")
    with server.connect() as conn:
        public_row = conn.execute(select(settings.c.value).where(settings.c.key == trust.PUBLIC_SETTING)).first()
        logins = {r.login: r.id for r in conn.execute(select(clerks.c.login, clerks.c.id))}
        catalogue = {name: set(conn.scalars(select(raw_table(name).c.id))) for name in CATALOGUE_TABLES}
        admin = conn.execute(select(clerks).where(clerks.c.login == normalize_login(login))).mappings().first()
        wrap_row = None
        if admin is not None:
            wrap_row = conn.execute(select(settings.c.value).where(
                settings.c.key == trust.WRAP_PREFIX + admin["id"])).first()
    if public_row is None:
        if logins:
            raise JoinError(MSG_SERVER_WITHOUT_KEY)
        return _first_desk(db, login, password)
    public = (public_row[0] or {}).get("public") if isinstance(public_row[0], dict) else None
    if not public:
        raise JoinError(MSG_SERVER_WITHOUT_KEY)
    if admin is None or not _password_ok(password, admin["password_hash"]):
        raise JoinError(MSG_BAD_CREDENTIALS)
    if not verify_account(dict(admin), public):
        raise JoinError(MSG_UNSIGNED_ADMIN)
    if admin["role"] != Role.ADMINISTRATOR.value or not admin["active"]:
        raise JoinError(MSG_NOT_TOWN_ADMIN)
    if wrap_row is None or not isinstance(wrap_row[0], dict):
        raise JoinError(MSG_NO_WRAP)
    try:
        signer = unwrap(wrap_row[0], password, public)
    except TownKeyError:
        raise JoinError(MSG_NO_WRAP) from None
    return Town(public, admin["id"], admin["login"], signer, logins, catalogue)


def _password_ok(password: str, stored: str | None) -> bool:
    try:
        return verify_password(password, stored or dummy_hash(DEFAULT_PARAMS))
    except PasswordHashError:
        return False


def _first_desk(db: Database, login: str, password: str) -> Town:
    auth = AuthService(db)
    if auth.needs_first_admin():
        raise JoinError(MSG_FIRST_DESK_NEEDS_ADMIN)
    session = auth.sign_in(login, password)  # audited; raises the usual sign-in errors
    if session.role is not Role.ADMINISTRATOR:
        raise JoinError(MSG_NOT_TOWN_ADMIN)
    with db.session() as orm:
        public = trust.pinned_key(orm)
    if public is None:  # sign_in creates the key on a desk that had none; anything else is a bug
        raise JoinError(MSG_NO_WRAP)
    return Town(public, session.clerk_id, session.login, None)


def adopt_town(db: Database, town: Town, desk_name: str, server_host: str) -> JoinReport:
    """Make the desk part of ``town`` (one transaction; see the module docstring for the rules)."""
    report = JoinReport(town.fingerprint, town.first_desk)

    def job(orm: OrmSession) -> None:
        # First: a desk that worked alone enqueues all its records now (the catalogue rows the
        # server already has are dropped from the queue again below).
        start_queuing(orm)
        renamed_ids: list[str] = []
        signed_ids: list[str] = []
        if town.signer is not None:
            trust.forget_local_town_key(orm)
            trust.pin_key(orm, town.public_b64)
            renamed_ids, signed_ids = _resolve_accounts(orm, town, desk_name, db.desk_id, report)
            _drop_unsent_catalogue_copies(orm, town)
        # Ids and a hex digest only: the audit log's privacy check refuses digit runs and e-mail-like
        # text, which a fingerprint or a renamed "login@desk" can look like by chance.
        AuditLog(db).append_in(orm, AuditEntry(
            EventType.SERVER_JOIN, town.admin_id, Result.SUCCESS,
            details={"town_key_sha256": town.key_digest, "first_desk": town.first_desk,
                     "renamed_clerk_ids": renamed_ids, "signed_clerk_ids": signed_ids}))

    db.writer.run(job)
    return report


def _resolve_accounts(orm: OrmSession, town: Town, desk_name: str, desk_id: str,
                      report: JoinReport) -> tuple[list[str], list[str]]:
    """Apply the rule (module docstring); returns the ids of the renamed and of the signed accounts."""
    assert town.signer is not None
    renamed_ids: list[str] = []
    signed_ids: list[str] = []
    taken = set(town.server_logins) | set(orm.scalars(select(Clerk.login)))
    for row in list(orm.scalars(select(Clerk).order_by(Clerk.login))):
        server_id = town.server_logins.get(row.login)
        if server_id == row.id:
            continue  # already the town's account (a desk joining again)
        if server_id is not None:  # the server's account wins; ours steps aside, keeping its id
            old = row.login
            row.login = _free_login(f"{old}@{normalize_login(desk_name) or 'desk'}", taken)
            taken.add(row.login)
            row.active = False
            orm.execute(update(SupportSession).where(
                SupportSession.desk_id == desk_id, SupportSession.logged_by == old).values(logged_by=row.login))
            report.renamed.append((old, row.login))
            renamed_ids.append(row.id)
        else:
            report.signed.append(row.login)
            signed_ids.append(row.id)
        trust.sign_row(row, town.signer)
    # Core UPDATE above bypasses the outbox hook: queue the relabelled sessions explicitly.
    renamed = [new for _, new in report.renamed]
    if renamed:
        for sid in orm.scalars(select(SupportSession.id).where(
                SupportSession.desk_id == desk_id, SupportSession.logged_by.in_(renamed))):
            orm.add(Outbox(table_name="support_sessions", record_id=sid, op="upsert"))
    return renamed_ids, signed_ids


def _free_login(wanted: str, taken: set[str]) -> str:
    wanted = wanted[:60]
    candidate, n = wanted, 2
    while candidate in taken:
        candidate, n = f"{wanted}-{n}", n + 1
    return candidate


def _drop_unsent_catalogue_copies(orm: OrmSession, town: Town) -> None:
    """The server's catalogue rows win over this desk's unsent copies (the same ids: natural keys)."""
    for table, ids in town.server_catalogue.items():
        if ids:
            orm.execute(delete(Outbox).where(Outbox.table_name == table, Outbox.sent_at.is_(None),
                                             Outbox.record_id.in_(list(ids))))


def join_town(db: Database, server: Engine, login: str, password: str, *, desk_name: str, server_host: str,
              confirm: Callable[[str], bool]) -> JoinReport:
    """:func:`inspect_town`, the administrator's fingerprint check, then :func:`adopt_town`."""
    town = inspect_town(server, db, login, password)
    if not confirm(town.fingerprint):
        raise JoinError(MSG_NOT_CONFIRMED)
    return adopt_town(db, town, desk_name, server_host)




class DeskJoin:
    """The whole join for the CLI and the first-start dialog: check, (fingerprint), complete.

    ``check`` talks to the server and changes nothing; ``complete`` adopts the town, keeps the
    server password in the keyring and the URL in the settings, and runs a first sync (which pulls
    the town's accounts). Qt-free; the dialog runs both steps off the GUI thread.
    """

    def __init__(self, db: Database, settings: Any, paths: Any) -> None:
        self.db, self.settings, self.paths = db, settings, paths
        self.url = ""
        self.host = ""
        self._server_password: str | None = None
        self._tls: Any = None

    def check(self, url: str, server_password: str | None, login: str, password: str,
              tls: Any = None) -> Town:
        """``tls``: a dxdesk.store.servertls.ServerTLS; default the desk's configured choice (TLS required)."""
        from dxdesk.store.server import create_server_engine, parse_server_url
        from dxdesk.store.servertls import ServerTLS

        parsed = parse_server_url(url)  # ServerConfigError (a StoreError) for a bad URL
        self.url, self.host = url.strip(), parsed.host or "(socket)"
        self._server_password = server_password or None
        self._tls = tls or ServerTLS.from_settings(self.settings.store)
        server = create_server_engine(self.url, self._server_password, self._tls)
        try:
            return inspect_town(server, self.db, login, password)
        except DBAPIError as exc:
            detail = str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__
            raise JoinError(MSG_SERVER_UNUSABLE.format(detail=detail)) from None
        finally:
            server.dispose()

    def complete(self, town: Town) -> tuple[JoinReport, Any, Exception | None]:
        """(report, sync result or None, the first sync's error or None). The join stands either way."""
        from dxdesk.config import save_settings
        from dxdesk.store.errors import StoreError
        from dxdesk.store.server import server_password, store_server_password
        from dxdesk.store.sync import SyncEngine

        report = adopt_town(self.db, town, self.settings.general.desk_name, self.host)
        if self._server_password:
            store_server_password(self._server_password, self.paths)
        self.settings.store.server_url = self.url
        store = self.settings.store
        store.server_tls, store.server_ca_file, store.server_cert_sha256 = (
            self._tls.mode, self._tls.ca_file, self._tls.cert_sha256)
        save_settings(self.settings, self.paths)
        try:
            result = SyncEngine(self.db, self.settings.store,
                                password_lookup=lambda: server_password(self.paths)).run_once()
        except StoreError as exc:
            return report, None, exc
        return report, result, None


__all__ = ["DeskJoin", "JoinError", "JoinReport", "Town", "adopt_town", "inspect_town", "join_town"]
