"""Set-aside outbox entries, and an exact pull watermark from the server's transaction ids.

Desk and server:
- ``outbox.set_aside_at`` / ``set_aside_reason``: a record the server refused is put aside
  with the reason (never its data) so the rest of the queue goes on; ``dxdesk sync
  --retry-set-aside`` clears them.
- ``sync_state.pulled_xid``: the pull cursor (a PostgreSQL snapshot ``xmin``).

Desk and server: ``desk_keys``, each desk's data and audit keys wrapped with the town
recovery key (dxdesk.store.escrow), append-only and pushed like audit events.

Server only: every row of the pulled tables carries ``server_xid``, the id of the
transaction that last wrote it (set by the trigger of 0003, extended here). A pull
reads ``server_xid >= cursor`` and then moves the cursor to its own snapshot's
``xmin``: every transaction below ``xmin`` had finished when the pull read, so its
rows were seen, and nothing newer is skipped. No clock and no look-back window.

Revision ID: 0005_sync_set_aside_and_xid
Revises: 0004_account_hardening
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_sync_set_aside_and_xid"
down_revision = "0004_account_hardening"
branch_labels = None
depends_on = None

# The tables desks pull (dxdesk.store.sync.PULLED_TABLES); frozen here as a migration must be.
_TABLES = ("clerks", "support_topics", "venues", "shared_settings", "support_sessions")


def upgrade() -> None:
    op.add_column("outbox", sa.Column("set_aside_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox", sa.Column("set_aside_reason", sa.Text(), nullable=True))
    op.add_column("sync_state", sa.Column("pulled_xid", sa.BigInteger(), nullable=True))
    op.create_table(
        "desk_keys",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key_ids", sa.String(length=512), nullable=False),
        sa.Column("recovery_fingerprint", sa.String(length=16), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("desk_id", sa.String(length=36), nullable=False),
        sa.CheckConstraint("kind IN ('database', 'audit')", name=op.f("ck_desk_keys_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_keys")),
    )
    with op.batch_alter_table("desk_keys") as batch:
        batch.create_index(batch.f("ix_desk_keys_desk_id"), ["desk_id"], unique=False)
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION dxdesk_stamp_received_at() RETURNS trigger AS $$
        BEGIN
            NEW.received_at := clock_timestamp();
            NEW.server_xid := pg_current_xact_id();
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    for table in _TABLES:
        # Existing rows: the upgrading transaction's id, so every desk pulls them once more (idempotent).
        op.execute(f"ALTER TABLE {table} ADD COLUMN server_xid xid8 NOT NULL DEFAULT pg_current_xact_id()")
        op.execute(f"CREATE INDEX ix_{table}_server_xid ON {table} (server_xid)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _TABLES:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_server_xid")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS server_xid")
        op.execute(
            """
            CREATE OR REPLACE FUNCTION dxdesk_stamp_received_at() RETURNS trigger AS $$
            BEGIN
                NEW.received_at := clock_timestamp();
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
            """
        )
    op.drop_table("desk_keys")
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("pulled_xid")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("set_aside_reason")
        batch.drop_column("set_aside_at")
