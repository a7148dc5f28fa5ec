"""Today's figures for the home page: a read of the local store.

The window runs it on its TaskRunner, never on the GUI thread (it queries the database).
Which figures a person sees follows the role (:func:`home_summary_for`).

Only counts and durations: no resident field is read (the encrypted columns are never
selected, so no key is needed and nothing personal reaches the home page).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from dxdesk.security.permissions import Permission, Session
from dxdesk.store.database import Database
from dxdesk.timeutil import local_midnight, local_today


@dataclass(frozen=True)
class HomeSummary:
    """What the home page shows; ``None`` = not asked for (the role may not see it)."""

    day: date
    visits_closed: int | None = None
    visits_cancelled: int | None = None
    mean_visit_seconds: float | None = None  # of closed visits; None when there were none
    support_sessions: int | None = None
    pending_sync: int = 0  # records waiting to be sent to the server
    set_aside_sync: int = 0  # records the server refused (set aside until an administrator resends them)
    # False on a desk with no town server: its records are kept here, and nothing is "waiting to be sent".
    server_configured: bool = True
    problems: tuple[str, ...] = ()  # failing background jobs (dxdesk.store.problems names), for supervisors


def visible_figures(session: Session, *, counter_desk: bool) -> tuple[bool, bool]:
    """(visits, support): counter figures for clerks at a counter desk, support figures for supporters
    and supervisors."""
    visits = counter_desk and session.can(Permission.MANAGE_VISITS)
    support = session.can(Permission.LOG_SUPPORT) or session.can(Permission.VIEW_REPORTS)
    return visits, support


def load_home_summary(database: Database, *, visits: bool, support: bool, day: date | None = None,
                      problems: bool = False, server_configured: bool = True) -> HomeSummary:
    """Counts for ``day`` (default: the desk's today) on this desk (``database.desk_id``).

    ``visits``: closed / cancelled counter visits and their mean wall-clock duration.
    ``support``: support sessions started that day (deleted ones excluded).
    """
    from dxdesk.store import models as m

    day = day or local_today()
    start, end = local_midnight(day), local_midnight(day + timedelta(days=1))
    desk = database.desk_id
    closed = cancelled = sessions = None
    mean: float | None = None
    with database.session() as s:
        if visits:
            in_day = (m.Visit.desk_id == desk, m.Visit.closed_at >= start, m.Visit.closed_at < end)
            closed_count, mean_seconds = s.execute(
                select(func.count(), func.avg(m.Visit.total_seconds)).where(m.Visit.status == "closed", *in_day)
            ).one()
            closed = int(closed_count or 0)
            mean = float(mean_seconds) if mean_seconds is not None and closed else None
            cancelled = int(s.scalar(
                select(func.count()).select_from(m.Visit).where(m.Visit.status == "abandoned", *in_day)) or 0)
        if support:
            sessions = int(s.scalar(
                select(func.count()).select_from(m.SupportSession).where(
                    m.SupportSession.desk_id == desk, m.SupportSession.deleted_at.is_(None),
                    m.SupportSession.started_at >= start, m.SupportSession.started_at < end)) or 0)
    failing: tuple[str, ...] = ()
    if problems:
        from dxdesk.store.problems import current_problems

        failing = tuple(sorted(current_problems(database)))
    return HomeSummary(day=day, visits_closed=closed, visits_cancelled=cancelled, mean_visit_seconds=mean,
                       support_sessions=sessions, pending_sync=database.pending_count(),
                       set_aside_sync=database.set_aside_count(), problems=failing,
                       server_configured=server_configured)
