"""The store's check for ``dxdesk doctor``: read-only, creates nothing."""
from __future__ import annotations

from contextlib import closing
import os
import sqlite3
from typing import TYPE_CHECKING

from dxdesk.paths import AppPaths
from dxdesk.store import migrate
from dxdesk.store.backup import validate_dxdesk_file
from dxdesk.store.errors import StoreError
from dxdesk.store.keys import KeyMissingError, database_key_user, key_storage_description, secret_location
from dxdesk.store.problems import read_problems

if TYPE_CHECKING:
    from dxdesk.doctor import CheckResult


def doctor_check(paths: AppPaths) -> "CheckResult":
    from dxdesk.doctor import CheckResult, Status

    name = "Database"
    path = paths.database_file
    head = migrate.head_revision()
    if not path.exists():
        return CheckResult(name, Status.OK, f"no database yet; it is created at {path} on first start")
    try:
        revision = validate_dxdesk_file(path)
    except StoreError as exc:
        if not os.access(path.parent, os.W_OK):
            # SQLite cannot open a WAL database whose folder it cannot write (no -shm file): the file
            # itself may be fine, and "restore a backup" would send the clerk the wrong way.
            return CheckResult(name, Status.FAIL, f"{path} cannot be opened: its folder is read-only",
                               f"make {path.parent} and the files in it writable for the user running dxdesk")
        return CheckResult(name, Status.FAIL, str(exc), "restore a backup: dxdesk db restore FILE")
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:  # closed, not just committed: an open handle blocks restore
        pending = conn.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
        try:
            aside = conn.execute("SELECT count(DISTINCT table_name || ':' || record_id) FROM outbox "
                                 "WHERE sent_at IS NULL AND set_aside_at IS NOT NULL").fetchone()[0]
        except sqlite3.OperationalError:  # schema before 0004 (upgraded on next start)
            aside = 0
    if _key_missing_for_encrypted_data(paths):
        return CheckResult(name, Status.FAIL, f"{path}: {KeyMissingError().message.en}",
                           "restore the key with the town recovery sheet, or restore the key store")
    problems = read_problems(path)
    detail = f"{path} (schema {revision}, {pending} record(s) waiting to sync; {key_storage_description(paths)})"
    if aside or problems:
        what = [f"{aside} record(s) refused by the server and set aside"] if aside else []
        what += [f"{name}: {error}" for name, error in sorted(problems.items())]
        fixes = (["see `dxdesk db status`, fix the cause, then `dxdesk sync --retry-set-aside`"] if aside else [])
        fixes += ["see the log file for the failing background job"] if problems else []
        return CheckResult(name, Status.WARN, detail + ": " + "; ".join(what), "; ".join(fixes))
    if revision not in migrate.known_revisions():
        return CheckResult(name, Status.FAIL, detail + ": made by a newer dxdesk", "update dxdesk")
    # os.access asks the kernel, so an immutable file or a read-only mount counts too (as it does for root).
    if not os.access(path, os.W_OK):
        return CheckResult(name, Status.FAIL, detail + ": read-only, so nothing can be recorded",
                           f"make {path} writable for the user running dxdesk")
    if path.stat().st_mode & 0o077:
        return CheckResult(name, Status.WARN, detail + ": readable by other users", f"chmod 600 {path}")
    if revision != head:
        return CheckResult(name, Status.OK, detail + f"; will be upgraded to {head} (with a backup) on next start")
    return CheckResult(name, Status.OK, detail)


def _key_missing_for_encrypted_data(paths: AppPaths) -> bool:
    """No database key stored, yet the database holds encrypted values: dxdesk cannot start (nor make a key)."""
    from dxdesk.config import load_settings

    desk_id = load_settings(paths).general.desk_id if paths.settings_file.exists() else ""
    if desk_id and secret_location(database_key_user(desk_id), paths) is not None:
        return False
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError

    from dxdesk.store.database import holds_encrypted_data

    path = paths.database_file
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True))
    try:
        return holds_encrypted_data(engine)
    except DBAPIError:  # unreadable here: the other lines of the check say why
        return False
    finally:
        engine.dispose()
