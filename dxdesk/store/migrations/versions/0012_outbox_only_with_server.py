"""A desk that never had a server keeps no outbox (issue #17: 105 MB of a 545 MB database at 1M).

Creates ``desk_state`` (local facts about this desk's store; the table is created on the server
too so both schemas stay one, but only desks use it). On a desk's SQLite:

* a desk that has had a server (a sent outbox entry, a recorded sync, or a ``db.set_server`` /
  ``db.join`` event in its audit log) gets ``queue_for_server = on`` and keeps queuing as before;
* any other desk empties its outbox once: nothing in it was ever going anywhere. ``db set-server``
  or ``db join`` later enqueues every record at once (dxdesk.store.session.start_queuing).
  The freed pages are reused by SQLite; the file itself shrinks only with a VACUUM.

Revision ID: 0012_outbox_only_with_server
Revises: 0011_drop_desk_id_indexes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_outbox_only_with_server"
down_revision = "0011_drop_desk_id_indexes"
branch_labels = None
depends_on = None

_HAD_SERVER = """
SELECT 1 WHERE EXISTS (SELECT 1 FROM outbox WHERE sent_at IS NOT NULL)
    OR EXISTS (SELECT 1 FROM sync_state WHERE last_sync_at IS NOT NULL)
    OR EXISTS (SELECT 1 FROM audit_events WHERE event_type IN ('db.set_server', 'db.join') AND result = 'success')
"""


def upgrade() -> None:
    op.create_table(
        "desk_state",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if bind.exec_driver_sql(_HAD_SERVER).first() is not None:
        op.execute("INSERT INTO desk_state (name, value) VALUES ('queue_for_server', 'on')")
    else:
        op.execute("DELETE FROM outbox")


# The tables a desk pushed at this revision (dxdesk.store.models.PUSHED_TABLES then), frozen here so
# that a later change to the models cannot change what this downgrade queues.
_PUSHED_TABLES_AT_0012 = (
    "clerks", "support_topics", "venues", "shared_settings",
    "visits", "visit_steps", "forms_printed", "support_sessions", "audit_events", "desk_keys",
)


def downgrade() -> None:
    # An older dxdesk queues every change and never enqueues existing records: give a desk that
    # never had a server back a full queue, so a later set-server there loses nothing.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and bind.exec_driver_sql(
            "SELECT 1 FROM desk_state WHERE name = 'queue_for_server' AND value = 'on'").first() is None:
        for name in _PUSHED_TABLES_AT_0012:
            op.execute(f"INSERT INTO outbox (table_name, record_id, op, created_at) "
                       f"SELECT '{name}', id, 'upsert', CURRENT_TIMESTAMP FROM {name}")
    op.drop_table("desk_state")
