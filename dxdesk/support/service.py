"""SupportService: the support log as the signed-in person may use it — role checks and audit events.

Wraps any :class:`~dxdesk.support.repository.SupportRepository` for one
:class:`~dxdesk.security.permissions.Session` and implements the same protocol, so
screens, the CSV import and the CLI take it wherever they took a repository. A screen
that forgets to hide a button still cannot do what the role does not allow.

Who may do what:

==============================  ============================================================
add / update / delete / close   ``LOG_SUPPORT`` (supporters; records are theirs to keep right)
follow-up / import, save venue
catalog (topics, venues)        any of ``LOG_SUPPORT``, ``VIEW_REPORTS``, ``MANAGE_CATALOGUE``
list / get / follow-ups due     ``VIEW_REPORTS`` sees everything; ``LOG_SUPPORT`` alone sees the
                                editable window only (the last 31 days, no deleted records):
                                enough to fix a recent entry and to count today's sessions,
                                but not the town's history
save topic                      ``MANAGE_CATALOGUE`` (the topic list is part of the catalogue)
PDF report                      ``VIEW_REPORTS``
CSV export                      ``VIEW_REPORTS`` and ``EXPORT_DATA`` (the file leaves the PC)
==============================  ============================================================

Audit events (details hold ids, kinds and counts only — never a note or a contact) are
appended in the same store transaction as the change they record (over
:class:`~dxdesk.support.sql_repository.SqlRepository`), so no change commits unaudited:
``support.change`` for every add, update, soft delete, follow-up close, import and
topic change; ``report.create`` for a PDF, ``data.export`` for a CSV; a refused write,
report or export is recorded with result ``denied``.
"""
from __future__ import annotations

import builtins  # a method named list shadows the builtin in annotations after it
import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterable, Iterator, Sequence, TypeVar

from dxdesk.security.audit import AuditEntry, AuditLog, EventType, Result
from dxdesk.security.permissions import Permission, PermissionDeniedError, Session, require, require_any
from dxdesk.support.catalog import Catalog, Topic, Venue
from dxdesk.support.kpi import KpiSummary, ReportData, StoredScope, summary_of
from dxdesk.support.model import SupportSession, local_now
from dxdesk.support.report import ReportOptions
from dxdesk.support.repository import DEFAULT_EDIT_WINDOW, AddManyResult, SessionQuery, SupportRepository

if TYPE_CHECKING:
    from dxdesk.support.classes import ClassRecord, ClassSummary

log = logging.getLogger(__name__)

READ_PERMISSIONS = (Permission.VIEW_REPORTS, Permission.LOG_SUPPORT)

T = TypeVar("T")
R = TypeVar("R")


