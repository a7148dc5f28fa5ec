"""Where support sessions live: a small protocol and an in-memory implementation.

Two implementations share the rules below: :class:`InMemoryRepository` (tests, pure
KPI work, reports from a CSV) and ``dxdesk.support.sql_repository.SqlRepository``
over ``dxdesk.store``. Screens and the CLI only see :class:`SupportRepository`.

Rules common to both:

* records are soft-deleted (``deleted=True``) and hidden from lists and KPIs;
* only *recent* records may be edited or deleted (``edit_window``, default 31 days
  after the session), so a closed month's report does not change behind the
  back of whoever printed it;
* closing a follow-up stamps ``follow_up_closed_at`` and erases the contact;
* every change calls ``on_change(ChangeEvent)``: the hook that dxdesk/security
  will use to write audited deletes. Events carry redacted records (no contact).
"""
from __future__ import annotations

import builtins  # a method named list shadows the builtin in annotations after it
import dataclasses
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable, Iterable, Literal, Protocol, Sequence

from dxdesk.errors import DxError
from dxdesk.i18n import Msg
from dxdesk.support.catalog import Catalog, Topic, Venue
from dxdesk.support.model import SessionValidationError, SupportSession, check, local_now, validate_topic

DEFAULT_EDIT_WINDOW = timedelta(days=31)

ChangeKind = Literal["added", "updated", "deleted", "follow_up_closed", "imported"]


@dataclass(frozen=True)
class ChangeEvent:
    kind: ChangeKind
    session_id: str
    by: str  # clerk or supporter who made the change ("" when unknown, e.g. an import)
    at: datetime
    before: SupportSession | None  # redacted
    after: SupportSession | None  # redacted


ChangeCallback = Callable[[ChangeEvent], None]


@dataclass(frozen=True)
class SessionQuery:
    """Filters for listing; ``None`` means "any". Dates are inclusive local calendar days."""

    date_from: date | None = None
    date_to: date | None = None
    venue: str | None = None
    venue_type: str | None = None
    topic: str | None = None
    outcome: str | None = None
    include_deleted: bool = False

    def matches(self, s: SupportSession) -> bool:
        day = s.started_at.date()
        return (
            (self.include_deleted or not s.deleted)
            and (self.date_from is None or day >= self.date_from)
            and (self.date_to is None or day <= self.date_to)
            and (self.venue is None or s.venue == self.venue)
            and (self.venue_type is None or s.venue_type == self.venue_type)
            and (self.topic is None or self.topic in s.topics)
            and (self.outcome is None or s.outcome == self.outcome)
        )


class RepositoryError(DxError):
    """A request the repository refuses; ``message`` says why in ja/en."""

    def __init__(self, message: Msg):
        super().__init__(message)


class SessionNotFound(RepositoryError):
    pass


class EditWindowClosed(RepositoryError):
    pass


@dataclass(frozen=True)
class AddManyResult:
    added: tuple[str, ...]
    already_present: tuple[str, ...]


class SupportRepository(Protocol):
    """What screens, reports and the CLI need from storage."""

    def catalog(self) -> Catalog: ...
    def save_topic(self, topic: Topic) -> Catalog: ...
    def save_venue(self, venue: Venue) -> Catalog: ...

    def add(self, session: SupportSession, *, by: str = "") -> SupportSession: ...
    def add_many(self, sessions: Sequence[SupportSession], *, by: str = "") -> AddManyResult: ...
    def get(self, session_id: str) -> SupportSession | None: ...
    def existing_ids(self, ids: Iterable[str]) -> set[str]: ...
    def update(self, session: SupportSession, *, by: str = "", now: datetime | None = None) -> SupportSession: ...
    def delete(self, session_id: str, *, by: str = "", now: datetime | None = None) -> SupportSession: ...
    def list(self, query: SessionQuery = SessionQuery(), *, limit: int | None = None,
             offset: int = 0, newest_first: bool = False) -> list[SupportSession]: ...
    def count(self, query: SessionQuery = SessionQuery()) -> int: ...
    def follow_ups_due(self) -> builtins.list[SupportSession]: ...
    def close_follow_up(self, session_id: str, *, by: str = "", now: datetime | None = None) -> SupportSession: ...


def not_found(session_id: str) -> SessionNotFound:
    return SessionNotFound(Msg(f"記録 {session_id} が見つかりません。", f"no support session with id {session_id}."))


def ensure_editable(session: SupportSession, now: datetime, window: timedelta) -> None:
    """Refuse edits to old or deleted records (see module docstring)."""
    if session.deleted:
        raise EditWindowClosed(Msg("削除済みの記録は編集できません。", f"session {session.id} is deleted."))
    if now - session.started_at > window:
        raise EditWindowClosed(
            Msg(
                f"{window.days}日より前の記録は編集・削除できません。",
                f"session {session.id} is older than {window.days} days and can no longer be edited or deleted.",
            )
        )


def is_editable(session: SupportSession, now: datetime | None = None, window: timedelta = DEFAULT_EDIT_WINDOW) -> bool:
    """For screens: whether to offer edit/delete on a row (the repository enforces it anyway)."""
    try:
        ensure_editable(session, now or local_now(), window)
    except EditWindowClosed:
        return False
    return True


def check_update(before: SupportSession, after: SupportSession) -> None:
    """An edit may not delete/undelete or reopen a closed follow-up: those have their own operations."""
    if after.deleted != before.deleted:
        raise RepositoryError(Msg("削除は「削除」操作で行ってください。", "use delete() to delete a session."))
    if before.follow_up_closed_at is not None and after.follow_up_closed_at is None:
        raise RepositoryError(
            Msg("完了したフォローアップは再開できません。新しい記録を作成してください。",
                "a closed follow-up cannot be reopened; log a new session instead.")
        )


