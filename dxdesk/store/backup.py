"""Consistent copies of the SQLite file (online backup API) and restore with validation."""
from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from dxdesk.i18n import Msg
from dxdesk.store.errors import DatabaseCorruptError, StoreError

log = logging.getLogger(__name__)

# Tables whose presence marks a file as a dxdesk database.
_REQUIRED_TABLES = {"alembic_version", "visits", "support_sessions", "audit_events", "outbox"}


def backup_sqlite(source: Path, dest: Path) -> Path:
    """Copy ``source`` to ``dest`` with sqlite3's backup API: consistent even while dxdesk is writing."""
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = dest.with_name(dest.name + ".partial")
    tmp.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            out = sqlite3.connect(tmp)
            try:
                src.backup(out)
                # A backup file is standalone: rollback journal, not WAL side files.
                out.execute("PRAGMA journal_mode=DELETE")
            finally:
                out.close()
        finally:
            src.close()
        os.chmod(tmp, 0o600)  # it holds (encrypted) personal data and the audit log
        tmp.replace(dest)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk or an interrupt leaves no half-written copy behind
        for suffix in ("-journal", "-wal", "-shm"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
        raise
    return dest


def timestamped_backup_name(tag: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return f"dxdesk-{stamp}-{tag}.sqlite3"


def validate_dxdesk_file(path: Path, full: bool = False, *, shown: Path | None = None) -> str:
    """Check that ``path`` is an intact dxdesk database; return its schema revision.

    ``full`` runs ``integrity_check`` (every index against its table) instead of the quicker
    ``quick_check``: a restore reads the whole file once before it may replace the live one.
    ``shown`` is the file the messages name when ``path`` is a staging copy of it.
    """
    name = (shown or path).name
    if not path.is_file():
        raise StoreError(Msg(f"ファイルが見つかりません: {path}", f"file not found: {path}"))
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = conn.execute("PRAGMA integrity_check" if full else "PRAGMA quick_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            revision: str | None = None
            if "alembic_version" in tables:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseCorruptError(
            Msg(f"{name} は dxdesk のデータベースではないか、壊れています。",
                f"{name} is not a dxdesk database or is damaged ({exc}).")
        ) from exc
    if check != "ok":
        raise DatabaseCorruptError(
            Msg(f"{name} は壊れています（整合性チェック失敗）。", f"{name} failed the integrity check.")
        )
    if not _REQUIRED_TABLES <= tables or revision is None:
        raise StoreError(Msg(f"{name} は dxdesk のデータベースではありません。", f"{name} is not a dxdesk database."))
    return revision


def restore_sqlite(source: Path, target: Path, keep_dir: Path) -> Path | None:
    """Replace ``target`` with ``source`` after validating it; the current file is kept in ``keep_dir`` first.

    The caller must have closed every connection to ``target``. Returns the path of
    the kept copy (None when there was no current database).
    """
    validate_dxdesk_file(source)
    kept = None
    if target.exists():
        kept = backup_sqlite(target, keep_dir / timestamped_backup_name("before-restore"))
    tmp = target.with_name(target.name + ".restoring")
    shutil.copyfile(source, tmp)
    os.chmod(tmp, 0o600)
    for suffix in ("-wal", "-shm"):  # stale WAL frames from the old file must not be replayed onto the new one
        Path(str(target) + suffix).unlink(missing_ok=True)
    tmp.replace(target)
    log.info("database restored from %s (previous copy kept: %s)", source, kept)
    return kept
