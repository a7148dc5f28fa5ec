"""Qt-free local store: SQLite working database, encryption at rest, outbox and sync to PostgreSQL.

Entry points: :func:`dxdesk.store.database.open_database` (returns :class:`Database`),
:class:`dxdesk.store.sync.SyncEngine` / :class:`SyncScheduler`,
:class:`dxdesk.store.connectivity.ConnectivityState`. Models are in
:mod:`dxdesk.store.models`. Submodules are imported lazily by callers so that
``import dxdesk.store`` stays cheap.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dxdesk.doctor import CheckResult
    from dxdesk.paths import AppPaths


def doctor_check(paths: "AppPaths") -> "CheckResult":
    """The database line of ``dxdesk doctor`` (see health.py)."""
    from dxdesk.store.health import doctor_check as check

    return check(paths)
