"""A look at the desk database before it is opened, for the window's first dialog.

Opening the store (SQLAlchemy and the ORM, the key from the keyring, the schema check)
takes longer than drawing a dialog, and a clerk needs seconds to type a password. When
the database already holds accounts, the window shows the sign-in dialog at once and
opens the store behind it (dxdesk.ui.startup). Which dialog comes first is decided here,
with the standard library's sqlite3 alone: read-only, creating nothing, and any doubt
(no file, an unreadable one, no accounts table) answers "no", which keeps the careful
path of opening the store first (first start, join, restore messages).
"""
from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from pathlib import Path

from dxdesk import training
from dxdesk.config import Settings
from dxdesk.paths import AppPaths, app_paths
from dxdesk.store.deskhistory import refuse_reinitialising
from dxdesk.store.instancelock import InstanceLock

log = logging.getLogger(__name__)


def _database_file(settings: Settings, paths: AppPaths | None) -> Path:
    """The file ``AppServices.open`` will open: a training desk has its own (dxdesk.training)."""
    return training.desk_paths(paths or app_paths(), settings).database_file


def has_accounts(settings: Settings, paths: AppPaths | None = None) -> bool:
    """True only when the desk database exists and holds at least one account."""
    path = _database_file(settings, paths)
    try:
        if not path.is_file() or path.stat().st_size == 0:
            return False
        # Closed, not just committed: an open handle would block a restore (and hold the WAL).
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)) as conn:
            return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM clerks)").fetchone()[0])
    except (OSError, sqlite3.Error) as exc:  # the store's own opening will say what is wrong
        log.info("start-up probe could not read the accounts (%s); opening the store first", type(exc).__name__)
        return False


def is_new_desk(settings: Settings, paths: AppPaths | None = None) -> bool:
    """True on a desk's very first start: no database file at all, and no history noted outside one.

    Then nothing the store holds can change the first dialog (the start choice), so the window
    draws it while the store is created. A desk with history whose database is gone raises
    DeskHistoryError, as opening the store would, before any dialog; a file that exists (even
    empty or unreadable) answers False: the store is opened first and says what is wrong.
    """
    desk = training.desk_paths(paths or app_paths(), settings)
    if desk.database_file.exists():
        return False
    refuse_reinitialising(desk.database_file, desk, settings.general.desk_id)  # the keyring, not SQLAlchemy
    return True


def check_not_in_use(settings: Settings, paths: AppPaths | None = None) -> None:
    """Raise DatabaseInUseError when another dxdesk window holds this desk's database.

    The store takes the lock itself when it opens; asking first means a second window says so
    before it shows a sign-in dialog that could never sign in.
    """
    InstanceLock.acquire(_database_file(settings, paths)).release()
