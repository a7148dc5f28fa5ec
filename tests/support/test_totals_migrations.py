"""The migrations that make the monthly totals (0008, 0013) against the live :mod:`dxdesk.support.monthly_totals`.

0008 and 0013 carry their tables and trigger SQL frozen as they were at their revision, so a later change
to the live module cannot change what an old migration does to a desk. The first test is the tripwire:
when it fails after a change to ``monthly_totals`` (its dimensions, measures, tables or trigger SQL),
write a new migration that puts the new schema in; never edit 0008 or 0013.

The others hold the migrations' behaviour: a desk with sessions upgraded from before the totals gets the
same totals as a full rebuild (class_topics included), downgrades leave no stray triggers, and the town's
PostgreSQL gets the tables without triggers.
"""
from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from dxdesk.store import migrate
from dxdesk.store import models as m
from dxdesk.store.database import create_sqlite_engine, open_database
from dxdesk.support import classes, monthly_totals
from dxdesk.support.model import SupportSession
from dxdesk.support.repository import SessionQuery
from dxdesk.support.sql_repository import SqlRepository, _fill
from dxdesk.timeutil import local_now
from tests.store.conftest import desk_paths, desk_settings, pg_binaries_available, pg_server, pg_url  # noqa: F401

from .conftest import build_dataset, sid
from .test_monthly_totals import _one

BEFORE_TOTALS = "0007_support_scale_indexes"
BEFORE_CLASSES = "0012_outbox_only_with_server"
TOTALS_TABLES = (monthly_totals.TOTALS, monthly_totals.STATE)
WHOLE = SessionQuery(date_from=datetime(2000, 1, 1).date(), date_to=datetime(2099, 12, 31).date())


def _tables(conn: Connection) -> set[tuple[str, str, str | None]]:
    """The totals tables and their indexes as SQLite keeps them (type, name, CREATE text)."""
    marks = ", ".join("?" * len(TOTALS_TABLES))
    return {tuple(r) for r in conn.exec_driver_sql(  # type: ignore[misc]
        f"SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ({marks}) AND type <> 'trigger'",
        TOTALS_TABLES)}


