"""Fault tests: the sync process killed mid-batch, the server crashing or cutting the connection,
two desks syncing at once, and a power cut in the middle of a series of local writes.

The invariant every test checks is the one the sync promises (docs/sync.md): after
the faults and a rerun, the server holds exactly the union of the desks' own records,
byte for byte, with nothing lost and nothing twice; locally every committed record
has its outbox entry and no record is half-written.
"""
from __future__ import annotations

import os
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine

from dxdesk.config import load_settings, save_settings
from dxdesk.store.servertls import INSECURE
from dxdesk.paths import app_paths
from tools.bench.sync import fill_desk
from dxdesk.store.connectivity import ConnectivityMode
from dxdesk.store.database import Database, open_database
from dxdesk.support.catalog import seed_topics
from dxdesk.support.sql_repository import SqlRepository
from tools.pgcluster import PgCluster, PgClusterError, pg_binaries_available
from dxdesk.store.server import parse_server_url, raw_table
from dxdesk.store.sync import STALL_ANNOUNCEMENT, STALL_ENV, ServerUnreachableError, SyncEngine

from .conftest import desk_settings

ROOT = Path(__file__).resolve().parents[2]
SYNCED = ("support_sessions", "visits", "visit_steps", "support_topics")


# -- helpers --------------------------------------------------------------------------------------

def _rows(engine: Engine, table: str, desk_id: str | None = None) -> dict[str, dict[str, Any]]:
    """All rows of a table (encrypted columns as stored ciphertext), by id."""
    t = raw_table(table)
    stmt = select(t) if desk_id is None else select(t).where(t.c.desk_id == desk_id)
    with engine.connect() as conn:
        return {r["id"]: dict(r) for r in conn.execute(stmt).mappings()}


def assert_server_is_union(server: Engine, *desks: Database) -> None:
    """The server holds every desk's own records, identical, and nothing else; no desk waits."""
    for table in SYNCED:
        expected: dict[str, dict[str, Any]] = {}
        for db in desks:
            own = _rows(db.engine, table, db.desk_id)
            assert not expected.keys() & own.keys()
            expected.update(own)
        on_server = _rows(server, table)
        assert on_server.keys() == expected.keys(), table
        assert on_server == expected, table
    for db in desks:
        assert db.pending_count() == 0


@contextmanager
def server_engine(url: str) -> Iterator[Engine]:
    engine = create_engine(parse_server_url(url))
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def server(pg_url: str) -> Iterator[Engine]:
    with server_engine(pg_url) as engine:
        yield engine


def _desk(make_db, url: str, name: str = "desk-a", batch: int = 100) -> tuple[Database, SyncEngine]:
    settings = desk_settings(server_url=url, lab_no_tls=True)
    settings.store.sync_batch_size = batch
    db = make_db(name, settings=settings)
    return db, SyncEngine(db, settings.store)


def _count(server: Engine, table: str) -> int:
    with server.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


class _Lines:
    """Reads a child's pipe on a thread so the test can wait for a line with a timeout."""

    def __init__(self, stream: Any) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: Any) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, predicate: Any, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"timed out; child said: {''.join(self.seen)[-2000:]}")
            if line is None:
                pytest.fail(f"child exited early; it said: {''.join(self.seen)[-2000:]}")
            self.seen.append(line)
            if predicate(line):
                return line


def _child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)  # carries this test's DXDESK_HOME and the null keyring
    env.update(extra)
    return env


