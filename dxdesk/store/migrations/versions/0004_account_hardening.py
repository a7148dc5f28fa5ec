"""Accounts: a forced password change after an administrator sets one, and stored lockouts of unknown logins.

- ``clerks.must_change_password``: true for an account created or reset by an administrator,
  until its holder chooses a new password (the first sign-in can do nothing else).
- ``signin_throttle`` (desk only, never synced): failure counts and lockouts of logins that do
  not exist, so they behave exactly like real ones, also across a restart.

Revision ID: 0004_account_hardening
Revises: 0003_server_received_at
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from dxdesk.store.base import UTCDateTime

revision = "0004_account_hardening"
down_revision = "0003_server_received_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing accounts chose (or were told) their password before this rule: not forced retroactively.
    op.add_column("clerks", sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.create_table(
        "signin_throttle",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTCDateTime()),
        sa.Column("last_failure_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_signin_throttle")),
    )


def downgrade() -> None:
    op.drop_table("signin_throttle")
    with op.batch_alter_table("clerks") as batch:
        batch.drop_column("must_change_password")
