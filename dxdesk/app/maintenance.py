"""Database maintenance use cases: backup, restore, key rotation, server, offline switch, upgrade, sync.

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

import hashlib
import logging
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dxdesk.config import Settings, save_settings
from dxdesk.i18n import Msg
from dxdesk.paths import AppPaths
from dxdesk.security.audit import AuditEntry, AuditLog, EventType, Result
from dxdesk.security.auth import AuthService
from dxdesk.security.permissions import Permission, Session, require
from dxdesk.store.errors import StoreError

log = logging.getLogger(__name__)

SignIn = Callable[[AuthService], Session]
Confirm = Callable[[str], bool]

DESK_ACTOR = "desk"  # audit actor of the desk's own routine sync (no person signed in)


@dataclass(frozen=True)
class UseCase:
    permission: Permission | None  # None: any signed-in person, or the desk itself (sync only)
    event: EventType


USE_CASES: dict[str, UseCase] = {
    "backup": UseCase(Permission.MANAGE_KEYS, EventType.DB_BACKUP),
    "restore": UseCase(Permission.MANAGE_KEYS, EventType.DB_RESTORE),
    "rotate_key": UseCase(Permission.MANAGE_KEYS, EventType.DB_ROTATE_KEY),
    "set_server": UseCase(Permission.MANAGE_KEYS, EventType.DB_SET_SERVER),
    "work_offline": UseCase(Permission.MANAGE_SETTINGS, EventType.DB_WORK_OFFLINE),
    "upgrade": UseCase(Permission.MANAGE_SETTINGS, EventType.DB_UPGRADE),
    "sync": UseCase(None, EventType.SYNC_RUN),
}


class MaintenanceError(StoreError):
    """A refused or failed maintenance step; ``message`` is the bilingual sentence."""


MSG_CANCELLED = Msg("取り消しました。何も変更していません。", "Cancelled; nothing was changed.")


def server_fingerprint(url: str) -> str:
    """What a db.set_server event records of the URL: its SHA-256, never the URL (hosts, user names)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _open(settings: Settings, paths: AppPaths, **kwargs: Any) -> Any:
    from dxdesk.store.database import open_database

    return open_database(settings, paths, **kwargs)


def _authorise(db: Any, settings: Settings, sign_in: SignIn, permission: Permission | None,
               audit: AuditLog | None = None) -> tuple[AuditLog, Session]:
    audit = audit or AuditLog(db)
    session = sign_in(AuthService(db, audit, settings.security))
    if permission is not None:
        require(session, permission)
    return audit, session


def _record(audit: AuditLog, name: str, actor: str, result: Result = Result.SUCCESS, **details: Any) -> None:
    audit.append(AuditEntry(USE_CASES[name].event, actor, result, details=details))


@contextmanager
def sole_user(path: Path, doing: Msg) -> Iterator[None]:
    """Hold the instance lock for ``path`` and make sure no other connection has the file open.

    The lock keeps a dxdesk from *starting* meanwhile; the journal-mode switch also
    catches an idle opener that does not take the lock (in WAL mode an idle connection
    holds no lock that BEGIN EXCLUSIVE would trip over, but leaving WAL needs it gone).
    """
    from dxdesk.store.errors import DatabaseInUseError
    from dxdesk.store.instancelock import InstanceLock

    in_use = MaintenanceError(Msg(f"データベースが使用中です。dxdesk を閉じてから{doing.ja}。",
                                  f"the database is in use (is dxdesk running?); close it before {doing.en}"))
    try:
        lock = InstanceLock.acquire(path)
    except DatabaseInUseError:
        raise in_use from None
    try:
        if path.exists() and path.stat().st_size:
            conn = sqlite3.connect(path, timeout=0.5, isolation_level=None)
            try:
                conn.execute("BEGIN EXCLUSIVE")
                conn.execute("ROLLBACK")
                if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                    conn.execute("PRAGMA journal_mode=DELETE")
                    conn.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError:
                raise in_use from None
            finally:
                conn.close()
        yield
    finally:
        lock.release()


# ------------------------------------------------------------------ backup
@dataclass(frozen=True)
class BackupResult:
    path: Path
    sha256: str


def backup(settings: Settings, paths: AppPaths, sign_in: SignIn, out: Path, *, force: bool = False) -> BackupResult:
    """A consistent copy of the database at ``out`` (a folder gets a timestamped name); owner-only."""
    from dxdesk.outputfiles import check_output
    from dxdesk.store.backup import backup_sqlite, timestamped_backup_name

    if not paths.database_file.exists():
        raise MaintenanceError(Msg(f"データベースがありません: {paths.database_file}",
                                   f"no database at {paths.database_file}"))
    if out.is_dir():
        out = out / timestamped_backup_name("backup")
    check_output(out, force, paths)
    db = _open(settings, paths)
    try:
        audit, session = _authorise(db, settings, sign_in, USE_CASES["backup"].permission)
        from dxdesk.store.escrow import ensure_wrapped_keys

        ensure_wrapped_keys(db)  # the copy must carry the current keys wrapped with the town recovery key
        try:
            backup_sqlite(db.path, out)
        except (OSError, sqlite3.Error) as exc:
            raise MaintenanceError(Msg(f"バックアップに失敗しました: {exc}", f"backup failed: {exc}")) from None
        digest = _sha256_file(out)
        _record(audit, "backup", session.clerk_id, sha256=digest)
    finally:
        db.close()
    return BackupResult(out, digest)


