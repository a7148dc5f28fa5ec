"""Database maintenance use cases: backup, restore (in backuprestore.py), key rotation, server, offline
switch, upgrade, sync.

Qt-free; the command line (:mod:`dxdesk.store.cli`) calls these, and so should the
window's admin pages. Each use case

1. signs a person in (``sign_in``: the CLI asks for the password, the window passes
   the session it already has) and checks the permission in :data:`USE_CASES`,
2. asks for confirmation where it destroys or rolls back (``confirm``; ``--yes``),
3. writes its audit event (the type in :data:`USE_CASES`).

The one exception is the desk's routine :func:`sync` to the server an administrator
configured: the window and scheduled tasks run it with no person signed in, so it is
recorded as :data:`DESK_ACTOR`, takes no destination, and refuses a server that was
not set through an audited ``db set-server`` (someone editing settings.toml by hand
cannot redirect the desk's data).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dxdesk.app.backuprestore import (
    BackupResult, RestorePlan, RestoreResult, backup, restore, validate_restore_source,
)
from dxdesk.app.maintenancesteps import (
    DESK_ACTOR, MSG_CANCELLED, USE_CASES, Confirm, MaintenanceError, SignIn, UseCase, authorise, open_desk, record,
    server_fingerprint, sole_user,
)
from dxdesk.config import Settings, save_settings
from dxdesk.i18n import Msg
from dxdesk.paths import AppPaths
from dxdesk.security.audit import AuditEntry, AuditLog, EventType, Result
from dxdesk.security.permissions import Permission, Session, require
from dxdesk.store.errors import StoreError

log = logging.getLogger(__name__)

# The use cases of this package, in one place for callers (the CLI, the window, tests): backup and
# restore live in dxdesk.app.backuprestore, what they all share in dxdesk.app.maintenancesteps.
__all__ = [
    "DESK_ACTOR", "MSG_CANCELLED", "USE_CASES", "BackupResult", "Confirm", "MaintenanceError", "RestorePlan",
    "RestoreResult", "SignIn", "UseCase", "apply_work_offline", "backup", "configured_server_audited", "restore",
    "rotate_key", "server_fingerprint", "set_server", "sole_user", "sync", "upgrade", "validate_restore_source",
    "work_offline", "MSG_SERVER_NOT_AUDITED",
]


# ------------------------------------------------------------- rotate key
def rotate_key(settings: Settings, paths: AppPaths, sign_in: SignIn, confirm: Confirm) -> int:
    """Re-encrypt personal fields under a new key; returns the number of records re-encrypted."""
    from dxdesk.store.rotate import rotate_key as rotate

    target = paths.ensure().database_file
    # A running dxdesk keeps writing with the keys it loaded at start; once the old key is dropped
    # here, whatever it wrote after the rotation could never be decrypted again.
    with sole_user(target, Msg("キーを更新してください", "rotating the key")):
        db = open_desk(settings, paths)
        try:
            audit, session = authorise(db, settings, sign_in, USE_CASES["rotate_key"].permission)
            if not confirm("Re-encrypt personal fields under a new key (the old key is kept, wrapped with the town "
                           "recovery key or in the key store, so earlier backups stay readable)."):
                raise MaintenanceError(MSG_CANCELLED)
            changed = int(rotate(db))
            record(audit, "rotate_key", session.clerk_id, records=changed)
        finally:
            db.close()
    return changed


# ------------------------------------------------------ server and offline
def _save_audited(db: Any, audit: AuditLog, settings: Settings, paths: AppPaths, name: str, actor: str,
                  *, start_queuing: bool = False, **details: Any) -> None:
    """The audit event and the settings file together: a failed save rolls the event back.

    ``start_queuing``: a server is being set, so from now on every record is queued for it, and
    the records of a desk that worked alone so far are enqueued in this same transaction.
    """
    def job(orm: Any) -> None:
        if start_queuing:
            from dxdesk.store.session import start_queuing as enqueue_everything

            log.info("queuing for the server switched on: %d existing records enqueued", enqueue_everything(orm))
        audit.append_in(orm, AuditEntry(USE_CASES[name].event, actor, Result.SUCCESS, details=details))
        save_settings(settings, paths)

    db.writer.run(job)


def set_server(settings: Settings, paths: AppPaths, sign_in: SignIn, url: str,
               password: Callable[[], str] | None,
               tls: Callable[[], tuple[str, str, str]] | None = None) -> tuple[str, Any]:
    """Point the desk at a central server ('' = none); ``password`` asks for it (None: the server needs none).

    ``tls`` runs once the administrator is signed in and returns (server_tls, server_ca_file,
    server_cert_sha256) (it stores the trusted certificate: nobody unauthorised may replace it).
    Returns (where the password went: "keyring", "file" or "", the saved StoreSettings).
    """
    from dxdesk.store.server import parse_server_url, store_server_password

    url = url.strip()
    if url:
        parse_server_url(url)  # ServerConfigError before anyone is asked for anything
    db = open_desk(settings, paths)
    try:
        audit, session = authorise(db, settings, sign_in, USE_CASES["set_server"].permission)
        where = ""
        if url and tls is not None:
            settings.store.server_tls, settings.store.server_ca_file, settings.store.server_cert_sha256 = tls()
        if url and password is not None:
            secret = password()
            if not secret:
                raise MaintenanceError(Msg("パスワードが空です。", "empty password; use --no-password if the server "
                                                                  "needs none"))
            where = store_server_password(secret, paths)
        settings.store.server_url = url
        # The TLS choice is part of the record: a plaintext opt-out is an administrator's, by name.
        _save_audited(db, audit, settings, paths, "set_server", session.clerk_id, start_queuing=bool(url),
                      server_sha256=server_fingerprint(url) if url else "", cleared=not url,
                      tls=str(settings.store.server_tls) if url else "")
    finally:
        db.close()
    return where, settings.store


def work_offline(settings: Settings, paths: AppPaths, sign_in: SignIn, offline: bool) -> None:
    db = open_desk(settings, paths)
    try:
        audit, session = authorise(db, settings, sign_in, USE_CASES["work_offline"].permission)
        apply_work_offline(audit, session, settings, paths, offline)
    finally:
        db.close()


def apply_work_offline(audit: AuditLog, session: Session, settings: Settings, paths: AppPaths | None,
                       offline: bool) -> None:
    """The switch for someone already signed in (the window's 接続・同期 tab; the CLI after its sign-in)."""
    from dxdesk.paths import app_paths

    require(session, USE_CASES["work_offline"].permission or Permission.MANAGE_SETTINGS)
    settings.store.work_offline = offline
    _save_audited(audit.database, audit, settings, paths or app_paths(), "work_offline", session.clerk_id,
                  offline=offline)


# ----------------------------------------------------------------- upgrade
def upgrade(settings: Settings, paths: AppPaths, sign_in: SignIn) -> tuple[str | None, str, Path | None]:
    """Bring the schema to head (a copy first); returns (old revision, new revision, copy).

    Every open migrates an older file (the window must start after an update), so the
    migration itself runs before the sign-in; the administrator's event records it.
    """
    from dxdesk.store import migrate
    from dxdesk.store.database import create_sqlite_engine

    before: str | None = None
    if paths.database_file.exists():
        engine = create_sqlite_engine(paths.database_file)
        try:
            before = migrate.current_revision(engine)
        finally:
            engine.dispose()
    db = open_desk(settings, paths, exclusive=True)  # never migrate the schema under a running app
    try:
        audit, session = authorise(db, settings, sign_in, USE_CASES["upgrade"].permission)
        after = migrate.current_revision(db.engine) or ""
        record(audit, "upgrade", session.clerk_id, from_revision=before or "", to_revision=after)
        return before, after, db.migration_backup
    finally:
        db.close()


# -------------------------------------------------------------------- sync
MSG_SERVER_NOT_AUDITED = Msg(
    "設定ファイルのサーバーは管理者が設定したものではありません（監査ログに記録がありません）。"
    "管理者が dxdesk db set-server URL --as 管理者 で設定し直してください。",
    "the server in the settings was not set by an administrator (no db.set_server event for it in the audit "
    "log; was settings.toml edited by hand?); an administrator must run 'dxdesk db set-server URL --as ADMIN'",
)


def configured_server_audited(db: Any, url: str) -> bool:
    """True when this desk's newest server change in the audit log set exactly ``url``."""
    from sqlalchemy import select

    from dxdesk.store.models import AuditEvent

    with db.session() as orm:
        details = orm.scalars(
            select(AuditEvent.details).where(
                AuditEvent.desk_id == db.desk_id, AuditEvent.event_type == EventType.DB_SET_SERVER.value,
                AuditEvent.result == Result.SUCCESS.value)
            .order_by(AuditEvent.seq.desc()).limit(1)).first()
    return bool(details) and details.get("server_sha256") == server_fingerprint(url)


def sync(settings: Settings, paths: AppPaths, sign_in: SignIn | None = None, *,
         retry_set_aside: bool = False) -> Any:
    """Send waiting records to the configured server and pull shared data, once; returns the SyncResult.

    ``sign_in`` None: the desk's routine sync, recorded as the desk.
    """
    from dxdesk.store.server import server_password
    from dxdesk.store.sync import SyncEngine

    url = settings.store.server_url
    if not url:
        raise MaintenanceError(Msg("サーバーが設定されていません。", "no server configured (dxdesk db set-server URL)"))
    if settings.store.work_offline:
        raise MaintenanceError(Msg("オフライン作業中です。", "work offline is on (dxdesk db work-offline off)"))
    # Not exclusive: the window may be running; the upserts are idempotent.
    db = open_desk(settings, paths)
    try:
        if sign_in is None:
            audit, actor = AuditLog(db), DESK_ACTOR
        else:
            audit, session = authorise(db, settings, sign_in, USE_CASES["sync"].permission)
            actor = session.clerk_id
        if db.training:
            # 研修モード: fictional records never reach a town's server, whatever the settings say.
            raise MaintenanceError(Msg("研修モードのデータは送信しません。", "training mode never syncs"))
        if not configured_server_audited(db, url):
            record(audit, "sync", actor, Result.DENIED, cause="server_not_set_by_administrator")
            raise MaintenanceError(MSG_SERVER_NOT_AUDITED)
        # Recorded before it runs, so the event itself travels with this sync (and a sync that dies
        # half-way is still on record); the counts are printed and logged.
        record(audit, "sync", actor, waiting=db.pending_count())
        engine = SyncEngine(db, settings.store, password_lookup=lambda: server_password(paths))
        try:
            if retry_set_aside:
                log.info("resending %d set-aside entries", engine.retry_set_aside())
            result = engine.run_once()
        except StoreError:
            record(audit, "sync", actor, Result.FAILURE)
            raise
        log.info("sync as %s: sent %d, pulled %d, pending %d", "the desk" if sign_in is None else "a clerk",
                 result.sent, result.pulled, result.pending)
    finally:
        db.close()
    return result
