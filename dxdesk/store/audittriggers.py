"""The append-only triggers on ``audit_events`` (created by migration 0002): are they all there, put them back.

Someone with the SQLite file can drop them; the keyed chain still catches edits, but
``dxdesk audit verify`` also reports the missing triggers. Recreating them is an
explicit administrator act (``dxdesk audit repair-triggers``), never done silently.
"""
from __future__ import annotations

from typing import Any

MESSAGE = "audit_events is append-only"  # the same text as migration 0002
TRIGGERS = {
    "audit_events_no_update": "UPDATE",
    "audit_events_no_delete": "DELETE",
}


def missing_triggers(conn: Any) -> list[str]:
    """Names of the triggers that are not in the SQLite schema (a SQLAlchemy connection)."""
    if conn.dialect.name != "sqlite":
        return []  # the server's triggers are its administrator's business
    present = {row[0] for row in conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'")}
    return [name for name in TRIGGERS if name not in present]


def recreate_triggers(conn: Any, names: list[str]) -> None:
    for name in names:
        conn.exec_driver_sql(
            f"CREATE TRIGGER {name} BEFORE {TRIGGERS[name]} ON audit_events "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
