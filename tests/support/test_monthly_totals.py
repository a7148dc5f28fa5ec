"""The pre-computed monthly totals (dxdesk.support.monthly_totals) stay equal to a fresh GROUP BY.

Random adds, imports, edits, deletes, follow-ups closed and sync-style upserts (the
``INSERT ... ON CONFLICT`` a pull runs) go through the desk's real store; after each run
the totals the triggers maintained must equal the totals rebuilt from scratch, and the
report summary read from them must equal the KPI module's own summary of the same sessions;
the per-class summary read from them must equal the GROUP BY and the classes module's own.
"""
from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from dxdesk.store import models as m
from dxdesk.store.database import open_database
from dxdesk.support import classes, kpi, monthly_totals
from dxdesk.support.catalog import AGE_BANDS, DEVICES, OUTCOMES
from dxdesk.support.model import SupportSession
from dxdesk.support.periods import month_range
from dxdesk.support.repository import SessionQuery
from dxdesk.support.sql_repository import SqlRepository, _fill

VENUES = (("本庁舎窓口", "counter"), ("中央公民館", "community_hall"), ("駅前ショップ", "shop"))
TOPICS = ("power", "line", "etax", "maps", "mynapoint")
WHOLE = SessionQuery(date_from=date(2000, 1, 1), date_to=date(2099, 12, 31))

sessions = st.builds(
    lambda when, venue, topics, device, age, att, hlp, dur, outcome, follow, repeat: SupportSession(
        id=str(uuid.uuid4()), started_at=when, venue=venue[0], venue_type=venue[1], topics=tuple(topics),
        device=device, age_band=age, attendees=att, helpers=hlp, duration_minutes=dur, outcome=outcome,
        helper_role="デジタル推進委員", logged_by="tester", follow_up_needed=follow, repeat_visitor=repeat),
    # Around month ends and the UTC/JST date line (15:00 UTC is local midnight).
    st.datetimes(min_value=datetime(2026, 3, 30), max_value=datetime(2026, 6, 2)).map(
        lambda d: d.replace(second=0, microsecond=0)),
    st.sampled_from(VENUES), st.lists(st.sampled_from(TOPICS), min_size=1, max_size=3, unique=True),
    st.sampled_from(DEVICES), st.sampled_from(AGE_BANDS), st.integers(1, 14), st.integers(1, 5),
    st.integers(5, 180), st.sampled_from(OUTCOMES), st.booleans(), st.booleans(),
)
operations = st.lists(st.one_of(
    st.tuples(st.just("add"), sessions),
    st.tuples(st.just("import"), st.lists(sessions, min_size=1, max_size=4)),
    st.tuples(st.just("edit"), st.integers(0, 50), sessions),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("close"), st.integers(0, 50)),
    st.tuples(st.just("pull"), sessions),
), min_size=1, max_size=12)


def _apply(repo: SqlRepository, db: Any, known: list[SupportSession], op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind == "add":
        known.append(repo.add(op[1], by="tester"))
    elif kind == "import":
        repo.add_many(op[1], by="tester")
        known.extend(op[1])
    elif kind == "pull":  # another desk's row arriving (insert, then the same id changed): as sync applies it
        def upsert(s: Any, row: SupportSession) -> None:
            values = {c.name: getattr(_fill(m.SupportSession(id=row.id), row, row.started_at), c.name)
                      for c in m.SupportSession.__table__.columns}
            values.update(desk_id="other-desk", updated_at=datetime.now().astimezone(),
                          created_at=datetime.now().astimezone(), version=1)
            stmt = sqlite_insert(m.SupportSession.__table__)
            s.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={
                c.name: stmt.excluded[c.name] for c in m.SupportSession.__table__.columns if c.name != "id"}), [values])

        pulled = op[1]
        db.writer.run(lambda s: upsert(s, pulled))
        moved = dataclasses.replace(pulled, started_at=pulled.started_at + timedelta(days=20), attendees=3,
                                    topics=("etax",))
        db.writer.run(lambda s: upsert(s, moved))
    elif known:
        target = known[op[1] % len(known)]
        current = repo.get(target.id)
        if current is None or current.deleted:
            return
        now = current.started_at + timedelta(days=1)
        if kind == "edit":
            changed = dataclasses.replace(op[2], id=current.id)
            if current.follow_up_closed_at is not None:  # a closed follow-up is never reopened
                changed = dataclasses.replace(changed, follow_up_needed=True,
                                              follow_up_closed_at=current.follow_up_closed_at)
            if changed.started_at > now:  # an edit must not move a record into the future
                changed = dataclasses.replace(changed, started_at=current.started_at)
            repo.update(changed, by="tester", now=now)
        elif kind == "delete":
            repo.delete(current.id, by="tester", now=now)
        elif kind == "close" and current.follow_up_open:
            repo.close_follow_up(current.id, by="tester", now=now)


