"""Drop the ``desk_id`` indexes a desk never uses (≈ 50 MB at a million support sessions).

* ``audit_events``: everywhere. The unique ``(desk_id, seq)`` index starts with desk_id, so
  it answers every desk_id look-up the plain index did.
* ``support_sessions``, ``visits``, ``visit_steps``, ``forms_printed``: on the desks' SQLite
  only. There the column holds this desk's id and those of the few other desks of the town
  (pulled for town-wide reports): no query is narrowed by it, the dashboard's "today at this
  desk" is narrowed by its date index. The central server keeps them (one region, many desks;
  reading a lost desk's rows selects by desk_id).

Revision ID: 0011_drop_desk_id_indexes
Revises: 0010_audit_checkpoints
"""
from __future__ import annotations

from alembic import op

revision = "0011_drop_desk_id_indexes"
down_revision = "0010_audit_checkpoints"
branch_labels = None
depends_on = None

_DESK_ONLY = ("support_sessions", "visits", "visit_steps", "forms_printed")


def _tables() -> tuple[str, ...]:
    return ("audit_events", *_DESK_ONLY) if op.get_bind().dialect.name == "sqlite" else ("audit_events",)


def upgrade() -> None:
    for table in _tables():
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_desk_id")


def downgrade() -> None:
    for table in _tables():
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_desk_id ON {table} (desk_id)")
