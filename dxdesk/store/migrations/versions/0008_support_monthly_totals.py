"""Pre-computed monthly totals of the support log (issue #17: a year's report at 1,000,000 sessions).

``support_monthly_totals`` (one row per local month, dimension and key, with the sums the
KPIs are made of) and ``support_totals_state`` (the UTC offset they were built for), plus,
on SQLite, the triggers that keep the totals in step with every write of
``support_sessions`` in the writer's own transaction. The totals start unbuilt: the first
report (or ``dxdesk support totals --rebuild``) fills them. See
:mod:`dxdesk.support.monthly_totals`.

Revision ID: 0008_support_monthly_totals
Revises: 0007_support_scale_indexes
"""
from __future__ import annotations

from alembic import op

from dxdesk.support import monthly_totals

revision = "0008_support_monthly_totals"
down_revision = "0007_support_scale_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    monthly_totals.create_tables(op.get_bind())


def downgrade() -> None:
    monthly_totals.drop_tables(op.get_bind())
