"""The per-class (講座・コマ) summary from the monthly totals (issue #17: a year's PDF at 1,000,000 sessions).

Adds the ``class_topics`` dimension to ``support_monthly_totals`` (the classes only, 2+
attendees, per topic list: classes, participants, staff, classes below the staffing rule)
and, on SQLite, recreates the triggers so every write of ``support_sessions`` keeps it in
the writer's transaction like the other dimensions. A desk whose totals are built gets
the new rows now, from its sessions at the stored offset (one pass over the classes); an
unbuilt desk builds everything at its first report, as before. PostgreSQL has no triggers
and reports there use ``GROUP BY`` (as migration 0008): nothing to do. See
:mod:`dxdesk.support.monthly_totals`.

Revision ID: 0013_support_class_totals
Revises: 0012_outbox_only_with_server
"""
from __future__ import annotations

from alembic import op
from sqlalchemy import text

from dxdesk.support import monthly_totals as mt

revision = "0013_support_class_totals"
down_revision = "0012_outbox_only_with_server"
branch_labels = None
depends_on = None

_CLASS = next(d for d in mt.DIMENSIONS if d[0] == mt.CLASS_DIM)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    mt.create_triggers(bind)
    bind.execute(text(f"DELETE FROM {mt.TOTALS} WHERE dim = :dim"), {"dim": mt.CLASS_DIM})
    offset = bind.execute(text(f"SELECT utc_offset FROM {mt.STATE} WHERE id = 1")).scalar()
    if offset is not None:
        mt.fill_dimension(bind, _CLASS, int(offset))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    mt.create_triggers(bind, tuple(d for d in mt.DIMENSIONS if d[0] != mt.CLASS_DIM))
    bind.execute(text(f"DELETE FROM {mt.TOTALS} WHERE dim = :dim"), {"dim": mt.CLASS_DIM})
