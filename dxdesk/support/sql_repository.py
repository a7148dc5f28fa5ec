"""SupportRepository over the local store (``dxdesk.store``).

* Writes go through ``Database.writer`` (one thread, one transaction per call), so
  ``add_many`` is all-or-nothing and the outbox row for sync is written with it.
  ``then(orm, result)`` (an :data:`InTransaction`) runs inside that same transaction
  after the change: :class:`~dxdesk.support.service.SupportService` appends its audit
  event there, so the change and its audit event commit together or not at all.
  Methods block until committed: call them from a worker, never from the writer
  thread (screens use the app's background-task runner).
* Reads use short read-only sessions and return plain :class:`SupportSession`
  values, never ORM objects.
* Times: the store keeps UTC; records here use the town's local wall-clock time
  (see :mod:`dxdesk.support.model`), converted at this boundary.
* ``follow_up_contact`` is an encrypted column; it is decrypted only into the
  dataclass (excluded from its repr) and never logged.
* The store's ``venues`` table has no venue-type column, so a venue's type is
  taken from its most recent session (``"other"`` until it has one): one indexed
  look-up per venue (``venue, started_at``), never a scan of the session table.
* Lists filter in SQL (topic included) and can be paged (``limit``/``offset``) or
  streamed (:meth:`SqlRepository.iter_sessions`); reports are summarised in the
  database (:meth:`SqlRepository.scope`, :mod:`dxdesk.support.sql_kpi`).
"""
from __future__ import annotations

import builtins  # a method named list shadows the builtin in annotations after it
import dataclasses
from datetime import datetime, timedelta
from typing import Any, Callable, ContextManager, Iterable, Iterator, Sequence, TypeVar

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

from dxdesk.store import models as m
from dxdesk.store.database import Database
from dxdesk.store.session import NotOwnerError
from dxdesk.support import monthly_totals, sql_kpi
from dxdesk.support.classes import ClassRecord, ClassSummary, class_condition, classes_of, summarize_stored
from dxdesk.support.kpi import KpiSummary
from dxdesk.support.catalog import Catalog, Topic, Venue, seed_topics, seed_venue_types
from dxdesk.support.model import SessionValidationError, SupportSession, check, local_now, validate_topic
from dxdesk.support.repository import (
    DEFAULT_EDIT_WINDOW,
    AddManyResult,
    ChangeCallback,
    ChangeEvent,
    ChangeKind,
    RepositoryError,
    SessionQuery,
    check_update,
    closed_follow_up,
    ensure_editable,
    not_found,
)
from dxdesk.i18n import Msg
from dxdesk.timeutil import from_local_naive, to_local_naive

_ID_CHUNK = 500  # SQLite's bound-parameter limit is 999 on old builds
_STREAM_BATCH = 2000  # rows fetched at a time when streaming (bounded memory for exports)

_T = TypeVar("_T")
# Called inside a write's transaction with (the ORM session, the write's result); raising rolls it back.
InTransaction = Callable[[Session, Any], None]


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else from_local_naive(value)


def _local(value: datetime | None) -> datetime | None:
    return None if value is None else to_local_naive(value)


def to_session(row: m.SupportSession | Row[Any], own_desk: str | None = None,
               desk_names: dict[str, str] | None = None) -> SupportSession:
    """An ORM row or a plain row of the table's columns (streamed exports) as a record.

    ``own_desk``: this desk's id; a record from any other desk is marked read-only with its desk's name."""
    other = ""
    if own_desk is not None and row.desk_id and row.desk_id != own_desk:
        other = desk_label(row.desk_id, desk_names or {})
    return SupportSession(
        id=row.id,
        started_at=to_local_naive(row.started_at),
        venue=row.venue,
        venue_type=row.venue_type,
        topics=tuple(row.topics or ()),
        device=row.device,
        age_band=row.age_band,
        attendees=row.attendees,
        helpers=row.helpers,
        duration_minutes=row.duration_minutes,
        outcome=row.outcome,
        note=row.note or "",
        helper_role=row.helper_role or "",
        follow_up_needed=row.follow_up_needed,
        follow_up_contact=row.follow_up_contact,
        follow_up_closed_at=_local(row.follow_up_closed_at),
        repeat_visitor=row.repeat_visitor,
        logged_by=row.logged_by or "",
        deleted=row.deleted_at is not None,
        other_desk=other,
    )


