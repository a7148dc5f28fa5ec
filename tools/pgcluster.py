"""A throw-away local PostgreSQL cluster (initdb + pg_ctl) for tests and the sync benchmark.

Never used by the app itself: a town's central server is set up by its administrator.
The cluster lives in a temp directory, listens on 127.0.0.1 on a free port with
trust authentication, and is stopped with ``pg_ctl stop -m immediate`` (the same as
a crash, which is what the fault tests want). initdb refuses to run as root, so as
root every server command runs as the ``postgres`` system user (present wherever
the postgresql package is installed).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

PG_BIN = Path(os.environ.get("DXDESK_PG_BIN", "/usr/lib/postgresql/15/bin"))


class PgClusterError(RuntimeError):
    """The cluster could not be created or started (message includes the server log)."""


def pg_binaries_available(pg_bin: Path = PG_BIN) -> bool:
    return (pg_bin / "initdb").exists() and (pg_bin / "pg_ctl").exists()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """One local cluster. ``start()`` runs initdb the first time; ``stop()``/``start()`` keep the data.

    ``durable_commits=False`` turns synchronous_commit off for speed: fine while the
    server is only ever stopped cleanly, but a crash (``stop(immediate=True)``) can
    then lose the last commits, so the fault tests that crash the server keep it on.
    fsync is always off: the machine itself never loses power in a test.
    """

    def __init__(self, durable_commits: bool = False, pg_bin: Path = PG_BIN,
                 tls_cert_pem: bytes | None = None, tls_key_pem: bytes | None = None) -> None:
        """``tls_cert_pem``/``tls_key_pem``: serve TLS with this certificate (tests make one with a test CA)."""
        self.pg_bin = pg_bin
        self.tls = (tls_cert_pem, tls_key_pem) if tls_cert_pem and tls_key_pem else None
        self.durable_commits = durable_commits
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.run_as: list[str] = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.base = Path(tempfile.mkdtemp(prefix="dxdesk-pg-"))
        if self.run_as:
            shutil.chown(self.base, "postgres", "postgres")
        self.data = self.base / "data"
        self.socket_dir = self.base / "sock"
        self.logfile = self.base / "server.log"
        self._initialised = False

    def __enter__(self) -> "PgCluster":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()

    def _run(self, *args: str) -> None:
        try:
            subprocess.run(self.run_as + list(args), check=True, capture_output=True, timeout=60)
        except subprocess.CalledProcessError as exc:
            log_text = self.logfile.read_text(errors="replace") if self.logfile.exists() else ""
            raise PgClusterError(
                f"{Path(args[0]).name} failed: {exc.stderr.decode(errors='replace').strip()}\n{log_text}"
            ) from None
        except subprocess.TimeoutExpired:
            raise PgClusterError(f"{Path(args[0]).name} timed out") from None

    def start(self) -> None:
        if not pg_binaries_available(self.pg_bin):
            raise PgClusterError(f"PostgreSQL server binaries (initdb, pg_ctl) not found in {self.pg_bin}")
        if not self._initialised:
            self._run("mkdir", "-p", str(self.socket_dir))
            self._run(str(self.pg_bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                      "-E", "UTF8", "--locale=C", "--no-sync")
            self._initialised = True
        sync_commit = "on" if self.durable_commits else "off"
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses={self.host} -c fsync=off "
                   f"-c synchronous_commit={sync_commit} -c full_page_writes=off")
        if self.tls is not None:
            options += " " + self._tls_options()
        self._run(str(self.pg_bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "30",
                  "-o", options, "start")

    def _tls_options(self) -> str:
        assert self.tls is not None
        files = {"server.crt": self.tls[0], "server.key": self.tls[1]}
        for name, data in files.items():
            path = self.base / name
            path.write_bytes(data)
            os.chmod(path, 0o600)  # the server refuses a key others can read
            if self.run_as:
                shutil.chown(path, "postgres", "postgres")
        return f"-c ssl=on -c ssl_cert_file={self.base / 'server.crt'} -c ssl_key_file={self.base / 'server.key'}"

    def stop(self, immediate: bool = True) -> None:
        """Stop the server; ``immediate`` is a crash-like stop (no checkpoint, clients cut off)."""
        mode = "immediate" if immediate else "fast"
        self._run(str(self.pg_bin / "pg_ctl"), "-D", str(self.data), "-w", "stop", "-m", mode)

    def destroy(self) -> None:
        if self._initialised:
            subprocess.run(self.run_as + [str(self.pg_bin / "pg_ctl"), "-D", str(self.data), "stop",
                                          "-m", "immediate"], capture_output=True, timeout=60)
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, dbname: str) -> str:
        """A dxdesk server URL (no password: trust authentication)."""
        return f"postgresql://postgres@{self.host}:{self.port}/{dbname}"

    def create_database(self, prefix: str = "t_") -> str:
        """Create a fresh, empty database and return its dxdesk server URL."""
        import psycopg  # only needed when a cluster is really used

        name = prefix + uuid.uuid4().hex[:12]
        with psycopg.connect(f"host={self.host} port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)