def _kill9(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


# -- (a) kill -9 of the sync process mid-batch ---------------------------------------------------

def _server_set_by_an_administrator(db, url: str) -> None:
    """What ``dxdesk db set-server URL --as ADMIN`` records: the routine ``dxdesk sync`` refuses any other server."""
    from dxdesk.app.maintenance import server_fingerprint
    from dxdesk.security.audit import AuditEntry, AuditLog, EventType

    from dxdesk.store.session import start_queuing

    entry = AuditEntry(EventType.DB_SET_SERVER, "test-administrator",
                       details={"server_sha256": server_fingerprint(url), "cleared": False})

    def job(orm) -> None:
        start_queuing(orm)  # as set-server does: the desk's records so far are enqueued with the event
        AuditLog(db).append_in(orm, entry)
    db.writer.run(job)


@pytest.mark.postgres
@pytest.mark.parametrize("phase, on_server_after_kill", [
    ("in-transaction", 100),  # batch 2 written but not committed: the server rolls it back
    ("after-commit", 200),  # batch 2 committed, the desk never learnt it: it will be sent again
])
def test_sync_process_killed_mid_batch_converges_on_rerun(pg_url, server, phase, on_server_after_kill):
    paths = app_paths()
    settings = load_settings(paths)
    settings.store.server_url = pg_url
    settings.store.server_tls = INSECURE  # the explicit lab opt-out: the throw-away cluster on 127.0.0.1
    settings.store.sync_batch_size = 100
    save_settings(settings, paths)
    db = open_database()
    try:
        fill_desk(db, sessions=300, visits=100, steps_per_visit=2)  # 700 entries, 7 batches
        _server_set_by_an_administrator(db, pg_url)  # + its audit event, in an 8th batch
        entries = db.pending_count()
    finally:
        db.close()

    sync = [sys.executable, "-m", "dxdesk", "sync"]
    proc = subprocess.Popen(sync, cwd=ROOT, env=_child_env(**{STALL_ENV: f"{phase}:2"}),
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        _Lines(proc.stderr).wait_for(lambda line: line.startswith(f"{STALL_ANNOUNCEMENT} {phase} 2"))
        _kill9(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    on_server = sum(_count(server, t) for t in ("support_sessions", "visits", "visit_steps"))
    assert on_server == on_server_after_kill
    db = open_database()
    try:
        # Only batch 1 was confirmed before the kill; the run's own sync.run event (last in the outbox) waits too.
        assert db.pending_count() == entries + 1 - 100
    finally:
        db.close()

    rerun = subprocess.run(sync, cwd=ROOT, env=_child_env(), capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"sent {entries + 2 - 100}, pulled 0, still waiting 0" in rerun.stdout  # + each run's sync.run
    db = open_database()
    try:
        assert_server_is_union(server, db)
    finally:
        db.close()


# -- (b) the server crashes between batches -------------------------------------------------------

@pytest.fixture
def crashable_server() -> Iterator[PgCluster]:
    """A private cluster this test may crash; commits are durable so a crash loses nothing committed."""
    if not pg_binaries_available():
        pytest.skip("PostgreSQL server binaries not found")
    cluster = PgCluster(durable_commits=True)
    try:
        cluster.start()
    except PgClusterError as exc:
        cluster.destroy()
        pytest.fail(str(exc))
    yield cluster
    cluster.destroy()


@pytest.mark.postgres
def test_server_stopped_mid_sync_means_offline_then_converges(make_db, crashable_server):
    url = crashable_server.create_database()
    db, engine = _desk(make_db, url)
    entries = fill_desk(db, sessions=500, visits=0, steps_per_visit=0)

    def crash_server(phase: str, number: int) -> None:
        if (phase, number) == ("after-commit", 2):
            crashable_server.stop(immediate=True)
    engine.batch_hook = crash_server
    with pytest.raises(ServerUnreachableError):
        engine.run_once()
    status = engine.connectivity.status()
    assert status.mode is ConnectivityMode.OFFLINE and status.last_error == ServerUnreachableError.default_message
    assert status.pending_count == entries - 200  # batches 1 and 2 committed and confirmed
    assert engine.connectivity.status_text("en") == f"Offline — {entries - 200} waiting to sync"
    fill_desk(db, sessions=1, visits=0, steps_per_visit=0)  # work goes on while the server is down

    crashable_server.start()
    engine.batch_hook = None
    result = engine.run_once()
    assert (result.sent, result.pending) == (entries + 1 - 200, 0)
    assert engine.connectivity.status().mode is ConnectivityMode.ONLINE
    with server_engine(url) as server:
        assert_server_is_union(server, db)


# -- (c) the server drops the sync's connection ---------------------------------------------------

def _terminate_sync_connections(url: str) -> int:
    """Kill the dxdesk backends from another session, as an administrator or a network cut would."""
    with server_engine(url) as admin, admin.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid, 5000) AS done FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = 'dxdesk' "
            "AND pid <> pg_backend_pid()) t WHERE done")).scalar_one())


@pytest.mark.postgres
def test_connection_dropped_inside_a_batch_is_an_offline_error_then_converges(make_db, pg_url, server):
    db, engine = _desk(make_db, pg_url)
    entries = fill_desk(db, sessions=400, visits=0, steps_per_visit=0)
    killed: list[int] = []

    def cut(phase: str, number: int) -> None:
        if (phase, number) == ("in-transaction", 2):
            killed.append(_terminate_sync_connections(pg_url))
    engine.batch_hook = cut
    with pytest.raises(ServerUnreachableError):
        engine.run_once()
    assert killed == [1]
    assert engine.connectivity.status().mode is ConnectivityMode.OFFLINE
    assert _count(server, "support_sessions") == 100 and db.pending_count() == entries - 100

    engine.batch_hook = None
    assert engine.run_once().sent == entries - 100
    assert_server_is_union(server, db)


@pytest.mark.postgres
def test_connection_dropped_between_batches_is_replaced_transparently(make_db, pg_url, server):
    db, engine = _desk(make_db, pg_url)
    entries = fill_desk(db, sessions=300, visits=0, steps_per_visit=0)
    killed: list[int] = []

    def cut(phase: str, number: int) -> None:
        if (phase, number) == ("after-commit", 1):
            killed.append(_terminate_sync_connections(pg_url))
    engine.batch_hook = cut
    # The pooled connection is dead; pool_pre_ping notices before the next batch and reconnects.
    assert engine.run_once().sent == entries
    assert killed == [1]
    assert_server_is_union(server, db)


# -- (d) two desks at the same time ---------------------------------------------------------------

