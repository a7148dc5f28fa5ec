"""Schema migrations (Alembic), configured in code so no alembic.ini is needed at run time.

The scripts live next to this module (``Path(__file__).parent / "migrations"``), which
works from a source checkout, an installed wheel and a PyInstaller folder alike.
Revisions are linear; other packages add theirs on top of the current head.
``migrations/`` is deliberately not a Python package (no ``__init__.py``): Alembic
loads the scripts itself, and importing ``env.py`` outside Alembic would fail.
"""
from __future__ import annotations

import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Alembic's ``context`` (what env.py talks to) is one process-wide global, so two upgrades in one
# process at once (e.g. two sync engines meeting an empty server) would trample each other.
_ALEMBIC_LOCK = threading.Lock()


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    heads = script_directory().get_heads()
    if len(heads) != 1:  # a fork means two engineers added revisions on the same parent
        raise RuntimeError(f"migrations must be linear, found heads {heads}")
    return heads[0]


def known_revisions() -> set[str]:
    return {rev.revision for rev in script_directory().walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        upgrade_connection(conn, revision)


def upgrade_connection(conn: Connection, revision: str = "head") -> None:
    """Upgrade inside the caller's transaction (committed or rolled back by the caller)."""
    with _ALEMBIC_LOCK:
        command.upgrade(alembic_config(conn), revision)
