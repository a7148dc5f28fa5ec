"""The support report's KPIs as SQL aggregates (``GROUP BY``), the same on SQLite and PostgreSQL.

A fiscal year of a whole town's sessions is too many rows to load (1,000,000 rows
took 93 s and 3 GB), so :func:`summarize` asks the database for a handful of small
grouped results and finishes the arithmetic in Python with the same rules as
:mod:`dxdesk.support.kpi` (that module's tests are the oracle for this one too):

* topics are a JSON list per session; the database groups by the list's *text*
  (a town has a few hundred distinct combinations), and Python counts each
  combination once per distinct topic. JSON functions differ between the two
  databases; grouping by text does not.
* months and ISO weeks are on the desk's calendar while the store keeps UTC: the
  database groups by local *day* (UTC shifted by the zone's offset, when that offset
  is constant over the period - always for Japan), else by UTC minute, and Python
  folds days into months and weeks. Only this expression differs per dialect.
* the staffing rule (``1 + ceil(attendees / 4)``) is integer arithmetic in SQL.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Text, case, cast, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from dxdesk.store import models as m
from dxdesk.support import kpi
from dxdesk.support.catalog import AGE_BANDS, OUTCOMES, VENUE_TYPES
from dxdesk.support.periods import iso_week_key, month_key
from dxdesk.support.repository import SessionQuery
from dxdesk.timeutil import local_midnight, to_desk

SS = m.SupportSession


def session_conditions(query: SessionQuery) -> list[ColumnElement[bool]]:
    """The WHERE clause of a :class:`SessionQuery`, topic included (exact, see :func:`topic_condition`)."""
    where: list[ColumnElement[bool]] = []
    if not query.include_deleted:
        where.append(SS.deleted_at.is_(None))
    if query.date_from is not None:
        where.append(SS.started_at >= local_midnight(query.date_from))
    if query.date_to is not None:
        where.append(SS.started_at < local_midnight(query.date_to + timedelta(days=1)))
    if query.venue is not None:
        where.append(SS.venue == query.venue)
    if query.venue_type is not None:
        where.append(SS.venue_type == query.venue_type)
    if query.outcome is not None:
        where.append(SS.outcome == query.outcome)
    if query.topic is not None:
        where.append(topic_condition(query.topic))
    return where


def topic_condition(code: str) -> ColumnElement[bool]:
    """Sessions whose topic list holds ``code``: a LIKE on the list's JSON text, quotes included,
    so ``line`` never matches ``line_works``; LIKE's wildcards in the code are escaped."""
    needle = json.dumps(code).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(SS.topics, Text).like(f"%{needle}%", escape="\\")