DESK_NAME_PREFIX = "desk.name."  # shared_settings key of each desk's name (published by its sync)


def desk_label(desk_id: str, names: dict[str, str]) -> str:
    """A desk's name as it published it, else the start of its id (a desk that never synced its name)."""
    return names.get(desk_id) or f"desk {desk_id[:8]}"


def desk_names(session: Session) -> dict[str, str]:
    rows = session.execute(select(m.SharedSetting.key, m.SharedSetting.value)
                           .where(m.SharedSetting.key.like(DESK_NAME_PREFIX + "%")))
    return {key.removeprefix(DESK_NAME_PREFIX): str(value) for key, value in rows if value}


def _fill(row: m.SupportSession, s: SupportSession, now: datetime) -> m.SupportSession:
    row.started_at = _aware(s.started_at)  # type: ignore[assignment]
    row.venue = s.venue
    row.venue_type = s.venue_type
    row.topics = list(s.topics)
    row.note = s.note
    row.device = s.device
    row.age_band = s.age_band
    row.attendees = s.attendees
    row.helpers = s.helpers
    row.helper_role = s.helper_role
    row.duration_minutes = s.duration_minutes
    row.outcome = s.outcome
    row.follow_up_needed = s.follow_up_needed
    row.follow_up_contact = s.follow_up_contact
    row.follow_up_closed_at = _aware(s.follow_up_closed_at)
    row.repeat_visitor = s.repeat_visitor
    row.logged_by = s.logged_by
    if s.deleted and row.deleted_at is None:
        row.deleted_at = _aware(now)
    elif not s.deleted:
        row.deleted_at = None
    return row


