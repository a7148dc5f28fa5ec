"""Verified audit checkpoints: the routine ``audit verify`` walks only events newer than the last check.

One row per desk (local only, never synced), keyed with that desk's audit key
(see dxdesk/security/auditcheckpoint.py and docs/audit.md).

Revision ID: 0010_audit_checkpoints
Revises: 0009_handoff_printed_records
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_audit_checkpoints"
down_revision = "0009_handoff_printed_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("desk_id", sa.String(36), nullable=False),
        sa.Column("through_seq", sa.Integer(), nullable=False),
        sa.Column("through_hash", sa.String(128), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("keyed", sa.Boolean(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mac", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("desk_id", name=op.f("pk_audit_checkpoints")),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
