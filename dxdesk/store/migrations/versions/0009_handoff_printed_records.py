"""Printed records for the back-office hand-off (issue #16).

* ``printed_records``: one row per printed form while the town's hand-off is on (the record
  encrypted as one value), read by ``dxdesk visit export``; local to the desk, never synced,
  purged with the visits' personal data.

Revision ID: 0009_handoff_printed_records
Revises: 0008_support_monthly_totals
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_handoff_printed_records"
down_revision = "0008_support_monthly_totals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "printed_records",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("visit_id", sa.String(36), nullable=False),
        sa.Column("form_id", sa.String(64), nullable=False),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_printed_records")),
    )
    op.create_index(op.f("ix_printed_records_visit_id"), "printed_records", ["visit_id"])
    op.create_index(op.f("ix_printed_records_printed_at"), "printed_records", ["printed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_printed_records_printed_at"), table_name="printed_records")
    op.drop_index(op.f("ix_printed_records_visit_id"), table_name="printed_records")
    op.drop_table("printed_records")
