"""Per-class (講座・コマ) records: the shape the デジタル活用支援 programme's national survey analyses.

The programme counts *classes*: one コマ of a course menu with its participants, its
lecturers and assistants, and the standard curriculum topics it covered. A logged
support session with more than one attendee is such a class (one attendee is an
individual consultation, 個別相談, which the survey counts elsewhere).

The staffing check is the report's one rule, :func:`dxdesk.support.kpi.required_staff`
(``1 + ceil(participants / 4)`` staff, lecturer included: one lecturer plus one
assistant per started four participants), in SQL as :func:`dxdesk.support.sql_kpi.staff_needed`.
So a class of 8 needs 3 staff and a class of 9 needs 4; the report's "understaffed"
count and this module's "below ratio" flag never disagree.

Three ways in, same numbers: :func:`summarize` over sessions in memory (the in-memory
repository, tests), :func:`summarize_sql` as ``GROUP BY`` queries on SQLite and
PostgreSQL (a fiscal year of a region's log is too many rows to load), and
:func:`summarize_stored`, which reads whole months with no other filter from the desk's
pre-computed monthly totals (:mod:`dxdesk.support.monthly_totals`, dimension
``class_topics``: size-independent, like the report's KPIs) and runs the ``GROUP BY`` otherwise.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Text, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from dxdesk.store import models as m
from dxdesk.support.kpi import required_staff
from dxdesk.support.model import SupportSession
from dxdesk.support.repository import SessionQuery
from dxdesk.support.sql_kpi import session_conditions, staff_needed

MIN_PARTICIPANTS = 2  # fewer is an individual consultation, not a class
SS = m.SupportSession


@dataclass(frozen=True)
class ClassRecord:
    """One class (コマ) as the survey asks for it."""

    id: str
    started_at: datetime  # desk-local, as the session holds it
    venue: str
    venue_type: str
    topics: tuple[str, ...]
    participants: int
    staff: int  # everyone supporting, lecturer included (the log's ``helpers``)
    staff_role: str
    duration_minutes: int

    @property
    def staff_required(self) -> int:
        return required_staff(self.participants)

    @property
    def below_ratio(self) -> bool:
        return self.staff < self.staff_required

    @classmethod
    def of(cls, s: SupportSession) -> ClassRecord:
        return cls(s.id, s.started_at, s.venue, s.venue_type, tuple(s.topics), s.attendees, s.helpers,
                   s.helper_role, s.duration_minutes)


def is_class(s: SupportSession) -> bool:
    return not s.deleted and s.attendees >= MIN_PARTICIPANTS


def class_condition() -> ColumnElement[bool]:
    """:func:`is_class` in SQL (deleted sessions are left out by :func:`session_conditions`)."""
    return SS.attendees >= MIN_PARTICIPANTS


def classes_of(sessions: Iterable[SupportSession]) -> Iterator[ClassRecord]:
    """The classes among ``sessions`` (a stream stays a stream)."""
    return (ClassRecord.of(s) for s in sessions if is_class(s))


@dataclass(frozen=True)
class ClassTotals:
    """Classes, participants and staff of a group of classes, and how many fall below the ratio."""

    classes: int = 0
    participants: int = 0
    staff: int = 0
    below_ratio: int = 0

    def __add__(self, other: ClassTotals) -> ClassTotals:
        return ClassTotals(self.classes + other.classes, self.participants + other.participants,
                           self.staff + other.staff, self.below_ratio + other.below_ratio)


@dataclass(frozen=True)
class ClassSummary:
    """All classes of a period, and per curriculum topic (a class of two topics counts under each)."""

    total: ClassTotals = ClassTotals()
    per_topic: dict[str, ClassTotals] = field(default_factory=dict)


def summarize(sessions: Iterable[SupportSession]) -> ClassSummary:
    """The class summary computed in Python (the oracle for :func:`summarize_sql`)."""
    total = ClassTotals()
    per_topic: dict[str, ClassTotals] = {}
    for c in classes_of(sessions):
        one = ClassTotals(1, c.participants, c.staff, int(c.below_ratio))
        total += one
        for code in dict.fromkeys(c.topics):
            per_topic[code] = per_topic.get(code, ClassTotals()) + one
    return ClassSummary(total, _ordered(per_topic))


def summarize_sql(session: Session, query: SessionQuery) -> ClassSummary:
    """:func:`summarize` as one ``GROUP BY`` on the topic list's text (a few hundred groups per town)."""
    below = func.coalesce(func.sum(case((SS.helpers < staff_needed(), 1), else_=0)), 0)
    stmt = (select(cast(SS.topics, Text), func.count(), func.sum(SS.attendees), func.sum(SS.helpers), below)
            .where(*session_conditions(query), class_condition())
            .group_by(cast(SS.topics, Text)))
    return _fold(session.execute(stmt))


def summarize_stored(session: Session, query: SessionQuery) -> ClassSummary:
    """:func:`summarize_sql`'s numbers, from the monthly totals when they can answer ``query`` (whole months, no
    other filter, totals current on a SQLite desk), else by the ``GROUP BY``."""
    from dxdesk.support import monthly_totals  # imports this module

    rows = monthly_totals.class_rows(session, query)
    return summarize_sql(session, query) if rows is None else _fold(rows)


def _fold(groups: Iterable[Any]) -> ClassSummary:
    """(topic list text, classes, participants, staff, below the rule) groups -> the summary; a class of two
    topics counts under each."""
    total = ClassTotals()
    per_topic: dict[str, ClassTotals] = {}
    for text, n, participants, staff, short in groups:
        group = ClassTotals(int(n), int(participants or 0), int(staff or 0), int(short or 0))
        total += group
        for code in set(json.loads(text or "[]")):
            per_topic[code] = per_topic.get(code, ClassTotals()) + group
    return ClassSummary(total, _ordered(per_topic))


def _ordered(per_topic: dict[str, ClassTotals]) -> dict[str, ClassTotals]:
    return dict(sorted(per_topic.items(), key=lambda item: (-item[1].classes, item[0])))


def summary_document(summary: ClassSummary) -> dict[str, Any]:
    """The summary as plain data (``--json``)."""
    def plain(t: ClassTotals) -> dict[str, int]:
        return {"classes": t.classes, "participants": t.participants, "staff": t.staff, "below_ratio": t.below_ratio}

    return {"total": plain(summary.total), "per_topic": {k: plain(v) for k, v in summary.per_topic.items()}}