class SqlRepository:
    """:class:`dxdesk.support.repository.SupportRepository` over an open :class:`Database`."""

    def __init__(
        self,
        db: Database,
        *,
        on_change: ChangeCallback | None = None,
        edit_window: timedelta = DEFAULT_EDIT_WINDOW,
    ) -> None:
        self._db = db
        self._on_change = on_change
        self._edit_window = edit_window
        self._catalog_cache: Catalog | None = None
        self._seed_topics_if_empty()

    # --- helpers ---------------------------------------------------------
    # SupportService looks for this: writes here can carry an audit event in their own transaction.
    in_transaction_hooks = True

    def _write(self, fn: Callable[[Session], _T], then: InTransaction | None = None) -> _T:
        if then is None:
            return self._db.writer.run(fn)

        def job(session: Session) -> _T:
            result = fn(session)
            then(session, result)
            return result

        return self._db.writer.run(job)

    def _emit(self, kind: ChangeKind, sid: str, by: str, before: SupportSession | None, after: SupportSession | None) -> None:
        if self._on_change is not None:
            self._on_change(
                ChangeEvent(kind, sid, by, local_now(), before and before.redacted(), after and after.redacted())
            )

    def _seed_topics_if_empty(self) -> None:
        """A new database gets the national menu; an existing one keeps the town's edits."""

        def job(session: Session) -> None:
            # A new log starts with its monthly totals built (nothing to count): the triggers keep them.
            if monthly_totals.needs_rebuild(session) and session.scalar(select(m.SupportSession.id).limit(1)) is None:
                monthly_totals.rebuild(session)
            if session.scalar(select(func.count()).select_from(m.SupportTopic)):
                return
            for t in seed_topics():
                session.add(m.SupportTopic(code=t.code, label_ja=t.label_ja, label_en=t.label_en,
                                           sort=t.sort_order, active=t.active))

        self._write(job)

    def _note_venue_use(self, sessions: Iterable[SupportSession]) -> None:
        # Only a known venue used with another type changes the inferred types; rebuilding the
        # catalog scans the sessions, so avoid it on every add.
        cached = self._catalog_cache
        if cached is None:
            return
        for s in sessions:
            venue = cached.venue(s.venue)
            if venue is not None and venue.venue_type != s.venue_type:
                self._catalog_cache = None
                return

    def refresh_catalog(self) -> Catalog:
        """Re-read topics and venues (e.g. after a sync brought other desks' edits)."""
        self._catalog_cache = None
        return self.catalog()

    # --- catalog ---------------------------------------------------------
    def catalog(self) -> Catalog:
        if self._catalog_cache is not None:
            return self._catalog_cache
        national = {t.code for t in seed_topics()}
        with self._db.session() as s:
            topics = tuple(
                Topic(r.code, r.label_ja, r.label_en, national=r.code in national, active=r.active, sort_order=r.sort)
                for r in s.scalars(select(m.SupportTopic))
            )
            latest = (
                select(m.SupportSession.venue_type)
                .where(m.SupportSession.venue == m.Venue.label_ja)
                .order_by(m.SupportSession.started_at.desc())
                .limit(1)
                .scalar_subquery()
            )
            venues = tuple(
                Venue(r.label_ja, venue_type or "other", r.active)
                for r, venue_type in s.execute(select(m.Venue, latest).order_by(m.Venue.sort, m.Venue.label_ja))
            )
        self._catalog_cache = Catalog(topics, seed_venue_types(), venues)
        return self._catalog_cache

    def save_topic(self, topic: Topic, *, then: InTransaction | None = None) -> Catalog:
        catalog = self.catalog()
        is_new = catalog.topic(topic.code) is None
        errors = validate_topic(topic, catalog, is_new=is_new)
        if errors:
            raise SessionValidationError(errors)
        sort = topic.sort_order or (max((t.sort_order for t in catalog.topics), default=0) + 10)

        def job(session: Session) -> None:
            row = session.scalar(select(m.SupportTopic).where(m.SupportTopic.code == topic.code))
            if row is None:
                row = m.SupportTopic(code=topic.code)
                session.add(row)
            row.label_ja, row.label_en, row.sort, row.active = topic.label_ja, topic.label_en, sort, topic.active

        self._write(job, then)
        self._catalog_cache = None
        return self.catalog()

    def save_venue(self, venue: Venue) -> Catalog:
        name = venue.name.strip()
        if not name or len(name) > 64:
            raise RepositoryError(Msg("会場名は1〜64文字で入力してください。", "a venue name must be 1 to 64 characters."))

        def job(session: Session) -> None:
            row = session.scalar(select(m.Venue).where(m.Venue.code == name))
            if row is None:
                last = session.scalar(select(func.max(m.Venue.sort))) or 0
                row = m.Venue(code=name, label_ja=name, label_en="", sort=last + 10)
                session.add(row)
            row.active = venue.active

        self._write(job)
        self._catalog_cache = None
        return self.catalog()

    # --- sessions --------------------------------------------------------
    def add(self, session: SupportSession, *, by: str = "", then: InTransaction | None = None) -> SupportSession:
        session = check(session, self.catalog())

        def job(db: Session) -> SupportSession:
            if db.get(m.SupportSession, session.id) is not None:
                raise RepositoryError(Msg("同じIDの記録が既にあります。", f"session {session.id} already exists."))
            db.add(_fill(m.SupportSession(id=session.id), session, local_now()))
            return session

        self._write(job, then)
        self._note_venue_use([session])
        self._emit("added", session.id, by, None, session)
        return session

    def add_many(self, sessions: Sequence[SupportSession], *, by: str = "",
                 then: InTransaction | None = None) -> AddManyResult:
        catalog = self.catalog()
        checked = [check(s, catalog) for s in sessions]
        now = local_now()

        def job(db: Session) -> AddManyResult:
            present = _existing(db, [s.id for s in checked])
            added = []
            for s in checked:
                if s.id in present:
                    continue
                db.add(_fill(m.SupportSession(id=s.id), s, now))
                present.add(s.id)
                added.append(s.id)
            fresh = set(added)
            return AddManyResult(tuple(added), tuple(s.id for s in checked if s.id not in fresh))

        result: AddManyResult = self._write(job, then)
        self._note_venue_use(checked)
        by_id = {s.id: s for s in checked}
        for sid in result.added:
            self._emit("imported", sid, by, None, by_id[sid])
        return result

    def get(self, session_id: str) -> SupportSession | None:
        with self._db.session() as s:
            row = s.get(m.SupportSession, session_id)
            return to_session(row, self._db.desk_id, desk_names(s)) if row is not None else None

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        with self._db.session() as s:
            return _existing(s, list(ids))

    def _modify(self, session_id: str, kind: ChangeKind, by: str, change: Callable[[SupportSession], SupportSession],
                check_window: bool, now: datetime, then: InTransaction | None = None) -> SupportSession:
        box: dict[str, SupportSession] = {}

        def job(db: Session) -> SupportSession:
            row = db.get(m.SupportSession, session_id)
            if row is None:
                raise not_found(session_id)
            if row.desk_id and row.desk_id != self._db.desk_id:  # one owner per record (store.session)
                raise NotOwnerError(desk_label(row.desk_id, desk_names(db)))
            before = to_session(row)
            if check_window:
                ensure_editable(before, now, self._edit_window)
            after = change(before)
            if after is not before:
                _fill(row, after, now)
            box["before"], box["after"] = before, after
            return after

        self._write(job, then)
        if box["after"] is not box["before"]:
            self._emit(kind, session_id, by, box["before"], box["after"])
        return box["after"]

    def update(self, session: SupportSession, *, by: str = "", now: datetime | None = None,
               then: InTransaction | None = None) -> SupportSession:
        session = check(session, self.catalog())

        def change(before: SupportSession) -> SupportSession:
            check_update(before, session)
            return session

        result = self._modify(session.id, "updated", by, change, True, now or local_now(), then)
        self._note_venue_use([session])
        return result

    def delete(self, session_id: str, *, by: str = "", now: datetime | None = None,
               then: InTransaction | None = None) -> SupportSession:
        return self._modify(
            session_id, "deleted", by,
            lambda before: dataclasses.replace(before, deleted=True, follow_up_contact=None),
            True, now or local_now(), then,
        )

    def list(self, query: SessionQuery = SessionQuery(), *, limit: int | None = None,
             offset: int = 0, newest_first: bool = False) -> list[SupportSession]:
        """Sessions ``query`` selects, oldest (or newest) first; ``limit``/``offset`` give one page."""
        stmt = _select(query, newest_first).offset(offset or None).limit(limit)
        with self._db.session() as s:
            names = desk_names(s)
            return [to_session(r, self._db.desk_id, names) for r in s.scalars(stmt)]

    def count(self, query: SessionQuery = SessionQuery()) -> int:
        stmt = select(func.count()).select_from(m.SupportSession).where(*sql_kpi.session_conditions(query))
        with self._db.session() as s:
            # Whole months, no other filter (the list's usual periods): the monthly totals know the number.
            counted = monthly_totals.count(s, query)
            return counted if counted is not None else int(s.scalar(stmt) or 0)

    def iter_sessions(self, query: SessionQuery = SessionQuery()) -> Iterator[SupportSession]:
        """Stream the sessions ``query`` selects, oldest first, a batch of rows at a time (CSV exports)."""
        return _stream(self._db.session, query, self._db.desk_id)

    def iter_classes(self, query: SessionQuery = SessionQuery()) -> Iterator[ClassRecord]:
        """Stream the classes (講座・コマ: 2+ attendees) ``query`` selects, oldest first, filtered in SQL."""
        return classes_of(_stream(self._db.session, query, self._db.desk_id, class_condition()))

    def class_summary(self, query: SessionQuery = SessionQuery()) -> ClassSummary:
        """Classes, participants, staff and classes below the staffing ratio, per topic (the monthly totals for
        whole months with no other filter, as the KPIs; GROUP BY otherwise)."""
        self.ensure_totals()
        with self._db.session() as s:
            return summarize_stored(s, dataclasses.replace(query, include_deleted=False))

    def ensure_totals(self) -> bool:
        """Build the monthly totals if they are missing or were built for another zone; True if rebuilt.

        Once after the upgrade that added them (about one GROUP BY pass over the log), or
        after the desk's time zone setting changed; the triggers keep them current after."""
        with self._db.session() as s:
            if not monthly_totals.needs_rebuild(s):
                return False
        self._write(lambda s: monthly_totals.rebuild(s) if monthly_totals.needs_rebuild(s) else 0)
        return True

    def rebuild_totals(self, *, then: InTransaction | None = None) -> int:
        """Recompute the monthly totals from the sessions (a repair; the count of total rows)."""
        return self._write(monthly_totals.rebuild, then)

    def summarize(self, query: SessionQuery = SessionQuery()) -> KpiSummary:
        """Every KPI of ``query``'s sessions, aggregated in the database."""
        self.ensure_totals()
        with self._db.session() as s:
            return sql_kpi.summarize(s, query)

    def scope(self, query: SessionQuery = SessionQuery()) -> "StoredSessions":
        """``query``'s sessions left in the database; every :mod:`dxdesk.support.kpi` function accepts it."""
        self.ensure_totals()
        return StoredSessions(self._db.session, query, self._db.desk_id)

    def follow_ups_due(self) -> builtins.list[SupportSession]:
        stmt = (
            select(m.SupportSession)
            .where(m.SupportSession.follow_up_needed.is_(True), m.SupportSession.follow_up_closed_at.is_(None),
                   m.SupportSession.deleted_at.is_(None))
            .order_by(m.SupportSession.started_at, m.SupportSession.id)
        )
        with self._db.session() as s:
            names = desk_names(s)
            return [to_session(r, self._db.desk_id, names) for r in s.scalars(stmt)]

    def close_follow_up(self, session_id: str, *, by: str = "", now: datetime | None = None,
                        then: InTransaction | None = None) -> SupportSession:
        now = now or local_now()
        return self._modify(session_id, "follow_up_closed", by, lambda before: closed_follow_up(before, now), False,
                            now, then)


