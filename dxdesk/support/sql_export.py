"""The sessions CSV straight from SQL: stored values to CSV cells, with no record built per row.

``support report --csv`` writes one row per session, a million rows for a large town. Going
through :class:`~dxdesk.support.model.SupportSession` (a typed row, a decrypted follow-up contact
that the CSV never shows, a dataclass, a dict of cells) cost about 185 µs a row on a loaded desk.
Here the query reads only the columns the CSV shows, with the column types' conversions
switched off (``type_coerce``): SQLite gives back its stored text, and each cell is made from it
once - the desk's time zone looked up once per export, topic lists and their labels remembered
per distinct stored list. :func:`dxdesk.support.csvio.session_row` stays the definition of a row;
``tests/support/test_sql_export.py`` holds these rows to it.
"""
from __future__ import annotations

import functools
import json
from datetime import datetime, timezone
from typing import Any, Callable, ContextManager, Iterator

from sqlalchemy import Integer, String, select, type_coerce
from sqlalchemy.orm import Session

from dxdesk.csvfiles import FORMULA_STARTS
from dxdesk.store import models as m
from dxdesk.store.errors import DamagedRecordError
from dxdesk.support import sql_kpi
from dxdesk.support.catalog import Catalog
from dxdesk.support.csvio import DATETIME_FORMAT, TOPIC_SEPARATOR
from dxdesk.support.repository import SessionQuery
from dxdesk.timeutil import desk_zone

_BATCH = 2000  # rows fetched at a time: memory stays flat at any size
_SS = m.SupportSession
_CACHE_LIMIT = 4096

# The CSV's columns (csvio.COLUMNS) as stored; types coerced so no conversion runs per value.
_SELECTED = (
    type_coerce(_SS.id, String), type_coerce(_SS.started_at, String), type_coerce(_SS.venue, String),
    type_coerce(_SS.venue_type, String), type_coerce(_SS.topics, String), type_coerce(_SS.note, String),
    type_coerce(_SS.device, String), type_coerce(_SS.age_band, String), type_coerce(_SS.attendees, Integer),
    type_coerce(_SS.helpers, Integer), type_coerce(_SS.helper_role, String),
    type_coerce(_SS.duration_minutes, Integer), type_coerce(_SS.outcome, String),
    type_coerce(_SS.follow_up_needed, Integer), type_coerce(_SS.follow_up_closed_at, String),
    type_coerce(_SS.repeat_visitor, Integer), type_coerce(_SS.logged_by, String),
)


def _safe(text: str) -> str:
    """:func:`dxdesk.csvfiles.spreadsheet_safe`."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _local_text(zone: Any) -> Callable[[Any], str]:
    """Stored UTC date-time (SQLite text, or a date-time from PostgreSQL) -> csvio's desk wall-clock text."""
    utc = timezone.utc

    def text(value: Any) -> str:
        if value is None:
            return ""
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else value
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=utc)
            local = moment.astimezone(zone)  # zone None: the PC's own rules at that instant, as to_desk does
        except (ValueError, TypeError, AttributeError):
            raise DamagedRecordError() from None
        # csvio.DATETIME_FORMAT, seconds only when present (what csvio._fmt_dt writes)
        if local.year < 1000:  # strftime does not pad such a year; say it as csvio does
            return local.strftime(DATETIME_FORMAT + (":%S" if local.second else ""))
        if local.second:
            return "%04d-%02d-%02d %02d:%02d:%02d" % (local.year, local.month, local.day, local.hour, local.minute,
                                                      local.second)
        return "%04d-%02d-%02d %02d:%02d" % (local.year, local.month, local.day, local.hour, local.minute)

    return text


def _topic_cells(catalog: Catalog, language: str) -> Callable[[Any], tuple[str, str]]:
    """Stored topic list -> (codes cell, labels cell), made once per distinct stored list."""

    @functools.lru_cache(_CACHE_LIMIT)
    def of_text(stored: str | None) -> tuple[str, str]:
        try:
            topics = tuple(json.loads(stored) or ()) if stored is not None else ()
        except ValueError:
            raise DamagedRecordError() from None
        return (_safe(TOPIC_SEPARATOR.join(topics)),
                _safe(TOPIC_SEPARATOR.join(catalog.topic_label(t, language) for t in topics)))

    def cells(stored: Any) -> tuple[str, str]:
        return of_text(stored if isinstance(stored, str) or stored is None else json.dumps(stored))  # PostgreSQL: a list

    return cells


def _safe_cell(value: Any) -> str:
    """str(value), spreadsheet-safe (None: "")."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_rows(open_session: Callable[[], ContextManager[Session]], query: SessionQuery, catalog: Catalog,
             language: str = "ja") -> Iterator[list[str]]:
    """The sessions CSV's rows (csvio.COLUMNS order, cells spreadsheet-safe) of ``query``'s live sessions."""
    stmt = (select(*_SELECTED).where(*sql_kpi.session_conditions(query), _SS.deleted_at.is_(None))
            .order_by(_SS.started_at, _SS.id))
    local = _local_text(desk_zone())
    topics = _topic_cells(catalog, language)
    # Venues, codes, roles, counts repeat: each distinct value is made safe once (typed: 1 is not True).
    cell = functools.lru_cache(_CACHE_LIMIT, typed=True)(_safe_cell)
    formula = FORMULA_STARTS
    with open_session() as s:
        conn = s.connection()
        if conn.dialect.name == "sqlite":
            # The driver's own cursor: SQLAlchemy has bound the parameters, and with every type coerced there
            # is nothing left for it to do per row (a Row object each would cost as much as the rest).
            # Without stream_results nothing is read ahead into SQLAlchemy's buffer (the test counts rows).
            result = conn.execute(stmt)
            batches: Iterator[Any] = iter(lambda: result.cursor.fetchmany(_BATCH), [])
        else:  # PostgreSQL: a server-side cursor, rows in partitions
            result = conn.execute(stmt.execution_options(yield_per=_BATCH))
            batches = result.partitions()
        try:
            for batch in batches:
                for (id_, started, venue, venue_type, stored_topics, note, device, age_band, attendees, helpers,
                     role, minutes, outcome, follow_up, closed, repeat, logged_by) in batch:
                    codes, labels = topics(stored_topics)
                    started = local(started)
                    note = note or ""
                    yield [
                        "'" + id_ if id_.startswith(formula) else id_,
                        "'" + started if started.startswith(formula) else started,
                        cell(venue), cell(venue_type), codes, labels,
                        "'" + note if note.startswith(formula) else note,
                        cell(device), cell(age_band), cell(attendees), cell(helpers), cell(role), cell(minutes),
                        cell(outcome), "1" if follow_up else "0", cell(local(closed)), "1" if repeat else "0",
                        cell(logged_by),
                    ]
        finally:
            result.close()