@pytest.mark.postgres
def test_two_desks_syncing_at_once_converge_and_see_each_others_sessions(make_db, pg_url, server):
    desks = [_desk(make_db, pg_url, name, batch=50) for name in ("desk-a", "desk-b")]
    for db, _ in desks:
        fill_desk(db, sessions=400, visits=50, steps_per_visit=2)
        SqlRepository(db)  # every desk seeds the same default topics: the same rows (natural-key ids)
    start = threading.Barrier(len(desks))
    errors: list[BaseException] = []

    def run(engine: SyncEngine) -> None:
        try:
            start.wait(timeout=30)
            engine.run_once()  # both push (and create the server schema) concurrently
        except BaseException as exc:  # re-raised below on the test thread
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(engine,)) for _, engine in desks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads)
    for _, engine in desks:  # each pulls what the other pushed after its own pull
        engine.run_once()

    (db_a, _), (db_b, _) = desks
    assert_server_is_union(server, db_a, db_b)
    sessions = set(_rows(server, "support_sessions"))
    assert len(sessions) == 800
    for db in (db_a, db_b):
        assert set(_rows(db.engine, "support_sessions")) == sessions  # own plus the other desk's
        assert set(_rows(db.engine, "support_topics")) == set(_rows(server, "support_topics"))
        assert len(_rows(db.engine, "support_topics")) == len(seed_topics())
        assert db.pending_count() == 0  # pulled rows are not echoed back


# -- (e) power cut in the middle of local writes --------------------------------------------------

WRITER_CHILD = """
import sys
from sqlalchemy import event
from dxdesk.store.base import utcnow
from dxdesk.store.database import open_database
from dxdesk.store.models import AuditEvent, Visit, VisitStep

from dxdesk.store.session import start_queuing
db = open_database()
db.writer.run(start_queuing)  # a town desk: every record has its outbox entry
# Without automatic checkpoints every commit stays in the WAL, so the test may cut the WAL
# anywhere (a real power cut can only lose WAL frames written after the last checkpoint).
event.listen(db.engine, "connect", lambda c, r: c.execute("PRAGMA wal_autocheckpoint=0"))
db.engine.dispose()
for i in range(1, 100_000):
    def job(s, i=i):
        visit = Visit(procedures=["juminhyo"], resident_name=f"resident {i}")
        s.add(visit)
        for k in range(3):
            s.add(VisitStep(visit=visit, step=f"step{k}", started_at=utcnow(), seconds=k))
        s.add(AuditEvent(seq=i, event_type="visit_saved", items=["name"]))
    db.writer.run(job)
    print(f"committed {i}", flush=True)
"""


def _check_consistent(path: Path) -> int:
    """Integrity, foreign keys, whole records only, and an outbox entry for each record (and back)."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        visits = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
        partial = conn.execute("SELECT count(*) FROM visits v WHERE (SELECT count(*) FROM visit_steps s "
                               "WHERE s.visit_id = v.id) != 3").fetchone()[0]
        assert partial == 0
        assert conn.execute("SELECT count(*) FROM audit_events").fetchone()[0] == visits
        records = set(conn.execute(
            "SELECT 'visits', id FROM visits UNION ALL SELECT 'visit_steps', id FROM visit_steps "
            "UNION ALL SELECT 'audit_events', id FROM audit_events "
            "UNION ALL SELECT 'support_sessions', id FROM support_sessions").fetchall())
        outbox = conn.execute("SELECT table_name, record_id FROM outbox WHERE op = 'upsert'").fetchall()
        assert len(outbox) == len(set(outbox)) and set(outbox) == records
        return int(visits)
    finally:
        conn.close()


def test_power_cut_during_writes_leaves_a_consistent_database(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", WRITER_CHILD], cwd=ROOT, env=_child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        # Kill while the child is busy writing: it has confirmed 40 commits and is doing more.
        _Lines(proc.stdout).wait_for(lambda line: line.strip() == "committed 40")
        _kill9(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    db_file = app_paths().database_file
    wal = db_file.with_name(db_file.name + "-wal")
    assert wal.stat().st_size > 0
    # Copies before anything opens the original (opening replays and then removes the WAL).
    torn_dir = tmp_path / "torn"
    torn_dir.mkdir()
    cuts = [int(wal.stat().st_size * f) + 7 for f in (0.25, 0.5, 0.75)]  # +7: mid-frame, not on a boundary
    for cut in cuts:
        shutil.copyfile(db_file, torn_dir / f"{cut}.sqlite3")
        shutil.copyfile(wal, torn_dir / f"{cut}.sqlite3-wal")
        os.truncate(torn_dir / f"{cut}.sqlite3-wal", cut)

    assert _check_consistent(db_file) >= 40  # every commit the child confirmed survived its death
    # A power cut may also lose the WAL's unsynced tail (synchronous=NORMAL): fewer records, never half ones.
    survivors = [_check_consistent(torn_dir / f"{cut}.sqlite3") for cut in cuts]
    assert survivors == sorted(survivors) and survivors[0] < survivors[-1]

    db = open_database()  # and the app carries on with it
    try:
        with db.session() as s:
            assert s.scalar(text("SELECT count(*) FROM visits")) >= 40
        fill_desk(db, sessions=1, visits=0, steps_per_visit=0)
    finally:
        db.close()
    assert _check_consistent(db_file) >= 40
