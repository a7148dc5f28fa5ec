"""Schema migrations (Alembic), configured in code so no alembic.ini is needed at run time.

The scripts live next to this module (``Path(__file__).parent / "migrations"``), which
works from a source checkout, an installed wheel and a PyInstaller folder alike.
Revisions are linear; other packages add theirs on top of the current head.
``migrations/`` is deliberately not a Python package (no ``__init__.py``): Alembic
loads the scripts itself, and importing ``env.py`` outside Alembic would fail.
"""
from __future__ import annotations

import functools
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:  # Alembic is imported only when a migration runs (it is a large part of start-up)
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Alembic's ``context`` (what env.py talks to) is one process-wide global, so two upgrades in one
# process at once (e.g. two sync engines meeting an empty server) would trample each other.
_ALEMBIC_LOCK = threading.Lock()


_REVISION_RE = re.compile(r"""^(down_revision|revision)\s*=\s*(?:["']([^"']+)["']|None)""", re.MULTILINE)


@functools.lru_cache(maxsize=1)
def head_revision_without_alembic() -> str | None:
    """The head read straight from the scripts (``revision``/``down_revision`` lines), or None if unclear.

    Lets a desk whose schema is current start without importing Alembic at all.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict((m.group(1), m.group(2)) for m in _REVISION_RE.finditer(script.read_text(encoding="utf-8")))
        if "revision" not in found or not found["revision"]:
            return None  # a script this reader does not understand: ask Alembic
        revisions.add(found["revision"])
        if found.get("down_revision"):
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def stored_revision(conn: Connection) -> str | None:
    """The schema revision recorded in the database (``alembic_version``), read with plain SQL."""
    if conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'").first() is None:
        return None
    row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return None if row is None else str(row[0])


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    heads = script_directory().get_heads()
    if len(heads) != 1:  # a fork means two engineers added revisions on the same parent
        raise RuntimeError(f"migrations must be linear, found heads {heads}")
    return heads[0]


def known_revisions() -> set[str]:
    return {rev.revision for rev in script_directory().walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        upgrade_connection(conn, revision)


def upgrade_connection(conn: Connection, revision: str = "head") -> None:
    """Upgrade inside the caller's transaction (committed or rolled back by the caller)."""
    from alembic import command

    with _ALEMBIC_LOCK:
        command.upgrade(alembic_config(conn), revision)
