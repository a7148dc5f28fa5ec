"""Pre-computed monthly totals of the support log (SQLite desks), so a year's report does not scan a year.

``GROUP BY`` over a fiscal year reads every session of the year (seven indexed range
scans: several seconds at 1,000,000 rows). The report only needs a few hundred grouped
numbers per month, so the desk keeps them in ``support_monthly_totals`` (migration
``0008_support_monthly_totals``): one row per (local month, dimension, key) with the sums
the KPIs are made of. Dimensions: ``all`` (one row), ``day`` (key = local date: months and
ISO weeks are folded from days), ``topics`` (key = the topic list's JSON text, as
:mod:`dxdesk.support.sql_kpi` groups it), ``venue``, ``venue_type``, ``attendees``,
``age_band``, ``outcome``, and ``class_topics`` (the classes only: 2+ attendees, by topic list, for
the per-class summary of :mod:`dxdesk.support.classes`).

Why SQLite triggers: every writer of ``support_sessions`` - an add, an edit, a delete, a
follow-up closed, an import batch, a sync pull's ``INSERT ... ON CONFLICT`` - changes the
totals in its own statement, so in its own transaction, and no code path can forget to.
A trigger subtracts the old row's contribution and adds the new one's; deleted rows
contribute nothing. Rows whose sums fall to zero stay and are ignored on reading.

The local month of a UTC time needs the desk's zone. The triggers read one stored
offset (``support_totals_state.utc_offset``, seconds east of UTC), which suits a zone
whose offset never changes (Japan: +9 h since 1951). :func:`ensure_current` rebuilds the
totals when the desk zone's offset differs from the stored one (a first report after the
upgrade, or the zone setting changed); a zone with daylight saving gets no totals (offset
NULL: the triggers do nothing) and reports use ``GROUP BY``. PostgreSQL (the town server)
has the tables but no triggers: reports there always use ``GROUP BY``.
"""
from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, func, select, text
from sqlalchemy.orm import Session

from dxdesk.support import sql_kpi
from dxdesk.support.classes import MIN_PARTICIPANTS
from dxdesk.support.kpi import KpiSummary
from dxdesk.support.repository import SessionQuery
from dxdesk.timeutil import desk_tz

log = logging.getLogger(__name__)

TOTALS = "support_monthly_totals"
STATE = "support_totals_state"
MEASURES = ("sessions", "attendees", "helpers", "duration", "repeats", "open_follow_ups", "understaffed")
# (dimension, key expression over a session row R, which rows count: "" = every live row); the 'day'
# key is the local date computed once per row.
CLASS_DIM = "class_topics"
Dimensions = tuple[tuple[str, str, str], ...]
DIMENSIONS: Dimensions = (
    ("all", "''", ""),
    ("day", "DAY", ""),
    ("topics", "CAST(R.topics AS TEXT)", ""),
    ("venue", "R.venue", ""),
    ("venue_type", "R.venue_type", ""),
    ("attendees", "CAST(R.attendees AS TEXT)", ""),
    ("age_band", "R.age_band", ""),
    ("outcome", "R.outcome", ""),
    # The per-class (講座・コマ) summary (dxdesk.support.classes, migration 0013_support_class_totals): the
    # classes only, by topic list; sessions/attendees/helpers/understaffed are classes/participants/staff/
    # below the staffing rule (the rule depends on the session alone, so it is known when a row is written).
    (CLASS_DIM, "CAST(R.topics AS TEXT)", f"R.attendees >= {MIN_PARTICIPANTS}"),
)
# The columns a session's contribution depends on: an update of any other column (notes,
# updated_at, server_xid ...) leaves the totals alone.
WATCHED = ("started_at", "venue", "venue_type", "topics", "attendees", "helpers", "duration_minutes", "outcome",
           "age_band", "repeat_visitor", "follow_up_needed", "follow_up_closed_at", "deleted_at")

