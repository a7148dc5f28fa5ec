"""The KPI oracle (test_kpi.py, unchanged) run against the SQL aggregates (dxdesk.support.sql_kpi).

The same test functions are collected here with ``dataset`` replaced by the hand-computed
sessions *stored* in a database and handed to the KPI functions as a
:class:`~dxdesk.support.sql_repository.StoredSessions` scope, so every number comes from
``GROUP BY`` queries: on the desk's SQLite store (through SqlRepository, as the CLI does)
and on a real PostgreSQL server (the suite's throw-away cluster).
"""
from __future__ import annotations

import contextlib
import dataclasses
import uuid
from datetime import date, datetime
from typing import Iterator

import pytest
from sqlalchemy.orm import Session

from dxdesk.support import kpi, monthly_totals
from dxdesk.support.repository import SessionQuery
from dxdesk.support.sql_repository import StoredSessions, _fill

from tests.store.conftest import pg_binaries_available, pg_server, pg_url  # noqa: F401 (the PostgreSQL fixtures)

from . import test_kpi
from .conftest import build_dataset

# Every oracle test that takes the dataset, by its own name, so a failure names the KPI.
for _name in dir(test_kpi):
    if _name.startswith("test_") and "dataset" in test_kpi.__dict__[_name].__code__.co_varnames:
        globals()[_name] = test_kpi.__dict__[_name]


@pytest.fixture(params=["sqlite", "sqlite-monthly-totals", "postgresql"])
def dataset(request) -> Iterator[StoredSessions]:
    if request.param.startswith("sqlite"):
        from dxdesk.store.database import open_database
        from dxdesk.support.sql_repository import SqlRepository

        db = open_database()
        try:
            repo = SqlRepository(db)
            repo.add_many(build_dataset())
            if request.param == "sqlite":
                yield repo.scope()  # no period: GROUP BY
                return
            # Whole months and no other filter: the pre-computed monthly totals answer (checked here).
            whole = SessionQuery(date_from=date(2000, 1, 1), date_to=date(2099, 12, 31))
            with db.session() as s:
                assert monthly_totals.summarize(s, whole) is not None
            yield repo.scope(whole)
        finally:
            db.close()
        return
    yield from _postgres_scope(request)


def _postgres_scope(request) -> Iterator[StoredSessions]:
    if not pg_binaries_available():
        pytest.skip("PostgreSQL server binaries not found")
    from sqlalchemy import create_engine

    from dxdesk.store import models as m
    from dxdesk.store.server import parse_server_url, prepare_server_schema
    from dxdesk.timeutil import local_now

    url = request.getfixturevalue("pg_url")
    engine = create_engine(parse_server_url(url))
    try:
        prepare_server_schema(engine)
        with Session(engine) as s, s.begin():
            for session in build_dataset():
                # The contact is encrypted with the desk's keys; the KPIs never read it.
                row = _fill(m.SupportSession(id=session.id, desk_id="desk-kpi"),
                            dataclasses.replace(session, follow_up_contact=None), local_now())
                s.add(row)

        @contextlib.contextmanager
        def open_session() -> Iterator[Session]:
            with Session(engine) as s:
                yield s

        yield StoredSessions(open_session, SessionQuery())
    finally:
        engine.dispose()


def test_a_period_and_venue_scope_is_aggregated_in_sql(dataset):
    """Beyond the oracle: the report's filters are WHERE clauses (April to June 2026, one venue)."""
    scoped = StoredSessions(dataset._open, SessionQuery(date_from=date(2026, 4, 1), date_to=date(2026, 6, 30),
                                                        venue="中央公民館"))
    expected = kpi.summarize([s for s in build_dataset() if not s.deleted and s.venue == "中央公民館"
                              and s.started_at.date() <= date(2026, 6, 30)])
    assert kpi.summarize(scoped) == expected
    assert kpi.summarize(dataset) == kpi.summarize(build_dataset())


def test_venue_types_and_one_venue_reports_use_the_venue_index():
    """Migration 0007's (venue, started_at) index: a venue's latest type is a look-up, not a scan of every session."""
    from sqlalchemy import text

    from dxdesk.store.database import open_database
    from dxdesk.support.catalog import Venue
    from dxdesk.support.sql_repository import SqlRepository

    db = open_database()
    try:
        repo = SqlRepository(db)
        repo.add_many(build_dataset())
        with db.session() as s:
            names = set(s.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars())
            assert "ix_support_sessions_venue_started_at" in names
            plan = " ".join(str(r[-1]) for r in s.execute(text(
                "EXPLAIN QUERY PLAN SELECT venue_type FROM support_sessions WHERE venue = '中央公民館' "
                "ORDER BY started_at DESC LIMIT 1")))
        assert "ix_support_sessions_venue_started_at" in plan and "SCAN support_sessions" not in plan
        # The look-up answers what the scan did: the type of the venue's most recent session (#11, 2026-06-30).
        repo.save_venue(Venue("中央公民館", "community_hall"))
        repo.save_venue(Venue("新しい会場", "other"))
        types = {v.name: v.venue_type for v in repo.refresh_catalog().venues}
        assert types == {"中央公民館": "community_hall", "新しい会場": "other"}
        latest = dataclasses.replace(build_dataset()[10], id=str(uuid.uuid4()), venue_type="other",
                                     started_at=datetime(2026, 7, 1, 10, 0))
        repo.add(latest)
        assert {v.name: v.venue_type for v in repo.refresh_catalog().venues}["中央公民館"] == "other"
    finally:
        db.close()
