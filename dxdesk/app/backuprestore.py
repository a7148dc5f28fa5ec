"""Backup and restore of the desk database, as an administrator's use cases (MANAGE_KEYS, audited).

Qt-free; reached through :mod:`dxdesk.app.maintenance` (``maintenance.backup`` / ``maintenance.restore``),
which the command line and the window call.
"""
from __future__ import annotations

import logging
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dxdesk.app.maintenancesteps import (
    MSG_CANCELLED, USE_CASES, Confirm, MaintenanceError, SignIn, authorise, open_desk, record, sha256_file, sole_user,
)
from dxdesk.config import Settings
from dxdesk.i18n import Msg
from dxdesk.paths import AppPaths
from dxdesk.security.audit import AuditLog
from dxdesk.security.permissions import Session

log = logging.getLogger(__name__)


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
    db = open_desk(settings, paths)
    try:
        audit, session = authorise(db, settings, sign_in, USE_CASES["backup"].permission)
        from dxdesk.store.escrow import ensure_wrapped_keys

        ensure_wrapped_keys(db)  # the copy must carry the current keys wrapped with the town recovery key
        try:
            backup_sqlite(db.path, out)
        except (OSError, sqlite3.Error) as exc:
            raise MaintenanceError(Msg(f"バックアップに失敗しました: {exc}", f"backup failed: {exc}")) from None
        digest = sha256_file(out)
        record(audit, "backup", session.clerk_id, sha256=digest)
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


def validate_restore_source(staging: Path, settings: Settings, paths: AppPaths,
                            source: Path | None = None) -> tuple[str, list[Any]]:
    """The whole file, before anything touches the live database: integrity, schema revision, audit chain.

    Returns (schema revision, this desk's audit events). Raises MaintenanceError/StoreError.
    """
    from dxdesk.security.auditchain import verify_chain
    from dxdesk.security.auditkey import AuditKeyError, load_audit_key, load_cutover
    from dxdesk.store import migrate
    from dxdesk.store.backup import validate_dxdesk_file
    from dxdesk.store.errors import SchemaTooNewError

    revision = validate_dxdesk_file(staging, full=True, shown=source)  # named as the person chose it
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
            revision, chain = validate_restore_source(staging, settings, paths, source)
            session: Session | None = None
            live_last: list[Any] = []
            if _live_usable(target):
                live = open_desk(settings, paths)  # we hold the instance lock; a second exclusive open would refuse
                try:
                    _audit, session = authorise(live, settings, sign_in, USE_CASES["restore"].permission)
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
            restored = open_desk(settings, paths, path=staging)  # migrates an older backup forward (own backup first)
            try:
                audit = AuditLog(restored, accept_rollback=True)
                if session is None:
                    audit, session = authorise(restored, settings, sign_in, USE_CASES["restore"].permission, audit)
                details: dict[str, Any] = {"from_seq": from_seq, "to_seq": plan.to_seq,
                                           "source_sha256": sha256_file(source)}
                if from_hash:
                    details["from_hash"] = from_hash
                if chain:
                    details["to_hash"] = chain[-1].hash
                record(audit, "restore", session.clerk_id, **details)
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
