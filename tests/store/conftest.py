"""Store fixtures: local databases per desk, and a real throw-away PostgreSQL server.

The PostgreSQL server is started once per session in a temp directory (initdb +
pg_ctl, trust auth, free port, unix socket in the temp dir, fsync off) and stopped
with ``pg_ctl stop -m immediate``. initdb refuses to run as root, so as root it is
run as the ``postgres`` system user (present wherever the postgresql package is).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

from dxdesk.config import Settings
from dxdesk.paths import AppPaths
from dxdesk.store.database import Database, open_database

PG_BIN = Path(os.environ.get("DXDESK_PG_BIN", "/usr/lib/postgresql/15/bin"))


def desk_paths(root: Path) -> AppPaths:
    return AppPaths(root / "config", root / "data", root / "logs", root / "cache")


def desk_settings(desk_id: str | None = None, server_url: str = "") -> Settings:
    settings = Settings()
    settings.general.desk_id = desk_id or str(uuid.uuid4())
    settings.store.server_url = server_url
    return settings


@pytest.fixture
def make_db(tmp_path: Path) -> Iterator[Callable[..., Database]]:
    opened: list[Database] = []

    def make(name: str = "desk-a", settings: Settings | None = None, **kwargs: object) -> Database:
        db = open_database(settings or desk_settings(), desk_paths(tmp_path / name), **kwargs)  # type: ignore[arg-type]
        opened.append(db)
        return db

    yield make
    for db in opened:
        db.close()


@pytest.fixture
def db(make_db: Callable[..., Database]) -> Database:
    return make_db()


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    run_as: list[str]

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{dbname}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        pytest.skip(f"PostgreSQL server binaries (initdb, pg_ctl) not found in {PG_BIN}")
    run_as: list[str] = []
    base = Path(tempfile.mkdtemp(prefix="dxdesk-pg-"))
    if os.geteuid() == 0:
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres", "postgres")
    data, sock, logfile = base / "data", base / "sock", base / "server.log"
    subprocess.run(run_as + ["mkdir", str(sock)], check=True)
    port = _free_port()
    try:
        subprocess.run(
            run_as + [str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                      "-E", "UTF8", "--locale=C", "--no-sync"],
            check=True, capture_output=True,
        )
        subprocess.run(
            run_as + [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(logfile), "-w", "-t", "30",
                      "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
                            "-c synchronous_commit=off -c full_page_writes=off", "start"],
            check=True, capture_output=True,
        )
    except subprocess.CalledProcessError as exc:
        log_text = logfile.read_text() if logfile.exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')}\n{log_text}")
    try:
        yield PgServer("127.0.0.1", port, run_as)
    finally:
        subprocess.run(run_as + [str(PG_BIN / "pg_ctl"), "-D", str(data), "stop", "-m", "immediate"],
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A fresh, empty database on the session server, as a dxdesk server URL."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(f"host={pg_server.host} port={pg_server.port} user=postgres dbname=postgres",
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return pg_server.url(name)