def _stream(open_session: Callable[[], ContextManager[Session]], query: SessionQuery,
            own_desk: str | None = None, *extra: Any) -> Iterator[SupportSession]:
    # Plain column rows, not ORM objects: no identity map to fill and empty, half the time per row.
    stmt = (select(*m.SupportSession.__table__.columns).where(*sql_kpi.session_conditions(query), *extra)
            .order_by(m.SupportSession.started_at, m.SupportSession.id))
    with open_session() as s:
        names = desk_names(s)
        for row in s.execute(stmt.execution_options(yield_per=_STREAM_BATCH)):
            yield to_session(row, own_desk, names)


def _select(query: SessionQuery, newest_first: bool = False) -> Select[m.SupportSession]:
    order = (m.SupportSession.started_at, m.SupportSession.id)
    return (select(m.SupportSession).where(*sql_kpi.session_conditions(query))
            .order_by(*(c.desc() for c in order) if newest_first else order))


def _existing(session: Session, ids: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(ids), _ID_CHUNK):
        chunk = ids[i : i + _ID_CHUNK]
        found.update(session.scalars(select(m.SupportSession.id).where(m.SupportSession.id.in_(chunk))))
    return found


class StoredSessions:
    """A :class:`dxdesk.support.kpi.StoredScope`: ``query``'s sessions left in a database, summarised once.

    ``open_session`` is any context manager giving a read session (the desk's
    ``Database.session``, or a plain one on a server engine)."""

    def __init__(self, open_session: Callable[[], ContextManager[Session]], query: SessionQuery,
                 own_desk: str | None = None) -> None:
        self._open = open_session
        self._own_desk = own_desk
        self.query = dataclasses.replace(query, include_deleted=False)  # deleted sessions never count
        self._summary: KpiSummary | None = None

    def kpi_summary(self) -> KpiSummary:
        if self._summary is None:
            with self._open() as s:
                self._summary = sql_kpi.summarize(s, self.query)
        return self._summary

    def __iter__(self) -> Iterator[SupportSession]:
        """The sessions themselves, streamed (a CSV export of the same scope)."""
        return _stream(self._open, self.query, self._own_desk)

    def csv_rows(self, catalog: Catalog, language: str = "ja") -> Iterator[builtins.list[str]]:
        """The sessions CSV's rows straight from SQL (:class:`dxdesk.support.csvio.CsvRowSource`)."""
        from dxdesk.support.sql_export import csv_rows

        return csv_rows(self._open, self.query, catalog, language)

    def understaffed_sessions(self) -> builtins.list[SupportSession]:
        stmt = _select(self.query).where(sql_kpi.understaffed_condition())
        with self._open() as s:
            names = desk_names(s)
            return [to_session(r, self._own_desk, names) for r in s.scalars(stmt)]
