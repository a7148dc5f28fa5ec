"""``python -m tools.bench sync``: how long a desk's first full sync and a resumed sync take.

A temp desk database is filled with support sessions and visits (with steps, and
encrypted personal fields like real ones), then pushed to a scratch PostgreSQL
database. The resumed run starts from a copy of the same desk file: its sync is
interrupted after half of the batches (right after a batch committed on the server
and before the desk marked it sent, the worst moment), then run again; only the
missing part, plus that one unconfirmed batch, is sent again.

The server is either a throw-away local cluster (tools/pgcluster.py) or ``--server URL``:
an existing server where the user may create databases; the bench creates its two
scratch databases there and drops them at the end.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Callable

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from dxdesk.config import Settings, load_settings
from dxdesk.paths import AppPaths
from dxdesk.store.backup import backup_sqlite
from dxdesk.store.base import utcnow
from dxdesk.store.database import Database, open_database
from dxdesk.store.models import AGE_BANDS, DEVICES, OUTCOMES, VENUE_TYPES, SupportSession, Visit, VisitStep
from tools.pgcluster import PgCluster
from dxdesk.store.server import create_server_engine
from dxdesk.store.servertls import INSECURE, ServerTLS
from dxdesk.store.session import start_queuing
from dxdesk.store.sync import SyncEngine

CHUNK = 1000  # records per writer transaction while filling the desk
STEPS = ("reception", "identify", "interview", "print", "close")


class BenchInterrupted(Exception):
    """Raised by the bench's batch hook: the desk "dies" after the server committed a batch."""


@dataclass(frozen=True)
class SyncBenchResult:
    entries: int  # outbox entries in the desk (= rows to send)
    fill_s: float
    full_s: float
    full_sent: int
    interrupted_after: int  # batches committed on the server before the interruption
    confirmed_before: int  # entries the desk had marked sent before it was interrupted
    server_rows_before_resume: int
    resume_s: float
    resume_sent: int
    server_rows_after_resume: int
    pull_s: float = 0.0  # a second desk's first pull of the other desk's support sessions
    pulled: int = 0
    noop_s: float = 0.0  # that desk's next sync, with nothing new anywhere
    noop_pulled: int = 0


def fill_desk(db: Database, sessions: int, visits: int, steps_per_visit: int) -> int:
    """Insert representative records through the writer (so the outbox is filled as in real use)."""
    start = utcnow() - timedelta(days=365)

    def sessions_job(first: int, count: int) -> Callable[[Session], None]:
        def job(s: Session) -> None:
            for i in range(first, first + count):
                s.add(SupportSession(
                    started_at=start + timedelta(minutes=i), venue=f"venue-{i % 12}",
                    venue_type=VENUE_TYPES[i % len(VENUE_TYPES)], topics=["mynaportal", "line"][: 1 + i % 2],
                    note="スマホの設定を支援" if i % 3 else "", device=DEVICES[i % len(DEVICES)],
                    age_band=AGE_BANDS[i % len(AGE_BANDS)], attendees=1 + i % 5, helpers=i % 3,
                    duration_minutes=10 + i % 50, outcome=OUTCOMES[i % len(OUTCOMES)],
                    follow_up_needed=i % 10 == 0, follow_up_contact="090-0000-0000" if i % 10 == 0 else None,
                ))
        return job

    def visits_job(first: int, count: int) -> Callable[[Session], None]:
        def job(s: Session) -> None:
            for i in range(first, first + count):
                began = start + timedelta(minutes=i)
                visit = Visit(status="closed", started_at=began, closed_at=began + timedelta(minutes=9),
                              identify_method="pin", procedures=["juminhyo"], resident_name="試験 太郎",
                              resident_kana="シケン タロウ", address="試験町1-2-3", birth_date="1950-01-01",
                              answers={"copies": 1 + i % 3}, total_seconds=540)
                s.add(visit)
                for k in range(steps_per_visit):
                    s.add(VisitStep(visit=visit, step=STEPS[k % len(STEPS)],
                                    started_at=began + timedelta(seconds=60 * k), seconds=60))
        return job

    for total, make in ((sessions, sessions_job), (visits, visits_job)):
        for first in range(0, total, CHUNK):
            db.writer.run(make(first, min(CHUNK, total - first)), timeout=600)
    return db.pending_count()