_metadata = MetaData()
totals_table = Table(
    TOTALS, _metadata,
    Column("month", String(7), primary_key=True),
    Column("dim", String(16), primary_key=True),
    Column("key", Text, primary_key=True),
    *(Column(name, Integer, nullable=False, server_default="0") for name in MEASURES),
)
state_table = Table(
    STATE, _metadata,
    Column("id", Integer, primary_key=True),  # always 1
    Column("utc_offset", Integer, nullable=True),  # seconds east of UTC; NULL = no totals for this zone
    Column("rebuilt_at", String(32), nullable=True),
)


def _contribution(row: str, sign: int) -> str:
    """An upsert adding ``sign`` times session ``row``'s (NEW or OLD) contribution to every dimension."""
    keys = " ".join(f"WHEN '{dim}' THEN {expr}" for dim, expr, _ in DIMENSIONS).replace("R.", f"{row}.")
    keys = keys.replace("DAY", "d.day")
    dims = " UNION ALL ".join(f"SELECT '{dim}' AS dim" for dim, _, _ in DIMENSIONS)
    # A dimension that counts only some rows (the classes) is left out of the others' upsert.
    only = "".join(f"AND (k.dim <> '{dim}' OR ({rule.replace('R.', f'{row}.')})) "
                   for dim, _, rule in DIMENSIONS if rule)
    staff_needed = f"(CASE WHEN {row}.attendees <= 1 THEN 1 ELSE 1 + ({row}.attendees + 3) / 4 END)"
    values = ", ".join((
        f"{sign}",
        f"{sign} * {row}.attendees",
        f"{sign} * {row}.helpers",
        f"{sign} * {row}.duration_minutes",
        f"{sign} * (CASE WHEN {row}.repeat_visitor THEN 1 ELSE 0 END)",
        f"{sign} * (CASE WHEN {row}.follow_up_needed AND {row}.follow_up_closed_at IS NULL THEN 1 ELSE 0 END)",
        f"{sign} * (CASE WHEN {row}.helpers < {staff_needed} THEN 1 ELSE 0 END)",
    ))
    updates = ", ".join(f"{m} = {m} + excluded.{m}" for m in MEASURES)
    # The state row gives the offset; without it (or with NULL) the FROM is empty and nothing is written.
    return (
        f"INSERT INTO {TOTALS} (month, dim, key, {', '.join(MEASURES)}) "
        f"SELECT substr(d.day, 1, 7), k.dim, CASE k.dim {keys} END, {values} "
        f"FROM (SELECT date({row}.started_at, utc_offset || ' seconds') AS day FROM {STATE} "
        f"      WHERE id = 1 AND utc_offset IS NOT NULL) AS d, ({dims}) AS k "
        # A started_at that does not parse (a damaged row: reading it is refused as DamagedRecordError)
        # has no month and adds nothing, instead of failing the writer's statement on NOT NULL.
        f"WHERE {row}.deleted_at IS NULL AND d.day IS NOT NULL {only}"  # WHERE: also SQLite's upsert grammar
        f"ON CONFLICT (month, dim, key) DO UPDATE SET {updates};"
    )


def trigger_sql() -> dict[str, str]:
    """The SQLite triggers (name: CREATE TRIGGER text) keeping the totals of :data:`DIMENSIONS`, :data:`MEASURES`.

    Only the migrations create them, each from its own frozen copy of this text (0008, 0013): a change here
    (or to the tables) needs a new migration that puts the new text in; tests/support/test_totals_migrations.py
    fails until a desk migrated to head has exactly these triggers and tables."""
    watched = ", ".join(WATCHED)
    return {
        "support_totals_insert":
            f"CREATE TRIGGER support_totals_insert AFTER INSERT ON support_sessions "
            f"BEGIN {_contribution('NEW', 1)} END",
        "support_totals_update":
            f"CREATE TRIGGER support_totals_update AFTER UPDATE OF {watched} ON support_sessions "
            f"BEGIN {_contribution('OLD', -1)} {_contribution('NEW', 1)} END",
        "support_totals_delete":
            f"CREATE TRIGGER support_totals_delete AFTER DELETE ON support_sessions "
            f"BEGIN {_contribution('OLD', -1)} END",
    }


