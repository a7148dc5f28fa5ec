"""Store fixtures: local databases per desk, and a real throw-away PostgreSQL server.

The PostgreSQL server is started once per session by tools.pgcluster (initdb +
pg_ctl in a temp directory, trust auth, free port, fsync off; as root via the
``postgres`` system user), the same code ``python -m tools.bench sync`` uses.
"""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

from dxdesk.config import Settings
from dxdesk.paths import AppPaths
from dxdesk.store.database import Database, open_database
from dxdesk.store.servertls import INSECURE
from dxdesk.store.session import start_queuing
from tools.pgcluster import PG_BIN, PgCluster, PgClusterError, pg_binaries_available


def desk_paths(root: Path) -> AppPaths:
    return AppPaths(root / "config", root / "data", root / "logs", root / "cache")


def desk_settings(desk_id: str | None = None, server_url: str = "", *, lab_no_tls: bool = False) -> Settings:
    """A desk's settings; ``lab_no_tls`` is the explicit plaintext opt-out (the throw-away cluster on 127.0.0.1)."""
    settings = Settings()
    settings.general.desk_id = desk_id or str(uuid.uuid4())
    settings.store.server_url = server_url
    if lab_no_tls:
        settings.store.server_tls = INSECURE
    return settings


@pytest.fixture
def make_db(tmp_path: Path) -> Iterator[Callable[..., Database]]:
    opened: list[Database] = []

    def make(name: str = "desk-a", settings: Settings | None = None, *, town_desk: bool = True,
             **kwargs: object) -> Database:
        """``town_desk``: the desk has (had) a server, so it queues every change; False: a desk used alone."""
        db = open_database(settings or desk_settings(), desk_paths(tmp_path / name), **kwargs)  # type: ignore[arg-type]
        opened.append(db)
        if town_desk:
            db.writer.run(start_queuing)
        return db

    yield make
    for db in opened:
        db.close()


@pytest.fixture
def db(make_db: Callable[..., Database]) -> Database:
    return make_db()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgCluster]:
    """One PostgreSQL cluster for the whole test session (tests that crash a server make their own)."""
    if not pg_binaries_available():
        pytest.skip(f"PostgreSQL server binaries (initdb, pg_ctl) not found in {PG_BIN}")
    cluster = PgCluster()
    try:
        cluster.start()
    except PgClusterError as exc:
        cluster.destroy()
        pytest.fail(f"could not start PostgreSQL: {exc}")
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def pg_url(pg_server: PgCluster) -> str:
    """A fresh, empty database on the session server, as a dxdesk server URL."""
    return pg_server.create_database()
