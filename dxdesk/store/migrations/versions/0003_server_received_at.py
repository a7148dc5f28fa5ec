"""Server only: stamp every row of the pulled tables with the server's own clock when it arrives.

Desks pulled with a watermark on ``updated_at``, which is the *originating desk's*
clock at edit time. A desk that worked offline for days (the BCP case) pushes rows
whose ``updated_at`` lies days behind the other desks' watermarks, and those rows
were never pulled by anyone: town-wide reports silently missed them. ``received_at``
is set by a trigger on every INSERT and UPDATE (sync upserts and an administrator's
hand edit alike) from the one server clock, so a pull cursor on it misses nothing.
The desks' SQLite schema does not change.

Revision ID: 0003_server_received_at
Revises: 0002_audit_append_only
"""
from __future__ import annotations

from alembic import op

revision = "0003_server_received_at"
down_revision = "0002_audit_append_only"
branch_labels = None
depends_on = None

# The tables desks pull (dxdesk.store.sync.PULLED_TABLES); frozen here as a migration must be.
_TABLES = ("clerks", "support_topics", "venues", "shared_settings", "support_sessions")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION dxdesk_stamp_received_at() RETURNS trigger AS $$
        BEGIN
            NEW.received_at := clock_timestamp();
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    for table in _TABLES:
        # Existing rows get the upgrade time: every desk re-pulls them once (idempotent upserts).
        op.execute(f"ALTER TABLE {table} ADD COLUMN received_at timestamptz NOT NULL DEFAULT clock_timestamp()")
        op.execute(f"CREATE INDEX ix_{table}_received_at ON {table} (received_at)")
        op.execute(
            f"CREATE TRIGGER {table}_received_at BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION dxdesk_stamp_received_at()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_received_at ON {table}")
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_received_at")
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS received_at")
    op.execute("DROP FUNCTION IF EXISTS dxdesk_stamp_received_at()")