def desk_offset() -> int | None:
    """The desk zone's UTC offset in seconds if it has been the same in every season of 2000-2099, else None."""
    zone = desk_tz()
    offsets = set()
    for year in range(2000, 2100):
        for month in (1, 7):
            offset = datetime(year, month, 1, 12, tzinfo=zone).utcoffset()
            offsets.add(0 if offset is None else int(offset.total_seconds()))
    return offsets.pop() if len(offsets) == 1 else None


def _state(session: Session) -> tuple[bool, int | None]:
    """(whether the totals were ever built, their offset)."""
    row = session.execute(select(state_table.c.utc_offset).where(state_table.c.id == 1)).first()
    return (False, None) if row is None else (True, row[0])


def is_current(session: Session) -> bool:
    """Whether the stored totals are built for the desk's present zone (False on PostgreSQL)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    built, offset = _state(session)
    return built and offset is not None and offset == desk_offset()


def needs_rebuild(session: Session) -> bool:
    if session.get_bind().dialect.name != "sqlite":
        return False
    built, offset = _state(session)
    return not built or offset != desk_offset()


def rebuild(session: Session) -> int:
    """Recompute every total from the sessions in one pass per dimension (in the caller's writer transaction).

    Returns the number of total rows. The offset is the desk zone's now (NULL for a zone with
    daylight saving: the triggers then write nothing)."""
    offset = desk_offset()
    session.execute(totals_table.delete())
    session.execute(state_table.delete())
    session.execute(state_table.insert().values(id=1, utc_offset=offset,
                                                rebuilt_at=datetime.now(timezone.utc).isoformat()))
    if offset is None:
        log.info("support totals: the desk zone has daylight saving; reports use GROUP BY")
        return 0
    for dimension in DIMENSIONS:
        fill_dimension(session, dimension, offset)
    return int(session.scalar(select(func.count()).select_from(totals_table)) or 0)


def fill_dimension(session: Session, dimension: tuple[str, str, str], offset: int) -> None:
    """Insert one dimension's totals computed from the live sessions (part of :func:`rebuild`)."""
    dim, expr, rule = dimension
    key = expr.replace("R.", "s.").replace("DAY", "s.day")
    only = f"AND {rule.replace('R.', '')}" if rule else ""
    staff_needed = "(CASE WHEN attendees <= 1 THEN 1 ELSE 1 + (attendees + 3) / 4 END)"
    session.execute(text(
        f"INSERT INTO {TOTALS} (month, dim, key, {', '.join(MEASURES)}) "
        f"SELECT substr(s.day, 1, 7), '{dim}', {key}, count(*), sum(attendees), sum(helpers), "
        f"sum(duration_minutes), sum(CASE WHEN repeat_visitor THEN 1 ELSE 0 END), "
        f"sum(CASE WHEN follow_up_needed AND follow_up_closed_at IS NULL THEN 1 ELSE 0 END), "
        f"sum(CASE WHEN helpers < {staff_needed} THEN 1 ELSE 0 END) "
        f"FROM (SELECT *, date(started_at, :offset) AS day FROM support_sessions "
        f"      WHERE deleted_at IS NULL {only}) AS s "
        f"GROUP BY 1, 3"
    ), {"offset": f"{offset} seconds"})


def covers(query: SessionQuery) -> tuple[str, str] | None:
    """The (first, last) month keys when ``query`` is whole local months with no other filter, else None."""
    first, last = query.date_from, query.date_to
    if first is None or last is None or first.day != 1 or (last + timedelta(days=1)).day != 1:
        return None
    if any(v is not None for v in (query.venue, query.venue_type, query.topic, query.outcome)):
        return None
    return f"{first:%Y-%m}", f"{last:%Y-%m}"