def test_totals_equal_a_fresh_group_by_after_random_changes() -> None:
    db = open_database()
    try:
        repo = SqlRepository(db)
        with db.session() as s:
            assert monthly_totals.is_current(s)  # a new log starts with its totals built

        @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(operations)
        def check(ops: list[tuple[Any, ...]]) -> None:
            known: list[SupportSession] = []
            for op in ops:
                _apply(repo, db, known, op)
            with db.session() as s:
                maintained = monthly_totals.rows_for_check(s)
                from_totals = monthly_totals.summarize(s, WHOLE)
            assert from_totals is not None
            every = repo.list(WHOLE)  # the KPI module's own arithmetic over the stored sessions
            assert from_totals == kpi.summarize(every)
            with db.session() as s:
                assert monthly_totals.count(s, WHOLE) == len(every) == repo.count(WHOLE)
                # The per-class summary: from the totals (class_topics) == the GROUP BY == Python over the rows.
                assert monthly_totals.class_rows(s, WHOLE) is not None  # the totals path is the one compared
                from_class_totals = classes.summarize_stored(s, WHOLE)
                assert from_class_totals == classes.summarize_sql(s, WHOLE) == classes.summarize(every)
                for month in ((2026, 3), (2026, 4), (2026, 5), (2026, 6)):  # each month alone too
                    one = SessionQuery(*month_range(*month))
                    assert classes.summarize_stored(s, one) == classes.summarize_sql(s, one)
            db.writer.run(monthly_totals.rebuild)
            with db.session() as s:
                assert monthly_totals.rows_for_check(s) == maintained

        check()
    finally:
        db.close()


def test_a_report_period_that_is_not_whole_months_uses_group_by() -> None:
    assert monthly_totals.covers(SessionQuery(date(2026, 4, 1), date(2027, 3, 31))) == ("2026-04", "2027-03")
    assert monthly_totals.covers(SessionQuery(date(2026, 4, 2), date(2027, 3, 31))) is None
    assert monthly_totals.covers(SessionQuery(date(2026, 4, 1), date(2026, 4, 29))) is None
    assert monthly_totals.covers(SessionQuery(date(2026, 4, 1), date(2026, 4, 30), venue="中央公民館")) is None


def test_totals_are_rebuilt_for_an_upgraded_log_and_after_a_zone_change(monkeypatch: pytest.MonkeyPatch) -> None:
    db = open_database()
    try:
        repo = SqlRepository(db)
        repo.add(next(iter([_one()])), by="tester")
        db.writer.run(lambda s: s.execute(monthly_totals.state_table.delete()))  # as after the upgrade: unbuilt
        with db.session() as s:
            assert monthly_totals.needs_rebuild(s) and not monthly_totals.is_current(s)
        assert repo.summarize(WHOLE).sessions == 1  # the report builds them first
        with db.session() as s:
            assert monthly_totals.is_current(s)
            assert s.scalar(select(monthly_totals.totals_table.c.sessions)
                            .where(monthly_totals.totals_table.c.dim == "all")) == 1
        monkeypatch.setattr(monthly_totals, "desk_offset", lambda: 0)  # the desk's zone setting changed to UTC
        with db.session() as s:
            assert monthly_totals.needs_rebuild(s)
        assert repo.ensure_totals() is True
        with db.session() as s:
            assert monthly_totals.is_current(s)
    finally:
        db.close()


def _one() -> SupportSession:
    return SupportSession(id=str(uuid.uuid4()), started_at=datetime(2026, 4, 30, 23, 30), venue="本庁舎窓口",
                          venue_type="counter", topics=("line",), device="android", age_band="75-79", attendees=1,
                          helpers=1, duration_minutes=20, outcome="resolved", helper_role="デジタル推進委員",
                          logged_by="tester")