# ----------------------------------------------------------------- restore
@dataclass(frozen=True)
class RestorePlan:
    """What a restore would do, for the confirmation question."""

    source: Path
    revision: str
    from_seq: int  # newest event this desk wrote (head note, else the live database's newest)
    to_seq: int  # newest event of this desk in the file being restored

    def question(self) -> str:
        lost = f"; this desk's audit events after seq {self.to_seq} (through {self.from_seq}) are rolled back" \
            if self.from_seq > self.to_seq else ""
        return f"Replace the live database with {self.source}{lost}. The current file is kept in backups/."


@dataclass(frozen=True)
class RestoreResult:
    plan: RestorePlan
    kept: Path | None


def _local_chain(path: Path, desk_id: str) -> list[Any]:
    """This desk's audit events from a database file, read with plain SQL (any schema revision)."""
    import json
    from datetime import datetime

    from dxdesk.security.auditchain import AuditRecord

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "SELECT id, seq, occurred_at, actor, desk_id, event_type, jimu_type, reason, items, result, details, "
            "prev_hash, hash FROM audit_events WHERE desk_id = ? ORDER BY seq", (desk_id,)).fetchall()
    finally:
        conn.close()
    return [AuditRecord(r[0], r[1], datetime.fromisoformat(r[2]), r[3], r[4], r[5], r[6] or "", r[7] or "",
                        tuple(json.loads(r[8] or "[]")), r[9] or "", json.loads(r[10] or "{}"), r[11], r[12])
            for r in rows]


def validate_restore_source(staging: Path, settings: Settings, paths: AppPaths) -> tuple[str, list[Any]]:
    """The whole file, before anything touches the live database: integrity, schema revision, audit chain.

    Returns (schema revision, this desk's audit events). Raises MaintenanceError/StoreError.
    """
    from dxdesk.security.auditchain import verify_chain
    from dxdesk.security.auditkey import AuditKeyError, load_audit_key, load_cutover
    from dxdesk.store import migrate
    from dxdesk.store.backup import validate_dxdesk_file
    from dxdesk.store.errors import SchemaTooNewError

    revision = validate_dxdesk_file(staging, full=True)
    if revision != migrate.head_revision() and revision not in migrate.known_revisions():
        raise SchemaTooNewError(Msg(
            f"このバックアップ（スキーマ {revision}）は新しいバージョンの dxdesk で作成されています。"
            "dxdesk を更新してから復元してください。何も変更していません。",
            f"this backup has schema revision {revision}, newer than this dxdesk knows; update dxdesk first. "
            "Nothing was changed.",
        ))
    desk = settings.general.desk_id
    try:
        chain = _local_chain(staging, desk)
        key = load_audit_key(desk, paths)
        cutover = load_cutover(desk, paths)
    except (sqlite3.Error, ValueError, AuditKeyError) as exc:
        raise MaintenanceError(Msg(f"バックアップの監査ログを確認できません: {exc}",
                                   f"the backup's audit log cannot be checked: {exc}")) from None
    result = verify_chain(chain, key, None, cutover)
    if not result.ok:
        raise MaintenanceError(Msg(
            f"バックアップの監査ログが改ざんされているため復元しません: {result.describe()}",
            f"refusing to restore: the backup's {result.describe()}. Nothing was changed.",
        ))
    return revision, chain


