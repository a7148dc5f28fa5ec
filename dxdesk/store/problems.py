"""Background failures that must reach a person: noted in the store, read by the home page and ``doctor``.

A failing daily retention purge used to be only a log line nobody reads. The
background job notes the failure here (``sync_state`` row ``problem:<name>``, local
only, never synced), clears it on the next success, and the supervisor's home page
and ``dxdesk doctor`` (another process) show what is still failing. Only the kind
of failure is kept (an exception class name), never record data.
"""
from __future__ import annotations

from contextlib import closing
import logging
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dxdesk.store.base import utcnow
from dxdesk.store.models import SyncState

log = logging.getLogger(__name__)

PURGE = "purge"
_PREFIX = "problem:"


def note_problem(database: Any, name: str, error: str | None) -> None:
    """Record that background job ``name`` failed with ``error`` (None: it succeeded). Never raises."""
    def write(s: Session) -> None:
        state = s.get(SyncState, _PREFIX + name)
        if error is None:
            if state is not None:
                s.delete(state)
            return
        state = state or SyncState(name=_PREFIX + name)
        state.last_error = error
        state.last_sync_at = utcnow()
        s.add(state)
    try:
        database.writer.run(write)
    except Exception as exc:  # the failure itself is already logged by the caller
        log.warning("could not record the %s problem (%s)", name, type(exc).__name__)


def current_problems(database: Any) -> dict[str, tuple[str, datetime | None]]:
    """{name: (error, when)} of background jobs whose last run failed."""
    with database.session() as s:
        rows = s.execute(select(SyncState.name, SyncState.last_error, SyncState.last_sync_at)
                         .where(SyncState.name.like(_PREFIX + "%"))).all()
    return {name.removeprefix(_PREFIX): (error or "", when) for name, error, when in rows}


def read_problems(path: Path) -> dict[str, str]:
    """The same for ``dxdesk doctor``: a read-only look at the file, creating nothing."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:  # closed, not just committed: an open handle blocks restore
        try:
            rows = conn.execute("SELECT name, last_error FROM sync_state WHERE name LIKE ?", (_PREFIX + "%",))
            return {name.removeprefix(_PREFIX): error or "" for name, error in rows}
        except sqlite3.OperationalError:  # an old schema without the table: nothing noted
            return {}
