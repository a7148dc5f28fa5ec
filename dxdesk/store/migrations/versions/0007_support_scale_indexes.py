"""Indexes for the support log at a million rows.

* ``(venue, started_at)``: a venue's type is taken from its latest session (one
  index look-up per venue instead of a scan of every session at each start), and
  reports and lists limited to one venue read only that venue's rows.
* ``(started_at, deleted_at)`` is not needed: ``started_at`` is already indexed and
  deleted rows are few.

Revision ID: 0007_support_scale_indexes
Revises: 0006_town_trust
"""
from __future__ import annotations

from alembic import op

revision = "0007_support_scale_indexes"
down_revision = "0006_town_trust"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_support_sessions_venue_started_at", "support_sessions", ["venue", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_support_sessions_venue_started_at", table_name="support_sessions")
