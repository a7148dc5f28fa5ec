"""Make audit_events append-only in the database itself (triggers refuse UPDATE and DELETE).

The store API already refuses to modify audit events; the triggers also stop any
other program or hand-written SQL, on the desk (SQLite) and on the server (PostgreSQL).

Revision ID: 0002_audit_append_only
Revises: 0001_initial
"""
from __future__ import annotations

from alembic import op

revision = "0002_audit_append_only"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_MESSAGE = "audit_events is append-only"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION dxdesk_audit_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{_MESSAGE}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{action.lower()} BEFORE {action} ON audit_events "
                "FOR EACH ROW EXECUTE FUNCTION dxdesk_audit_append_only()"
            )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{action.lower()} BEFORE {action} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
            )


def downgrade() -> None:
    for action in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_events_no_{action}" + (
            " ON audit_events" if op.get_bind().dialect.name == "postgresql" else ""
        ))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS dxdesk_audit_append_only()")