def sort_key(s: SupportSession) -> tuple[datetime, str]:
    return (s.started_at, s.id)


def closed_follow_up(session: SupportSession, now: datetime) -> SupportSession:
    if not session.follow_up_needed:
        raise RepositoryError(
            Msg("この記録にはフォローアップがありません。", f"session {session.id} has no follow-up to close.")
        )
    if session.follow_up_closed_at is not None:
        return session
    return dataclasses.replace(session, follow_up_closed_at=now, follow_up_contact=None)


class InMemoryRepository:
    """Thread-safe, dict-backed :class:`SupportRepository` (nothing survives the process)."""

    def __init__(
        self,
        sessions: Iterable[SupportSession] = (),
        *,
        catalog: Catalog | None = None,
        on_change: ChangeCallback | None = None,
        edit_window: timedelta = DEFAULT_EDIT_WINDOW,
        validate: bool = True,
    ) -> None:
        self._catalog = catalog or Catalog.seeded()
        self._sessions: dict[str, SupportSession] = {}
        self._lock = threading.Lock()
        self._on_change = on_change
        self._edit_window = edit_window
        self._validate = validate
        for s in sessions:
            self._sessions[s.id] = self._checked(s)

    def _checked(self, s: SupportSession) -> SupportSession:
        return check(s, self._catalog) if self._validate else s

    def _emit(self, kind: ChangeKind, sid: str, by: str, before: SupportSession | None, after: SupportSession | None) -> None:
        if self._on_change is not None:
            self._on_change(
                ChangeEvent(kind, sid, by, local_now(), before and before.redacted(), after and after.redacted())
            )

    # --- catalog ---------------------------------------------------------
    def catalog(self) -> Catalog:
        return self._catalog

    def save_topic(self, topic: Topic) -> Catalog:
        errors = validate_topic(topic, self._catalog, is_new=self._catalog.topic(topic.code) is None)
        if errors:
            raise SessionValidationError(errors)
        with self._lock:
            self._catalog = self._catalog.with_topic(topic)
            return self._catalog

    def save_venue(self, venue: Venue) -> Catalog:
        with self._lock:
            self._catalog = self._catalog.with_venue(venue)
            return self._catalog

    # --- sessions --------------------------------------------------------
    def add(self, session: SupportSession, *, by: str = "") -> SupportSession:
        session = self._checked(session)
        with self._lock:
            if session.id in self._sessions:
                raise RepositoryError(Msg("同じIDの記録が既にあります。", f"session {session.id} already exists."))
            self._sessions[session.id] = session
        self._emit("added", session.id, by, None, session)
        return session

    def add_many(self, sessions: Sequence[SupportSession], *, by: str = "") -> AddManyResult:
        checked = [self._checked(s) for s in sessions]  # validate all before storing any
        added: list[str] = []
        present: list[str] = []
        with self._lock:
            for s in checked:
                if s.id in self._sessions:
                    present.append(s.id)
                else:
                    self._sessions[s.id] = s
                    added.append(s.id)
        for sid in added:
            self._emit("imported", sid, by, None, self._sessions[sid])
        return AddManyResult(tuple(added), tuple(present))

    def get(self, session_id: str) -> SupportSession | None:
        return self._sessions.get(session_id)

    def existing_ids(self, ids: Iterable[str]) -> set[str]:
        return {i for i in ids if i in self._sessions}

    def update(self, session: SupportSession, *, by: str = "", now: datetime | None = None) -> SupportSession:
        session = self._checked(session)
        now = now or local_now()
        with self._lock:
            before = self._sessions.get(session.id)
            if before is None:
                raise not_found(session.id)
            ensure_editable(before, now, self._edit_window)
            check_update(before, session)
            self._sessions[session.id] = session
        self._emit("updated", session.id, by, before, session)
        return session

    def delete(self, session_id: str, *, by: str = "", now: datetime | None = None) -> SupportSession:
        now = now or local_now()
        with self._lock:
            before = self._sessions.get(session_id)
            if before is None:
                raise not_found(session_id)
            ensure_editable(before, now, self._edit_window)
            # A deleted record keeps no contact: nobody can follow it up any more.
            after = dataclasses.replace(before, deleted=True, follow_up_contact=None)
            self._sessions[session_id] = after
        self._emit("deleted", session_id, by, before, after)
        return after

    def list(self, query: SessionQuery = SessionQuery(), *, limit: int | None = None,
             offset: int = 0, newest_first: bool = False) -> list[SupportSession]:
        found = sorted((s for s in self._sessions.values() if query.matches(s)), key=sort_key,
                       reverse=newest_first)
        return found[offset:] if limit is None else found[offset:offset + limit]

    def count(self, query: SessionQuery = SessionQuery()) -> int:
        return sum(1 for s in self._sessions.values() if query.matches(s))

    def follow_ups_due(self) -> builtins.list[SupportSession]:
        return sorted((s for s in self._sessions.values() if s.follow_up_open), key=sort_key)

    def close_follow_up(self, session_id: str, *, by: str = "", now: datetime | None = None) -> SupportSession:
        now = now or local_now()
        with self._lock:
            before = self._sessions.get(session_id)
            if before is None:
                raise not_found(session_id)
            after = closed_follow_up(before, now)
            self._sessions[session_id] = after
        if after is not before:
            self._emit("follow_up_closed", session_id, by, before, after)
        return after