def staff_needed() -> ColumnElement[Any]:
    """:func:`dxdesk.support.kpi.required_staff` in SQL (integer division is the same on both databases)."""
    return case((SS.attendees <= 1, 1), else_=1 + (SS.attendees + 3) // 4)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _constant_offset(session: Session, where: list[ColumnElement[bool]], query: SessionQuery) -> int | None:
    """The desk zone's UTC offset in seconds if it is the same on every day of the data, else None."""
    first, last = query.date_from, query.date_to
    if first is None or last is None:
        lo, hi = session.execute(select(func.min(SS.started_at), func.max(SS.started_at)).where(*where)).one()
        if lo is None:
            return 0
        first = first or to_desk(_utc(lo)).date()
        last = last or to_desk(_utc(hi)).date()
    offsets = set()
    day = first - timedelta(days=1)
    while day <= last + timedelta(days=1):
        offset = local_midnight(day).utcoffset()
        offsets.add(0 if offset is None else int(offset.total_seconds()))
        day += timedelta(days=1)
    return offsets.pop() if len(offsets) == 1 else None


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite hands back its text for plain aggregates
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _day_key(dialect: str, offset: int | None) -> ColumnElement[Any]:
    """Local day ``YYYY-MM-DD`` (constant offset) or UTC minute ``YYYY-MM-DD HH:MM`` (folded in Python)."""
    if dialect == "sqlite":
        if offset is not None:
            return func.date(SS.started_at, f"{offset:+d} seconds")
        return func.strftime("%Y-%m-%d %H:%M", SS.started_at)
    utc = func.timezone("UTC", SS.started_at)  # PostgreSQL: timestamptz -> UTC wall time
    if offset is not None:
        return func.to_char(utc + literal_column(f"interval '{int(offset)} seconds'"), "YYYY-MM-DD")
    return func.to_char(utc, "YYYY-MM-DD HH24:MI")


def sessions_per_day(session: Session, query: SessionQuery) -> dict[date, int]:
    """Sessions per local calendar day (days without sessions absent)."""
    where = session_conditions(query)
    offset = _constant_offset(session, where, query)
    key = _day_key(session.get_bind().dialect.name, offset).label("k")
    per_day: Counter[date] = Counter()
    for k, n in session.execute(select(key, func.count()).where(*where).group_by(key)):
        if offset is not None:
            per_day[date.fromisoformat(k)] += n
        else:
            minute = datetime.strptime(k, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc)
            per_day[to_desk(minute).date()] += n
    return dict(per_day)


def _grouped(session: Session, where: list[ColumnElement[bool]], column: Any, *values: Any) -> list[Any]:
    stmt = select(column, func.count(), *values).where(*where).group_by(column)
    return list(session.execute(stmt))


@dataclass(frozen=True)
class Grouped:
    """The grouped numbers every KPI is made of (from ``GROUP BY`` or from :mod:`.monthly_totals`)."""

    count: int
    attendees: int
    helpers: int
    duration: int
    repeats: int
    open_follow_ups: int
    understaffed: int
    topics: dict[str, int]  # sessions per topic code
    venues: dict[str, tuple[int, int]]  # venue -> (sessions, attendees)
    venue_types: dict[str, tuple[int, int, int]]  # venue type -> (sessions, attendees, helpers)
    attendee_sizes: dict[int, int]  # attendees of a session -> sessions
    age_bands: dict[str, int]
    outcomes: dict[str, int]
    per_day: dict[date, int]  # local day -> sessions


def summarize(session: Session, query: SessionQuery) -> kpi.KpiSummary:
    """Every KPI of the sessions ``query`` selects (deleted ones never count), computed in the database."""
    from dxdesk.support import monthly_totals  # imports this module

    live = SessionQuery(query.date_from, query.date_to, query.venue, query.venue_type, query.topic, query.outcome)
    precomputed = monthly_totals.summarize(session, live)
    if precomputed is not None:
        return precomputed
    where = session_conditions(live)
    totals = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(SS.attendees), 0),
            func.coalesce(func.sum(SS.helpers), 0),
            func.coalesce(func.sum(SS.duration_minutes), 0),
            _flag(SS.repeat_visitor.is_(True)),
            _flag(SS.follow_up_needed.is_(True) & SS.follow_up_closed_at.is_(None)),
            _flag(SS.helpers < staff_needed()),
        ).where(*where)
    ).one()
    count, attendees, helpers, duration, repeats, open_follow_ups, understaffed = (int(v) for v in totals)

    topics: Counter[str] = Counter()
    topic_text = cast(SS.topics, Text)
    for text, n in _grouped(session, where, topic_text):
        topics.update({code: n for code in set(json.loads(text or "[]"))})
    return assemble(Grouped(
        count=count, attendees=attendees, helpers=helpers, duration=duration, repeats=repeats,
        open_follow_ups=open_follow_ups, understaffed=understaffed, topics=dict(topics),
        venues={v: (int(n), int(a)) for v, n, a in _grouped(session, where, SS.venue, func.sum(SS.attendees))},
        venue_types={vt: (int(n), int(a), int(h)) for vt, n, a, h in
                     _grouped(session, where, SS.venue_type, func.sum(SS.attendees), func.sum(SS.helpers))},
        attendee_sizes={int(a): int(n) for a, n in _grouped(session, where, SS.attendees)},
        age_bands={a: int(n) for a, n in _grouped(session, where, SS.age_band)},
        outcomes={o: int(n) for o, n in _grouped(session, where, SS.outcome)},
        per_day=sessions_per_day(session, live),
    ))


def assemble(g: Grouped) -> kpi.KpiSummary:
    """The KPI summary from grouped numbers, with the rules of :mod:`dxdesk.support.kpi`."""
    count, attendees = g.count, g.attendees
    per_venue = kpi._by_count_desc({v: n for v, (n, _) in g.venues.items()})
    per_vt = {vt: g.venue_types.get(vt, (0, 0, 0)) for vt in VENUE_TYPES}
    distribution = {label: 0 for label, _, _ in kpi.ATTENDEE_BUCKETS}
    for size, n in g.attendee_sizes.items():
        for label, lo, hi in kpi.ATTENDEE_BUCKETS:
            if lo <= size <= hi:
                distribution[label] += n
                break
    ages = kpi._choice_counts(g.age_bands, AGE_BANDS)
    outcomes = kpi._choice_counts(g.outcomes, OUTCOMES)
    per_month: Counter[str] = Counter()
    per_week: Counter[str] = Counter()
    for day, n in g.per_day.items():
        per_month[month_key(day)] += n
        per_week[iso_week_key(day)] += n

    ratio = kpi._ratio
    return kpi.KpiSummary(
        sessions=count,
        attendees=attendees,
        per_topic=kpi._by_count_desc(g.topics),
        per_venue=per_venue,
        per_venue_type={vt: n for vt, (n, _, _) in per_vt.items()},
        per_month=dict(sorted(per_month.items())),
        per_iso_week=dict(sorted(per_week.items())),
        mean_attendees=ratio(attendees, count),
        mean_attendees_per_venue_type={vt: ratio(a, n) for vt, (n, a, _) in per_vt.items()},
        single_attendee_share=ratio(g.attendee_sizes.get(1, 0), count),
        attendee_distribution=distribution,
        helpers_per_attendee=ratio(g.helpers, attendees),
        helpers_per_attendee_per_venue_type={vt: ratio(h, a) for vt, (_, a, h) in per_vt.items()},
        understaffed=g.understaffed,
        age_band_counts=ages,
        age_band_shares={k: ratio(n, sum(ages.values())) for k, n in ages.items()},
        outcome_counts=outcomes,
        outcome_shares={k: ratio(n, sum(outcomes.values())) for k, n in outcomes.items()},
        repeat_visitor_share=ratio(g.repeats, count),
        mean_duration_minutes=ratio(g.duration, count),
        open_follow_ups=g.open_follow_ups,
        attendees_per_venue={v: g.venues[v][1] for v in per_venue},
    )


def understaffed_condition() -> ColumnElement[bool]:
    return SS.helpers < staff_needed()

