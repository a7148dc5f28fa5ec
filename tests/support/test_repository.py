"""Both repository implementations against the same behaviour (the protocol's contract)."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from dxdesk.support.catalog import Topic, Venue
from dxdesk.support.model import SessionValidationError
from dxdesk.support.repository import (
    EditWindowClosed,
    InMemoryRepository,
    RepositoryError,
    is_editable,
    SessionNotFound,
    SessionQuery,
)

from .conftest import CONTACT, sid  # noqa: E402 (test helpers)


@pytest.fixture(params=["memory", "sql"])
def make_repo(request):
    """Factory: make_repo(sessions, on_change=...) -> repository of the parametrised kind."""
    opened = []

    def make(sessions=(), **kwargs):
        if request.param == "memory":
            return InMemoryRepository(sessions, **kwargs)
        from dxdesk.store.database import open_database
        from dxdesk.support.sql_repository import SqlRepository

        db = open_database()
        opened.append(db)
        repo = SqlRepository(db, **kwargs)
        if sessions:
            repo.add_many(list(sessions))
        return repo

    yield make
    for db in opened:
        db.close()


def test_add_get_and_round_trip_values(make_repo, dataset):
    repo = make_repo()
    live = [s for s in dataset if not s.deleted]
    result = repo.add_many(live)
    assert len(result.added) == 12 and result.already_present == ()
    for s in live:
        got = repo.get(s.id)
        assert got == s  # every compared field, times in local wall-clock
        assert got.follow_up_contact == s.follow_up_contact  # the encrypted column decrypts
    assert repo.get("00000000-0000-4000-8000-00000000dead") is None
    assert repo.add_many(live).added == ()  # idempotent


def test_add_rejects_duplicates_and_invalid(make_repo, dataset):
    repo = make_repo()
    repo.add(dataset[0])
    with pytest.raises(RepositoryError):
        repo.add(dataset[0])
    with pytest.raises(SessionValidationError):
        repo.add(dataclasses.replace(dataset[1], topics=("karaoke",)))
    assert [s.id for s in repo.list()] == [dataset[0].id]


def test_list_filters(make_repo, dataset):
    repo = make_repo(dataset)
    ids = lambda q: [s.id for s in repo.list(q)]  # noqa: E731
    assert len(repo.list()) == 12  # deleted #13 hidden
    assert len(repo.list(SessionQuery(include_deleted=True))) == 13
    assert ids(SessionQuery(date_from=date(2026, 5, 1), date_to=date(2026, 5, 31))) == [sid(5), sid(6), sid(7), sid(12)]
    assert ids(SessionQuery(venue="本庁舎窓口")) == [sid(1), sid(2), sid(10), sid(9)]  # oldest first
    assert ids(SessionQuery(topic="line")) == [sid(3), sid(4), sid(12), sid(11)]
    assert ids(SessionQuery(outcome="referred")) == [sid(6)]
    assert ids(SessionQuery(venue="中央公民館", topic="line", date_to=date(2026, 4, 30))) == [sid(3), sid(4)]
    # Inclusive end day: a session at 16:00 on the last day is in.
    assert ids(SessionQuery(date_from=date(2027, 3, 31), date_to=date(2027, 3, 31))) == [sid(9)]


def test_follow_ups_and_closing_erases_contact(make_repo, dataset):
    events = []
    repo = make_repo(dataset, on_change=events.append)
    assert [s.id for s in repo.follow_ups_due()] == [sid(6), sid(7)]
    events.clear()
    closed = repo.close_follow_up(sid(6), by="clerk1", now=datetime(2026, 5, 9, 10, 0))
    assert closed.follow_up_closed_at == datetime(2026, 5, 9, 10, 0)
    assert closed.follow_up_contact is None and repo.get(sid(6)).follow_up_contact is None
    assert [s.id for s in repo.follow_ups_due()] == [sid(7)]
    assert [(e.kind, e.session_id, e.by) for e in events] == [("follow_up_closed", sid(6), "clerk1")]
    # Events never carry the contact, even the "before" state that had one.
    assert events[0].before.follow_up_contact is None
    repo.close_follow_up(sid(6))  # closing twice is harmless
    assert len(events) == 1
    with pytest.raises(RepositoryError):
        repo.close_follow_up(sid(1))  # no follow-up to close


def test_soft_delete_within_edit_window(make_repo, dataset):
    events = []
    repo = make_repo(dataset, on_change=events.append)
    events.clear()
    deleted = repo.delete(sid(6), by="clerk1", now=datetime(2026, 5, 10))
    assert deleted.deleted and deleted.follow_up_contact is None
    assert sid(6) not in [s.id for s in repo.list()]
    assert repo.get(sid(6)).deleted  # kept, not erased: sync and audit still see it
    assert [s.id for s in repo.follow_ups_due()] == [sid(7)]
    assert events[0].kind == "deleted" and events[0].by == "clerk1" and events[0].after.deleted
    with pytest.raises(EditWindowClosed) as info:
        repo.delete(sid(1), now=datetime(2026, 6, 30))  # 90 days later
    assert "older than 31 days" in str(info.value) and info.value.message.ja
    with pytest.raises(EditWindowClosed):
        repo.delete(sid(6), now=datetime(2026, 5, 10))  # already deleted
    with pytest.raises(SessionNotFound):
        repo.delete("00000000-0000-4000-8000-00000000dead")


def test_edit_recent_entry(make_repo, dataset):
    events = []
    repo = make_repo(dataset, on_change=events.append)
    edited = dataclasses.replace(repo.get(sid(11)), attendees=5, helpers=2, topics=("line", "maps"))
    repo.update(edited, by="clerk2", now=datetime(2026, 7, 1))
    assert repo.get(sid(11)).attendees == 5 and repo.get(sid(11)).topics == ("line", "maps")
    assert events[-1].kind == "updated" and events[-1].before.attendees == 4
    with pytest.raises(EditWindowClosed):
        repo.update(dataclasses.replace(repo.get(sid(1)), note="late fix"), now=datetime(2026, 7, 1))
    with pytest.raises(SessionValidationError):
        repo.update(dataclasses.replace(edited, attendees=0), now=datetime(2026, 7, 1))


def test_town_topics_and_venues(make_repo):
    repo = make_repo()
    catalog = repo.save_topic(Topic("bousai_app", "防災アプリ", "Disaster-prevention app"))
    assert catalog.topic("bousai_app").label_ja == "防災アプリ"
    assert catalog.topic_codes()[-1] == "bousai_app"
    retired = repo.save_topic(dataclasses.replace(catalog.topic("mynapoint"), active=False))
    assert "mynapoint" not in retired.topic_codes(active_only=True)
    assert "mynapoint" in retired.topic_codes()  # old records keep their label
    with pytest.raises(SessionValidationError):
        repo.save_topic(Topic("BAD", "x", "y"))
    repo.save_venue(Venue("北地区集会所", "community_hall"))
    assert repo.catalog().venue("北地区集会所") is not None


def test_sql_repository_keeps_contact_encrypted_on_disk(dataset):
    from sqlalchemy import text

    from dxdesk.store.database import open_database
    from dxdesk.support.sql_repository import SqlRepository

    db = open_database()
    try:
        SqlRepository(db).add_many(dataset)
        with db.engine.connect() as conn:
            raw = conn.execute(text("SELECT follow_up_contact FROM support_sessions WHERE id = :i"), {"i": sid(6)}).scalar()
        assert raw and CONTACT not in raw
    finally:
        db.close()


def test_update_cannot_delete_or_reopen(make_repo, dataset):
    repo = make_repo(dataset)
    with pytest.raises(RepositoryError, match="use delete"):
        repo.update(dataclasses.replace(repo.get(sid(11)), deleted=True), now=datetime(2026, 7, 1))
    with pytest.raises(RepositoryError, match="cannot be reopened"):
        repo.update(dataclasses.replace(repo.get(sid(10)), follow_up_closed_at=None), now=datetime(2026, 6, 20))
    assert not repo.get(sid(11)).deleted


def test_is_editable(dataset):
    s = dataset[0]  # 2026-04-01 10:00
    assert is_editable(s, datetime(2026, 5, 2, 10, 0))  # 31 days later: still editable
    assert not is_editable(s, datetime(2026, 5, 2, 10, 1))
    assert not is_editable(dataset[12], datetime(2026, 5, 23))  # deleted