class SupportService:
    """A :class:`SupportRepository` for one signed-in person (see the module docstring for the rules)."""

    def __init__(
        self,
        repository: SupportRepository,
        session: Session,
        audit: AuditLog,
        *,
        clock: Callable[[], datetime] = local_now,
        edit_window: timedelta = DEFAULT_EDIT_WINDOW,
    ) -> None:
        self.repository = repository
        self.session = session
        self.audit = audit
        self._clock = clock
        self._edit_window = edit_window

    # --- checks and audit ------------------------------------------------------------
    def _audit(self, event: EventType, details: dict[str, Any], result: Result = Result.SUCCESS) -> None:
        self.audit.append(AuditEntry(event, self.session.clerk_id, result, details=details))

    def _audited(self, write: Callable[..., T], event: EventType, details: Callable[[T], dict[str, Any]]) -> T:
        """Run ``write`` with its audit event in the same transaction when the repository can.

        A repository without transactions (the in-memory one of tests and tools) gets the event
        right after the change.
        """
        if getattr(self.repository, "in_transaction_hooks", False):
            def then(orm: Any, result: T) -> None:
                self.audit.append_in(orm, AuditEntry(event, self.session.clerk_id, Result.SUCCESS,
                                                     details=details(result)))

            return write(then=then)
        result = write()
        self._audit(event, details(result))
        return result

    def _require(self, permission: Permission, event: EventType, kind: str) -> None:
        """Check; a refusal of a write/report/export is itself an audit event."""
        try:
            require(self.session, permission)
        except PermissionDeniedError:
            try:
                self._audit(event, {"kind": kind, "permission": permission.value}, Result.DENIED)
            except Exception:  # the refusal stands even if it cannot be recorded
                log.exception("could not audit a refused support operation")
            raise

    def _full_view(self) -> bool:
        return self.session.can(Permission.VIEW_REPORTS)

    def _window_start(self) -> date:
        return (self._clock() - self._edit_window).date()

    def _visible(self, s: SupportSession | None) -> SupportSession | None:
        if s is None or self._full_view():
            return s
        return s if not s.deleted and s.started_at.date() >= self._window_start() else None

    # --- catalog ----------------------------------------------------------------------
    def catalog(self) -> Catalog:
        # Topics and venues are reference data; the catalogue administrator needs them to edit topics.
        require_any(self.session, *READ_PERMISSIONS, Permission.MANAGE_CATALOGUE)
        return self.repository.catalog()

    def save_topic(self, topic: Topic) -> Catalog:
        self._require(Permission.MANAGE_CATALOGUE, EventType.SUPPORT_CHANGE, "topic_saved")
        return self._audited(lambda **kw: self.repository.save_topic(topic, **kw), EventType.SUPPORT_CHANGE,
                             lambda _r: {"kind": "topic_saved", "topic": topic.code, "active": topic.active})

    def save_venue(self, venue: Venue) -> Catalog:
        # Remembering a venue's type is part of logging a session there; venue names are public places.
        require(self.session, Permission.LOG_SUPPORT)
        return self.repository.save_venue(venue)

    # --- writes -----------------------------------------------------------------------
    def add(self, session: SupportSession, *, by: str = "") -> SupportSession:
        self._require(Permission.LOG_SUPPORT, EventType.SUPPORT_CHANGE, "added")
        return self._audited(lambda **kw: self.repository.add(session, by=by, **kw), EventType.SUPPORT_CHANGE,
                             lambda r: {"kind": "added", "session_id": r.id})

    def add_many(self, sessions: Sequence[SupportSession], *, by: str = "") -> AddManyResult:
        self._require(Permission.LOG_SUPPORT, EventType.SUPPORT_CHANGE, "imported")
        return self._audited(lambda **kw: self.repository.add_many(sessions, by=by, **kw), EventType.SUPPORT_CHANGE,
                             lambda r: {"kind": "imported", "added": len(r.added),
                                        "already_present": len(r.already_present)})

    def update(self, session: SupportSession, *, by: str = "", now: datetime | None = None) -> SupportSession:
        self._require(Permission.LOG_SUPPORT, EventType.SUPPORT_CHANGE, "updated")
        return self._audited(lambda **kw: self.repository.update(session, by=by, now=now, **kw),
                             EventType.SUPPORT_CHANGE, lambda r: {"kind": "updated", "session_id": r.id})

    def delete(self, session_id: str, *, by: str = "", now: datetime | None = None) -> SupportSession:
        self._require(Permission.LOG_SUPPORT, EventType.SUPPORT_CHANGE, "deleted")
        return self._audited(lambda **kw: self.repository.delete(session_id, by=by, now=now, **kw),
                             EventType.SUPPORT_CHANGE, lambda r: {"kind": "deleted", "session_id": r.id})

    def close_follow_up(self, session_id: str, *, by: str = "", now: datetime | None = None) -> SupportSession:
        self._require(Permission.LOG_SUPPORT, EventType.SUPPORT_CHANGE, "follow_up_closed")
        return self._audited(lambda **kw: self.repository.close_follow_up(session_id, by=by, now=now, **kw),
                             EventType.SUPPORT_CHANGE, lambda r: {"kind": "follow_up_closed", "session_id": r.id})

    # --- reads ------------------------------------------------------------------------
    def get(self, session_id: str) -> SupportSession | None:
        require_any(self.session, *READ_PERMISSIONS)
        return self._visible(self.repository.get(session_id))

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        # Used by the import to skip rows already stored; it reveals ids only, which the importer holds.
        require_any(self.session, *READ_PERMISSIONS)
        return self.repository.existing_ids(ids)

    def _allowed(self, query: SessionQuery) -> SessionQuery | None:
        """``query`` narrowed to what this account may read (None: nothing)."""
        require_any(self.session, *READ_PERMISSIONS)
        if not self._full_view():
            start = self._window_start()
            query = SessionQuery(
                date_from=max(query.date_from, start) if query.date_from else start, date_to=query.date_to,
                venue=query.venue, venue_type=query.venue_type, topic=query.topic, outcome=query.outcome,
                include_deleted=False,
            )
            if query.date_to is not None and query.date_to < query.date_from:  # type: ignore[operator]
                return None
        return query

    def list(self, query: SessionQuery = SessionQuery(), *, limit: int | None = None,
             offset: int = 0, newest_first: bool = False) -> list[SupportSession]:
        allowed = self._allowed(query)
        if allowed is None:
            return []
        return self.repository.list(allowed, limit=limit, offset=offset, newest_first=newest_first)

    def count(self, query: SessionQuery = SessionQuery()) -> int:
        """How many sessions ``query`` selects among those this account may read (counted in SQL)."""
        allowed = self._allowed(query)
        return 0 if allowed is None else self.repository.count(allowed)

    def iter_sessions(self, query: SessionQuery = SessionQuery()) -> Iterable[SupportSession]:
        """The sessions ``query`` selects, streamed from the database when it can (exports, long lists)."""
        allowed = self._allowed(query)
        if allowed is None:
            return iter(())
        stream = getattr(self.repository, "iter_sessions", None)
        return stream(allowed) if stream is not None else iter(self.repository.list(allowed))

    def scope(self, query: SessionQuery = SessionQuery()) -> Sequence[SupportSession] | StoredScope:
        """``query``'s sessions for the KPI functions: left in the database (summarised in SQL) when it can."""
        allowed = self._allowed(query)
        if allowed is None:
            return []
        scope = getattr(self.repository, "scope", None)
        return scope(allowed) if scope is not None else self.repository.list(allowed)

    def iter_classes(self, query: SessionQuery = SessionQuery()) -> Iterable[ClassRecord]:
        """The classes (講座・コマ) ``query`` selects, streamed and filtered in SQL when the repository can."""
        from dxdesk.support.classes import classes_of

        allowed = self._allowed(query)
        if allowed is None:
            return iter(())
        stream = getattr(self.repository, "iter_classes", None)
        return stream(allowed) if stream is not None else classes_of(self.repository.list(allowed))

    def class_summary(self, query: SessionQuery = SessionQuery()) -> ClassSummary:
        """Classes, participants, staff and classes below the staffing ratio, in total and per topic."""
        from dxdesk.support.classes import ClassSummary, summarize

        allowed = self._allowed(query)
        if allowed is None:
            return ClassSummary()
        in_sql = getattr(self.repository, "class_summary", None)
        return in_sql(allowed) if in_sql is not None else summarize(self.repository.list(allowed))

    def rebuild_totals(self) -> int:
        """Recompute the report's monthly totals from the sessions (a repair; audited, supervisors)."""
        self._require(Permission.VIEW_REPORTS, EventType.REPORT, "support_totals_rebuilt")
        rebuild = getattr(self.repository, "rebuild_totals", None)
        if rebuild is None:  # a repository without stored totals (in memory) has nothing to rebuild
            return 0
        return self._audited(lambda then=None: int(rebuild(then=then)), EventType.REPORT,
                             lambda rows: {"kind": "support_totals_rebuilt", "rows": rows})

    def follow_ups_due(self) -> builtins.list[SupportSession]:
        # Supporters do the follow-ups, so they see every open one (that is their work list).
        require_any(self.session, *READ_PERMISSIONS)
        return self.repository.follow_ups_due()

    # --- files that leave the PC -----------------------------------------------------------
    def write_report_pdf(self, path: Path, data: ReportData, catalog: Catalog,
                         options: ReportOptions) -> Path:
        """Same as :func:`dxdesk.support.report.write_report_pdf`, checked and audited."""
        from dxdesk.support.report import write_report_pdf

        self._require(Permission.VIEW_REPORTS, EventType.REPORT, "support_pdf")
        summary = summary_of(data)
        written = write_report_pdf(path, summary, catalog, options)
        self._audit(EventType.REPORT, {"kind": "support_pdf", "sessions": summary.sessions,
                                       "period_from": options.period[0].isoformat(),
                                       "period_to": options.period[1].isoformat(),
                                       "venue_filter": options.venue is not None})
        return written

    def write_csv_pair(self, path: Path, sessions: Iterable[SupportSession], summary: KpiSummary, catalog: Catalog,
                       language: str = "ja") -> tuple[Path, Path]:
        """Same as :func:`dxdesk.support.csvio.write_csv_pair`, checked and audited (``sessions`` may be a stream)."""
        from dxdesk.support.csvio import write_csv_pair

        self._require(Permission.VIEW_REPORTS, EventType.EXPORT, "support_csv")
        self._require(Permission.EXPORT_DATA, EventType.EXPORT, "support_csv")
        rows = _CountedRows(sessions)
        written = write_csv_pair(path, rows, summary, catalog, language)
        self._audit(EventType.EXPORT, {"kind": "support_csv", "rows": rows.live, "files": len(written)})
        return written


    def write_classes_csv(self, path: Path, query: SessionQuery, catalog: Catalog, language: str = "ja") -> Path:
        """The per-class CSV (:func:`dxdesk.support.csvio.write_classes_csv`) of ``query``, checked and audited."""
        from dxdesk.support.csvio import write_classes_csv

        self._require(Permission.VIEW_REPORTS, EventType.EXPORT, "support_classes_csv")
        self._require(Permission.EXPORT_DATA, EventType.EXPORT, "support_classes_csv")
        rows = _Counted(self.iter_classes(query))
        written = write_classes_csv(path, rows, catalog, language)
        self._audit(EventType.EXPORT, {"kind": "support_classes_csv", "rows": rows.live, "files": 1})
        return written


class _CountedRows:
    """The sessions CSV's rows (from SQL when the sessions are a stored scope), counting those written."""

    def __init__(self, sessions: Iterable[SupportSession]) -> None:
        self._sessions = sessions
        self.live = 0

    def __iter__(self) -> Iterator[SupportSession]:  # only csv_rows is used; iterating gives the sessions
        return iter(self._sessions)

    def csv_rows(self, catalog: Catalog, language: str) -> Iterator[builtins.list[str]]:
        from dxdesk.support.csvio import session_rows

        for row in session_rows(self._sessions, catalog, language):
            self.live += 1
            yield row


class _Counted(Generic[R]):
    """Passes rows through, counting the live ones written (the audit's row count of a stream)."""

    def __init__(self, rows: Iterable[R]) -> None:
        self._rows = rows
        self.live = 0

    def __iter__(self) -> Iterator[R]:
        for r in self._rows:
            self.live += not getattr(r, "deleted", False)
            yield r