def count(session: Session, query: SessionQuery) -> int | None:
    """How many live sessions ``query`` selects, from the totals (None: they cannot answer; count rows)."""
    months = covers(query)
    if months is None or query.include_deleted or not is_current(session):
        return None
    t = totals_table.c
    return int(session.scalar(select(func.coalesce(func.sum(t.sessions), 0))
                              .where(t.month.between(*months), t.dim == "all")) or 0)


def summarize(session: Session, query: SessionQuery) -> KpiSummary | None:
    """The KPIs of ``query`` from the totals, or None when the totals cannot answer it (then use GROUP BY)."""
    months = covers(query)
    if months is None or not is_current(session):
        return None
    t = totals_table.c
    sums = [func.sum(getattr(t, m)) for m in MEASURES]
    in_range = t.month.between(*months)
    rows = session.execute(select(t.dim, t.key, *sums).where(in_range, t.dim.not_in(("day", CLASS_DIM)))
                           .group_by(t.dim, t.key).having(func.sum(t.sessions) > 0))
    by_dim: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
    for dim, key, *values in rows:
        by_dim.setdefault(dim, []).append((key, tuple(int(v or 0) for v in values)))
    everything = dict(by_dim.get("all", [])).get("", (0,) * len(MEASURES))
    per_day = {date.fromisoformat(k): int(n) for k, n in session.execute(
        select(t.key, t.sessions).where(in_range, t.dim == "day", t.sessions > 0))}

    def counts(dim: str) -> dict[str, int]:
        return {key: v[0] for key, v in by_dim.get(dim, [])}

    topics: Counter[str] = Counter()
    for topic_text, v in by_dim.get("topics", []):
        topics.update({code: v[0] for code in set(json.loads(topic_text or "[]"))})
    count, attendees, helpers, duration, repeats, open_follow_ups, understaffed = everything
    return sql_kpi.assemble(sql_kpi.Grouped(
        count=count, attendees=attendees, helpers=helpers, duration=duration, repeats=repeats,
        open_follow_ups=open_follow_ups, understaffed=understaffed, topics=dict(topics),
        venues={key: (v[0], v[1]) for key, v in by_dim.get("venue", [])},
        venue_types={key: (v[0], v[1], v[2]) for key, v in by_dim.get("venue_type", [])},
        attendee_sizes={int(k): n for k, n in counts("attendees").items()},
        age_bands=counts("age_band"), outcomes=counts("outcome"), per_day=per_day,
    ))


def class_rows(session: Session, query: SessionQuery) -> list[tuple[str, int, int, int, int]] | None:
    """The classes of ``query`` by topic list from the totals: (topic list text, classes, participants, staff,
    below the staffing rule) per list, as :func:`dxdesk.support.classes.summarize_sql` groups them; None when
    the totals cannot answer ``query`` (then it runs the GROUP BY)."""
    months = covers(query)
    if months is None or query.include_deleted or not is_current(session):
        return None
    t = totals_table.c
    rows = session.execute(
        select(t.key, func.sum(t.sessions), func.sum(t.attendees), func.sum(t.helpers), func.sum(t.understaffed))
        .where(t.month.between(*months), t.dim == CLASS_DIM).group_by(t.key).having(func.sum(t.sessions) > 0))
    return [(key, int(n), int(p or 0), int(h or 0), int(u or 0)) for key, n, p, h, u in rows]


def rows_for_check(session: Session) -> set[tuple[Any, ...]]:
    """Every non-empty total row (tests compare the maintained totals with a fresh rebuild)."""
    t = totals_table.c
    return {tuple(r) for r in session.execute(select(t.month, t.dim, t.key, *(getattr(t, m) for m in MEASURES))
                                               .where(t.sessions != 0))}
