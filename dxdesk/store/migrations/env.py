"""Alembic environment for dxdesk; driven programmatically by dxdesk.store.migrate (no alembic.ini)."""
from __future__ import annotations

from alembic import context

import dxdesk.store.models  # noqa: F401  (registers every table on Base.metadata)
from dxdesk.store.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run dxdesk migrations through dxdesk.store.migrate (dxdesk db upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    # dxdesk's SQLite engine emits BEGIN itself, so a whole upgrade is one transaction there too.
    transactional_ddl=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
