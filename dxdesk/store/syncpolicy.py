"""Which rule each replicated table follows, and which columns stay on the desk (sync.py applies them;
the module docstring there and docs/sync.md explain the rules)."""
from __future__ import annotations

from typing import Any

from dxdesk.store.models import PUSHED_TABLES
from dxdesk.store.syncpush import TableShape, table_shape

APPEND_ONLY, VERSIONED, AUTHORITATIVE = "append-only", "versioned", "server-authoritative"
POLICIES: dict[str, str] = {
    "audit_events": APPEND_ONLY, "visit_steps": APPEND_ONLY, "forms_printed": APPEND_ONLY,
    "desk_keys": APPEND_ONLY,
    "visits": VERSIONED, "support_sessions": VERSIONED,
    "clerks": AUTHORITATIVE, "support_topics": AUTHORITATIVE, "venues": AUTHORITATIVE,
    "shared_settings": AUTHORITATIVE,
}
# Columns that belong to the desk, not the town: sent as the neutral value, never overwritten by a pull.
# A sign-in lockout is per desk (docs/accounts.md): unknown logins cannot lock town-wide, so a real
# login's lock showing up on the next desk would tell which logins are real.
DESK_LOCAL_COLUMNS: dict[str, dict[str, Any]] = {"clerks": {"failed_attempts": 0, "locked_until": None}}
PULLED_TABLES = ("clerks", "support_topics", "venues", "shared_settings", "support_sessions")
# Server-only column (migration 0005) set by a trigger on every INSERT/UPDATE of a pulled table:
# the id of the transaction that wrote the row (the pull cursor, see SyncEngine._pull).
SERVER_XID = "server_xid"
_TABLE_ORDER = {name: i for i, name in enumerate(PUSHED_TABLES)}


def table_rank(name: str) -> int:
    """Push order: parents first, so the server's foreign keys hold."""
    return _TABLE_ORDER.get(name, len(_TABLE_ORDER))


def table_shape_of(name: str) -> TableShape:
    return table_shape(name, POLICIES[name] == APPEND_ONLY)