def _desk(root: Path, settings: Settings, path: Path | None = None) -> Database:
    paths = AppPaths(root / "config", root / "data", root / "logs", root / "cache")
    db = open_database(settings, paths, path=path)
    db.writer.run(start_queuing)  # a town desk whose server was away: every record waits in the outbox
    return db


def _server_rows(url: str, tls: ServerTLS) -> int:
    engine = create_server_engine(url, tls=tls)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT (SELECT count(*) FROM support_sessions) + (SELECT count(*) FROM visits)"
                " + (SELECT count(*) FROM visit_steps)")).scalar_one())
    finally:
        engine.dispose()


class _Scratch:
    """Creates (and at the end drops) the bench's databases on the given server or a local cluster."""

    def __init__(self, server_url: str | None, insecure_no_tls: bool = False) -> None:
        self.server_url = server_url
        # --server: TLS as this desk's settings say (dxdesk db set-server), or --insecure-no-tls for a lab
        # server. The bench's own cluster is a throw-away on 127.0.0.1 started by this process: the lab
        # opt-out, named as such.
        own_lab = server_url is None or insecure_no_tls
        self.tls = ServerTLS(INSECURE) if own_lab else ServerTLS.from_settings(load_settings().store)
        self.cluster: PgCluster | None = None
        self.created: list[str] = []

    def __enter__(self) -> "_Scratch":
        if self.server_url is None:
            self.cluster = PgCluster()
            try:
                self.cluster.start()
            except BaseException:
                self.cluster.destroy()
                raise
            self.server_url = self.cluster.url("postgres")
        return self

    def database(self) -> str:
        name = "dxdesk_bench_" + uuid.uuid4().hex[:8]
        admin = create_server_engine(self.server_url or "", tls=self.tls).execution_options(isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        self.created.append(name)
        return make_url(self.server_url or "").set(database=name).render_as_string(hide_password=False)

    def __exit__(self, *exc: object) -> None:
        if self.cluster is not None:
            self.cluster.destroy()
            return
        if not self.created:
            return
        admin = create_server_engine(self.server_url or "", tls=self.tls).execution_options(isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                for name in self.created:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        finally:
            admin.dispose()


def run_sync_bench(sessions: int, visits: int, steps_per_visit: int = 3, batch_size: int = 200,
                   server_url: str | None = None,
                   report: Callable[[str], None] = print, *, insecure_no_tls: bool = False) -> SyncBenchResult:
    tmp = Path(tempfile.mkdtemp(prefix="dxdesk-bench-sync-"))
    # The temp desk keeps its key in a file under tmp (no keyring entry for a throw-away desk);
    # the keys module's warning about that would only confuse the bench output.
    keys_log = logging.getLogger("dxdesk.store.keys")
    level = keys_log.level
    keys_log.setLevel(logging.ERROR)
    try:
        with _Scratch(server_url, insecure_no_tls) as scratch:
            return _run(tmp, scratch, sessions, visits, steps_per_visit, batch_size, report)
    finally:
        keys_log.setLevel(level)
        shutil.rmtree(tmp, ignore_errors=True)


def _run(tmp: Path, scratch: _Scratch, sessions: int, visits: int, steps_per_visit: int, batch_size: int,
         report: Callable[[str], None]) -> SyncBenchResult:
    settings = Settings()
    settings.general.desk_id = str(uuid.uuid4())
    settings.store.sync_batch_size = batch_size
    settings.store.server_tls, settings.store.server_ca_file, settings.store.server_cert_sha256 = (
        scratch.tls.mode, scratch.tls.ca_file, scratch.tls.cert_sha256)
    full_url, resume_url = scratch.database(), scratch.database()  # first: fails fast if the server does
    db = _desk(tmp, settings)
    try:
        t0 = time.perf_counter()
        entries = fill_desk(db, sessions, visits, steps_per_visit)
        fill_s = time.perf_counter() - t0
        report(f"desk filled: {sessions} support sessions, {visits} visits with {steps_per_visit} steps each "
               f"= {entries} outbox entries in {fill_s:.1f} s")
        copy = backup_sqlite(db.path, tmp / "resume-copy.sqlite3")  # same desk, nothing sent yet

        settings.store.server_url = full_url
        full = SyncEngine(db, settings.store)
        t0 = time.perf_counter()
        result = full.run_once()
        full_s = time.perf_counter() - t0
        full.server().dispose()
        report(f"full sync: sent {result.sent} entries in {full_s:.2f} s "
               f"(batch size {batch_size}; includes creating the server schema)")
    finally:
        db.close()
    pull_s, pulled, noop_s, noop_pulled = _pull_and_noop(tmp, full_url, scratch.tls, report)

    db = _desk(tmp, settings, path=copy)
    try:
        settings.store.server_url = resume_url
        stop_after = max(1, -(-entries // batch_size) // 2)

        def interrupt(phase: str, number: int) -> None:
            if phase == "after-commit" and number == stop_after:
                raise BenchInterrupted()
        engine = SyncEngine(db, settings.store, batch_hook=interrupt)
        try:
            engine.run_once()
            raise RuntimeError("the interruption hook never fired")
        except BenchInterrupted:
            pass
        confirmed = entries - db.pending_count()
        before = _server_rows(settings.store.server_url, scratch.tls)
        report(f"interrupted after batch {stop_after}: server has {before} of {entries} rows, "
               f"desk confirmed {confirmed}")
        engine.batch_hook = None
        t0 = time.perf_counter()
        resumed = engine.run_once()
        resume_s = time.perf_counter() - t0
        engine.server().dispose()
        after = _server_rows(settings.store.server_url, scratch.tls)
        report(f"resumed sync: sent {resumed.sent} entries (= {entries} - {confirmed} confirmed) in "
               f"{resume_s:.2f} s; server now has {after} rows, {resumed.pending} still waiting")
    finally:
        db.close()
    return SyncBenchResult(entries, fill_s, full_s, result.sent, stop_after, confirmed, before,
                           resume_s, resumed.sent, after, pull_s, pulled, noop_s, noop_pulled)


def _pull_and_noop(tmp: Path, url: str, tls: ServerTLS,
                   report: Callable[[str], None]) -> tuple[float, int, float, int]:
    """Another desk joins the same server: its first pull (every other-desk session), then a no-op sync.

    The no-op sync is what the app runs every minute; with the exact pull cursor it must
    read no row, however many the desk has already pulled.
    """
    settings = Settings()
    settings.general.desk_id = str(uuid.uuid4())
    settings.store.server_url = url
    settings.store.server_tls, settings.store.server_ca_file, settings.store.server_cert_sha256 = (
        tls.mode, tls.ca_file, tls.cert_sha256)
    db = _desk(tmp / "other-desk", settings)
    try:
        engine = SyncEngine(db, settings.store)
        t0 = time.perf_counter()
        first = engine.run_once()
        pull_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        noop = engine.run_once()
        noop_s = time.perf_counter() - t0
        engine.server().dispose()
    finally:
        db.close()
    report(f"second desk: first pull of {first.pulled} rows in {pull_s:.2f} s; "
           f"then a no-op sync pulled {noop.pulled} rows in {noop_s:.3f} s")
    return pull_s, first.pulled, noop_s, noop.pulled