def _triggers(conn: Connection) -> dict[str, str]:
    """Every trigger on the support log (name: CREATE text, as stored)."""
    return dict(conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'support_sessions'").all())


def _migrated(path: Path, revision: str = "head") -> Engine:
    engine = create_sqlite_engine(path)
    migrate.upgrade(engine, revision)
    return engine


def _downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        command.downgrade(migrate.alembic_config(conn), revision)


def _frozen_0008_triggers() -> dict[str, str]:
    script = migrate.script_directory().get_revision("0008_support_monthly_totals")
    assert script is not None
    return dict(script.module.TRIGGERS)


def _write_sessions(engine: Engine, sessions: Iterable[SupportSession], desk_id: str = "desk-old") -> None:
    """Sessions stored with plain ORM rows, as a desk at any of these revisions holds them (no repository)."""
    with Session(engine) as s, s.begin():
        for session in sessions:
            s.add(_fill(m.SupportSession(id=session.id, desk_id=desk_id),
                        dataclasses.replace(session, follow_up_contact=None), local_now()))


def _maintained(engine: Engine) -> set[tuple[Any, ...]]:
    with Session(engine) as s:
        return monthly_totals.rows_for_check(s)


def _rebuilt(engine: Engine) -> set[tuple[Any, ...]]:
    """What a full rebuild (``dxdesk support rebuild-totals``) makes of the same sessions; rolled back after."""
    with Session(engine) as s, s.begin():
        monthly_totals.rebuild(s)
        rows = monthly_totals.rows_for_check(s)
        s.rollback()
    return rows


def _without_classes(rows: set[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
    return {r for r in rows if r[1] != monthly_totals.CLASS_DIM}


def test_a_desk_migrated_to_head_has_the_live_modules_tables_and_triggers(tmp_path: Path) -> None:
    """The tripwire: if this fails after a change to monthly_totals, add a migration (do not edit 0008/0013)."""
    engine = _migrated(tmp_path / "desk.db")
    live = create_engine("sqlite://")  # the tables exactly as the live module's metadata creates them
    monthly_totals.totals_table.metadata.create_all(live)
    try:
        with engine.connect() as migrated, live.connect() as expected:
            assert _tables(migrated) == _tables(expected)
            assert {r[1] for r in _tables(migrated) if r[0] == "table"} == set(TOTALS_TABLES)
            assert _triggers(migrated) == monthly_totals.trigger_sql()
    finally:
        engine.dispose()
        live.dispose()


def test_a_desk_with_sessions_from_before_the_totals_upgrades_to_the_rebuilds_totals(tmp_path: Path) -> None:
    """0007 -> 0012 (0008's triggers keep the totals built by that dxdesk) -> head (0013 fills the classes)."""
    dataset = build_dataset()
    engine = _migrated(tmp_path / "desk.db", BEFORE_TOTALS)
    try:
        _write_sessions(engine, dataset[:8])
        migrate.upgrade(engine, BEFORE_CLASSES)
        assert _maintained(engine) == set()  # 0008 leaves the totals unbuilt: the first report builds them
        with Session(engine) as s, s.begin():  # that first report, as the dxdesk of 0012 built them (no classes)
            monthly_totals.rebuild(s)
            s.execute(monthly_totals.totals_table.delete().where(
                monthly_totals.totals_table.c.dim == monthly_totals.CLASS_DIM))
        # Writes at 0012 go through 0008's triggers: every dimension of that time follows them, no class rows.
        _write_sessions(engine, dataset[8:])
        with Session(engine) as s, s.begin():
            s.execute(update(m.SupportSession).where(m.SupportSession.id == sid(1))  # a single becomes a class
                      .values(attendees=3, helpers=1, started_at=datetime(2026, 5, 31, 15, 30, tzinfo=timezone.utc)))  # June locally
            s.execute(update(m.SupportSession).where(m.SupportSession.id == sid(4)).values(deleted_at=local_now()))
            s.execute(m.SupportSession.__table__.delete().where(m.SupportSession.id == sid(11)))
        at_0012 = _maintained(engine)
        assert at_0012 == _without_classes(_rebuilt(engine)) and at_0012

        migrate.upgrade(engine)
        upgraded = _maintained(engine)
        assert upgraded == _rebuilt(engine)
        assert _without_classes(upgraded) == at_0012  # 0013 added the class rows and touched nothing else
        classes_rows = upgraded - at_0012
        assert {r[1] for r in classes_rows} == {monthly_totals.CLASS_DIM}
        # Classes (2+ attendees) alive at the upgrade: #1 (now 3), #3, #6, #8; #4 deleted, #11 gone, #13 deleted.
        assert sum(r[3] for r in classes_rows) == 4
        # And head's triggers keep them after the upgrade.
        later = dataclasses.replace(dataset[2], id=str(uuid.uuid4()), attendees=5, topics=("etax",))
        _write_sessions(engine, [later])
        assert _maintained(engine) == _rebuilt(engine)
    finally:
        engine.dispose()


def test_an_unbuilt_desk_upgraded_from_before_the_totals_builds_them_at_its_first_report(tmp_path: Path) -> None:
    """0007 -> head through open_database (the desk's own upgrade): the first report builds every dimension."""
    paths = desk_paths(tmp_path / "desk").ensure()
    engine = _migrated(paths.database_file, BEFORE_TOTALS)
    _write_sessions(engine, build_dataset())
    engine.dispose()
    db = open_database(desk_settings(), paths)
    try:
        assert db.migration_backup is not None  # upgraded from 0007, not created at head
        repo = SqlRepository(db)
        with db.session() as s:
            assert monthly_totals.needs_rebuild(s) and not monthly_totals.rows_for_check(s)
        assert repo.summarize(WHOLE).sessions == 12  # the first report builds the totals
        repo.add(dataclasses.replace(build_dataset()[3], id=str(uuid.uuid4()), attendees=7), by="tester")
        with db.session() as s:
            assert monthly_totals.is_current(s)
            from_totals = classes.summarize_stored(s, WHOLE)
        assert from_totals == classes.summarize(repo.list(WHOLE))
        assert _maintained(db.engine) == _rebuilt(db.engine)
    finally:
        db.close()


def test_the_class_totals_migration_fills_a_desk_built_before_it() -> None:
    """0013 fills the class rows of a desk whose totals 0008's triggers kept (no full rebuild); downgrade drops them."""
    db = open_database()
    try:
        repo = SqlRepository(db)
        nine = dataclasses.replace(_one(), id=str(uuid.uuid4()), attendees=9, helpers=2, topics=("line", "maps"))
        repo.add_many([_one(), nine], by="tester")
        _downgrade(db.engine, BEFORE_CLASSES)  # back to the schema before 0013 (0008's triggers, no class rows)
        later = dataclasses.replace(nine, id=str(uuid.uuid4()), attendees=4, helpers=2, topics=("etax",))
        repo.add(later, by="tester")  # written at 0012: the old triggers keep no class rows
        t = monthly_totals.totals_table.c
        with db.session() as s:
            assert s.scalar(select(t.key).where(t.dim == monthly_totals.CLASS_DIM)) is None
            assert monthly_totals.is_current(s)
        with db.engine.begin() as conn:
            migrate.upgrade_connection(conn)
        with db.session() as s:
            upgraded = monthly_totals.rows_for_check(s)
            from_totals = classes.summarize_stored(s, WHOLE)
        assert from_totals == classes.summarize(repo.list(WHOLE))
        assert from_totals.total == classes.ClassTotals(classes=2, participants=13, staff=4, below_ratio=1)
        db.writer.run(monthly_totals.rebuild)
        with db.session() as s:
            assert monthly_totals.rows_for_check(s) == upgraded
    finally:
        db.close()


def test_downgrades_put_back_each_revisions_schema_and_leave_no_stray_trigger(tmp_path: Path) -> None:
    """head -> 0012 gives 0008's triggers and tables (as a desk migrated to 0012 has them); -> 0007 none at all."""
    fresh_0012, fresh_0007 = _migrated(tmp_path / "a.db", BEFORE_CLASSES), _migrated(tmp_path / "b.db", BEFORE_TOTALS)
    engine = _migrated(tmp_path / "desk.db")
    try:
        _write_sessions(engine, build_dataset())
        with Session(engine) as s, s.begin():
            monthly_totals.rebuild(s)
        built = _maintained(engine)
        _downgrade(engine, BEFORE_CLASSES)
        with engine.connect() as conn, fresh_0012.connect() as expected:
            assert _triggers(conn) == _triggers(expected) == _frozen_0008_triggers()
            assert not any(monthly_totals.CLASS_DIM in sql for sql in _triggers(conn).values())
            assert _tables(conn) == _tables(expected)
        assert _maintained(engine) == _without_classes(built)  # the other dimensions stay built
        _downgrade(engine, BEFORE_TOTALS)
        with engine.connect() as conn, fresh_0007.connect() as expected:
            assert _triggers(conn) == _triggers(expected) == {}
            assert _tables(conn) == set()
        migrate.upgrade(engine)  # and up again: the head schema, totals unbuilt
        with engine.connect() as conn:
            assert _triggers(conn) == monthly_totals.trigger_sql()
        assert _maintained(engine) == set()
    finally:
        for e in (engine, fresh_0012, fresh_0007):
            e.dispose()


def test_postgresql_gets_the_tables_without_triggers_and_downgrades(request: pytest.FixtureRequest) -> None:
    """The town server: the same two tables as the live metadata, no trigger (reports there use GROUP BY)."""
    if not pg_binaries_available():
        pytest.skip("PostgreSQL server binaries not found")
    from dxdesk.store.server import parse_server_url, prepare_server_schema

    engine = create_engine(parse_server_url(request.getfixturevalue("pg_url")))

    def columns() -> dict[str, list[tuple[str, str, bool, Any]]]:
        found = inspect(engine)
        return {name: [(c["name"], str(c["type"]), c["nullable"], c["default"]) for c in found.get_columns(name)]
                for name in TOTALS_TABLES if found.has_table(name)}

    def primary_keys() -> dict[str, list[str]]:
        return {name: inspect(engine).get_pk_constraint(name)["constrained_columns"] for name in TOTALS_TABLES}

    def triggers() -> list[str]:
        with engine.connect() as conn:
            return list(conn.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid = 'support_sessions'::regclass"
            ).scalars())

    try:
        prepare_server_schema(engine)
        live = {t.name: t for t in (monthly_totals.totals_table, monthly_totals.state_table)}
        migrated = columns()
        assert set(migrated) == set(TOTALS_TABLES)
        for name, table in live.items():
            assert [(c[0], c[2]) for c in migrated[name]] == [(c.name, c.nullable) for c in table.columns]
            assert [c[1] for c in migrated[name]] == [str(c.type.compile(engine.dialect)) for c in table.columns]
        assert primary_keys() == {name: [c.name for c in t.primary_key.columns] for name, t in live.items()}
        at_head = triggers()  # the server's own (server_received_at, 0003) but none of the totals'
        assert not [name for name in at_head if name.startswith("support_totals")]
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), BEFORE_TOTALS)
        assert columns() == {} and triggers() == at_head  # 0008-0013 added no trigger there
        prepare_server_schema(engine)
        assert columns() == migrated
    finally:
        engine.dispose()

