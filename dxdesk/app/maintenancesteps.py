"""What every database maintenance use case shares (dxdesk.app.maintenance, dxdesk.app.backuprestore).

The registry of use cases (which permission each takes, which audit event it writes), the
sign-in and permission step, the audit record, and :func:`sole_user`, which keeps every
other dxdesk off the file while a step replaces or re-keys it.
"""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dxdesk.config import Settings
from dxdesk.i18n import Msg
from dxdesk.paths import AppPaths
from dxdesk.security.audit import AuditEntry, AuditLog, EventType, Result
from dxdesk.security.auth import AuthService
from dxdesk.security.permissions import Permission, Session, require
from dxdesk.store.errors import StoreError

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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def open_desk(settings: Settings, paths: AppPaths, **kwargs: Any) -> Any:
    from dxdesk.store.database import open_database

    return open_database(settings, paths, **kwargs)


def authorise(db: Any, settings: Settings, sign_in: SignIn, permission: Permission | None,
              audit: AuditLog | None = None) -> tuple[AuditLog, Session]:
    """The person ``sign_in`` signs in on ``db``, checked for ``permission``; (audit log, session)."""
    audit = audit or AuditLog(db)
    session = sign_in(AuthService(db, audit, settings.security))
    if permission is not None:
        require(session, permission)
    return audit, session


def record(audit: AuditLog, name: str, actor: str, result: Result = Result.SUCCESS, **details: Any) -> None:
    """The audit event of use case ``name`` (its type from USE_CASES)."""
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