def _live_usable(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return bool(conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='clerks'").fetchone()[0] == 1)
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def restore(settings: Settings, paths: AppPaths, sign_in: SignIn, source: Path, confirm: Confirm) -> RestoreResult:
    """Replace the database with ``source`` after validating the whole file; the current one is kept.

    The person authorising signs in on the live database; when that is missing or empty
    (a desk that lost its file), on the file being restored. The restored chain gets a
    ``db.restore`` event naming the chain head it replaces and the one it restores to,
    so verification tells an audited rollback from a deleted tail.
    """
    from dxdesk.security.auditkey import AuditKeyError, load_chain_head
    from dxdesk.store.backup import backup_sqlite, timestamped_backup_name

    target = paths.database_file
    if not source.is_file():
        raise MaintenanceError(Msg(f"ファイルが見つかりません: {source}", f"file not found: {source}"))
    staging = target.with_name(target.name + ".restoring")
    with sole_user(target, Msg("復元してください", "restoring")):
        staging.unlink(missing_ok=True)
        try:
            shutil.copyfile(source, staging)
            staging.chmod(0o600)
            revision, chain = validate_restore_source(staging, settings, paths)
            session: Session | None = None
            live_last: list[Any] = []
            if _live_usable(target):
                live = _open(settings, paths)  # we hold the instance lock; a second exclusive open would refuse
                try:
                    _audit, session = _authorise(live, settings, sign_in, USE_CASES["restore"].permission)
                finally:
                    live.close()
                live_last = _local_chain(target, settings.general.desk_id)[-1:]
            # The head being replaced: the note (it outlives a lost file), else the live file's newest event.
            try:
                noted = load_chain_head(settings.general.desk_id, paths)
            except AuditKeyError:
                noted = None
            from_seq, from_hash = (noted.seq, noted.hash) if noted else \
                ((live_last[0].seq, live_last[0].hash) if live_last else (0, ""))
            plan = RestorePlan(source, revision, from_seq, chain[-1].seq if chain else 0)
            if not confirm(plan.question()):
                raise MaintenanceError(MSG_CANCELLED)
            restored = _open(settings, paths, path=staging)  # migrates an older backup forward (own backup first)
            try:
                audit = AuditLog(restored, accept_rollback=True)
                if session is None:
                    audit, session = _authorise(restored, settings, sign_in, USE_CASES["restore"].permission, audit)
                details: dict[str, Any] = {"from_seq": from_seq, "to_seq": plan.to_seq,
                                           "source_sha256": _sha256_file(source)}
                if from_hash:
                    details["from_hash"] = from_hash
                if chain:
                    details["to_hash"] = chain[-1].hash
                _record(audit, "restore", session.clerk_id, **details)
            finally:
                restored.close()
            kept = None
            if target.exists() and target.stat().st_size:
                kept = backup_sqlite(target, paths.backup_dir / timestamped_backup_name("before-restore"))
            for suffix in ("-wal", "-shm"):  # stale WAL frames of the old file must not be replayed onto the new
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            staging.replace(target)
        finally:
            staging.unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(f"{staging}{suffix}").unlink(missing_ok=True)
    log.info("database restored from %s (previous copy kept: %s)", source, kept)
    return RestoreResult(plan, kept)


# ------------------------------------------------------------- rotate key
def rotate_key(settings: Settings, paths: AppPaths, sign_in: SignIn, confirm: Confirm) -> int:
    """Re-encrypt personal fields under a new key; returns the number of records re-encrypted."""
    from dxdesk.store.rotate import rotate_key as rotate

    target = paths.ensure().database_file
    # A running dxdesk keeps writing with the keys it loaded at start; once the old key is dropped
    # here, whatever it wrote after the rotation could never be decrypted again.
    with sole_user(target, Msg("キーを更新してください", "rotating the key")):
        db = _open(settings, paths)
        try:
            audit, session = _authorise(db, settings, sign_in, USE_CASES["rotate_key"].permission)
            if not confirm("Re-encrypt personal fields under a new key (the old key is kept, wrapped with the town "
                           "recovery key or in the key store, so earlier backups stay readable)."):
                raise MaintenanceError(MSG_CANCELLED)
            changed = int(rotate(db))
            _record(audit, "rotate_key", session.clerk_id, records=changed)
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
    db = _open(settings, paths)
    try:
        audit, session = _authorise(db, settings, sign_in, USE_CASES["set_server"].permission)
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
    db = _open(settings, paths)
    try:
        audit, session = _authorise(db, settings, sign_in, USE_CASES["work_offline"].permission)
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
    db = _open(settings, paths, exclusive=True)  # never migrate the schema under a running app
    try:
        audit, session = _authorise(db, settings, sign_in, USE_CASES["upgrade"].permission)
        after = migrate.current_revision(db.engine) or ""
        _record(audit, "upgrade", session.clerk_id, from_revision=before or "", to_revision=after)
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
    db = _open(settings, paths)
    try:
        if sign_in is None:
            audit, actor = AuditLog(db), DESK_ACTOR
        else:
            audit, session = _authorise(db, settings, sign_in, USE_CASES["sync"].permission)
            actor = session.clerk_id
        if db.training:
            # 研修モード: fictional records never reach a town's server, whatever the settings say.
            raise MaintenanceError(Msg("研修モードのデータは送信しません。", "training mode never syncs"))
        if not configured_server_audited(db, url):
            _record(audit, "sync", actor, Result.DENIED, cause="server_not_set_by_administrator")
            raise MaintenanceError(MSG_SERVER_NOT_AUDITED)
        # Recorded before it runs, so the event itself travels with this sync (and a sync that dies
        # half-way is still on record); the counts are printed and logged.
        _record(audit, "sync", actor, waiting=db.pending_count())
        engine = SyncEngine(db, settings.store, password_lookup=lambda: server_password(paths))
        try:
            if retry_set_aside:
                log.info("resending %d set-aside entries", engine.retry_set_aside())
            result = engine.run_once()
        except StoreError:
            _record(audit, "sync", actor, Result.FAILURE)
            raise
        log.info("sync as %s: sent %d, pulled %d, pending %d", "the desk" if sign_in is None else "a clerk",
                 result.sent, result.pulled, result.pending)
    finally:
        db.close()
    return result
