"""Town trust and shared catalogue ids.

* ``clerks.version`` and ``clerks.signature``: account records signed by an administrator with
  the town key (dxdesk.security.accounttrust); desks accept accounts from the server only when
  the signature checks against the town key pinned on the desk.
* ``town_trust``: local facts about the trusted town (the pinned public key). Created on the
  server too (the schema is one), where it stays empty.
* Shared catalogue rows (support topics, venues, shared settings) are re-keyed to deterministic
  ids (uuid5 of a fixed namespace and ``table:natural key``), so the seed of every desk is the
  same row and a desk that started alone can join a town without ``uq_support_topics_code``
  conflicts. The desk's outbox entries naming the old ids follow. No other table refers to these
  ids (support sessions name topics and venues by code).

Revision ID: 0006_town_trust
Revises: 0005_sync_set_aside_and_xid
"""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0006_town_trust"
down_revision = "0005_sync_set_aside_and_xid"
branch_labels = None
depends_on = None

# Frozen copy of dxdesk.store.models.CATALOGUE_NAMESPACE (a migration must not follow later code).
_NAMESPACE = uuid.UUID("5d0c1c52-6b55-4d1e-9a3f-8f2d7c1e0a11")
_CATALOGUES = (("support_topics", "code"), ("venues", "code"), ("shared_settings", "key"))


def upgrade() -> None:
    with op.batch_alter_table("clerks") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("signature", sa.Text(), nullable=True))
    op.create_table(
        "town_trust",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_town_trust")),
    )
    bind = op.get_bind()
    has_outbox = sa.inspect(bind).has_table("outbox") and bind.dialect.name == "sqlite"
    for table, key in _CATALOGUES:
        rows = bind.execute(sa.text(f"SELECT id, {key} FROM {table}")).all()
        for old_id, natural in rows:
            new_id = str(uuid.uuid5(_NAMESPACE, f"{table}:{natural}"))
            if new_id == old_id:
                continue
            bind.execute(sa.text(f"UPDATE {table} SET id = :new WHERE id = :old"), {"new": new_id, "old": old_id})
            if has_outbox:
                bind.execute(sa.text("UPDATE outbox SET record_id = :new WHERE table_name = :t AND record_id = :old"),
                             {"new": new_id, "old": old_id, "t": table})


def downgrade() -> None:
    # Deterministic ids stay (they are valid UUIDs); only the new columns and table go.
    op.drop_table("town_trust")
    with op.batch_alter_table("clerks") as batch:
        batch.drop_column("signature")
        batch.drop_column("version")
