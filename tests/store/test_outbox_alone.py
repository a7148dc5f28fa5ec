"""Issue #17: a desk that never had a server keeps no outbox; setting one sends everything, once.

Run as a town runs it: the administrator's ``db set-server`` / ``db work-offline`` through the CLI
(signed in, permission checked, audited), records written through the store's own path
(tools.bench.sync.fill_desk: support sessions, visits and their steps), the routine ``dxdesk sync``
to a real PostgreSQL.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from dxdesk.cli import main
from dxdesk.store import migrate
from dxdesk.store.database import Database, create_sqlite_engine, open_database
from dxdesk.store.models import PUSHED_TABLES
from tools.bench.sync import fill_desk

from .conftest import desk_paths, desk_settings
from .test_faults import assert_server_is_union, server_engine

SET_SERVER = ["db", "set-server", "--no-password", "--insecure-no-tls", "--as", "admin"]


@pytest.fixture
def town_server(pg_url: str) -> Iterator[Engine]:
    with server_engine(pg_url) as engine:
        yield engine


def _local_ids(db: Database) -> dict[str, set[str]]:
    with db.session() as s:
        return {t: set(s.scalars(text(f"SELECT id FROM {t}"))) for t in PUSHED_TABLES}


def _outbox(db: Database) -> list[tuple[str, str]]:
    with db.session() as s:
        return [(r[0], r[1]) for r in s.execute(text("SELECT table_name, record_id FROM outbox ORDER BY id"))]


def _server_ids(engine: Engine, table: str) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(text(f"SELECT id FROM {table}")))


@pytest.mark.postgres
def test_desk_alone_queues_nothing_then_set_server_sends_every_record_once(pg_url, town_server,
                                                                           capsys, desk_accounts):
    db = open_database()
    try:
        fill_desk(db, sessions=120, visits=30, steps_per_visit=3)
        assert _outbox(db) == [] and db.pending_count() == 0  # alone: nothing waits for a server
    finally:
        db.close()

    assert main([*SET_SERVER[:2], pg_url, *SET_SERVER[2:]]) == 0
    db = open_database()
    try:
        local = _local_ids(db)
        queued = _outbox(db)
        # Every record exactly once (the set_server event included), parents before children.
        assert sorted(queued) == sorted((t, i) for t, ids in local.items() for i in ids)
        ranks = [PUSHED_TABLES.index(t) for t, _ in queued]
        assert ranks == sorted(ranks)
        assert db.pending_count() == len(queued) >= 120 + 30 * 4
    finally:
        db.close()

    assert main(["sync"]) == 0
    assert "still waiting 0" in capsys.readouterr().out
    db = open_database()
    try:
        assert_server_is_union(town_server, db)  # identical rows, nothing missing, nothing extra, nothing waits
        for table, ids in _local_ids(db).items():  # every pushed table, accounts and audit events too
            assert _server_ids(town_server, table) == ids, table
    finally:
        db.close()


@pytest.mark.postgres
def test_desk_that_had_a_server_keeps_queuing_while_offline(pg_url, town_server, capsys, desk_accounts):
    assert main([*SET_SERVER[:2], pg_url, *SET_SERVER[2:]]) == 0
    assert main(["sync"]) == 0
    assert main(["db", "work-offline", "on", "--as", "admin"]) == 0
    db = open_database()
    try:
        before = db.pending_count()
        fill_desk(db, sessions=40, visits=5, steps_per_visit=2)
        assert db.pending_count() == before + 40 + 5 * 3  # it will come back: every change waits
    finally:
        db.close()
    assert main(["db", "work-offline", "off", "--as", "admin"]) == 0
    assert main(["sync"]) == 0
    db = open_database()
    try:
        assert_server_is_union(town_server, db)
    finally:
        db.close()


def _desk_at_0011(tmp_path: Path, *, had_server: bool) -> tuple[Path, object]:
    settings = desk_settings()
    paths = desk_paths(tmp_path / "desk").ensure()
    engine = create_sqlite_engine(paths.database_file)
    migrate.upgrade(engine, "0011_drop_desk_id_indexes")
    engine.dispose()
    conn = sqlite3.connect(paths.database_file)
    with conn:
        for i in range(5):  # what the old hook queued for each record, server or not
            conn.execute("INSERT INTO outbox (table_name, record_id, op, created_at, sent_at) VALUES "
                         "('support_sessions', ?, 'upsert', '2026-01-01 00:00:00', ?)",
                         (f"s{i}", "2026-01-02 00:00:00" if had_server and i == 0 else None))
    conn.close()
    return paths.database_file, (settings, paths)


@pytest.mark.parametrize("had_server", [False, True])
def test_upgrade_empties_the_outbox_of_a_desk_that_never_had_a_server(tmp_path: Path, had_server: bool):
    from dxdesk.store.session import queuing

    _, (settings, paths) = _desk_at_0011(tmp_path, had_server=had_server)
    db = open_database(settings, paths)  # type: ignore[arg-type]
    try:
        with db.session() as s:
            left = s.scalar(text("SELECT count(*) FROM outbox"))
            assert queuing(s) is had_server
        assert left == (5 if had_server else 0)  # a desk that had a server keeps every entry
    finally:
        db.close()


def test_downgrade_gives_a_desk_alone_its_full_queue_back(tmp_path: Path):
    """0012's downgrade: an older dxdesk expects every record queued; the desk that never had a server
    gets one upsert per record of each table it pushed at that revision (its own frozen list)."""
    from alembic import command

    from dxdesk.store.session import queuing

    _, (settings, paths) = _desk_at_0011(tmp_path, had_server=False)
    db = open_database(settings, paths)  # type: ignore[arg-type]
    try:
        fill_desk(db, sessions=12, visits=3, steps_per_visit=2)
        with db.session() as s:
            assert not queuing(s) and s.scalar(text("SELECT count(*) FROM outbox")) == 0
            frozen = migrate.script_directory().get_revision("0012_outbox_only_with_server").module._PUSHED_TABLES_AT_0012
            rows = {t: s.scalar(text(f"SELECT count(*) FROM {t}")) for t in frozen}
        assert rows["support_sessions"] == 12 and rows["visits"] == 3 and rows["visit_steps"] == 6
        with db.engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0011_drop_desk_id_indexes")
        with db.engine.connect() as conn:
            queued = dict(conn.execute(text("SELECT table_name, count(*) FROM outbox GROUP BY table_name")).all())
    finally:
        db.close()
    assert queued == {t: n for t, n in rows.items() if n}
