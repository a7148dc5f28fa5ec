"""One owner per record (#13 item 5): only the creating desk changes a record; every desk converges."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from dxdesk.store.models import SupportSession as Row
from dxdesk.store.server import parse_server_url
from dxdesk.store.session import NotOwnerError
from dxdesk.store.sync import SyncEngine
from dxdesk.support import kpi
from dxdesk.support.model import SupportSession, local_now
from dxdesk.support.repository import SessionQuery
from dxdesk.support.sql_repository import SqlRepository

from .conftest import desk_settings

pytestmark = pytest.mark.postgres


def _desk(make_db, pg_url, name, desk_name):
    settings = desk_settings(server_url=pg_url, lab_no_tls=True)
    db = make_db(name, settings=settings)
    return db, SyncEngine(db, settings.store, desk_name=desk_name)


def _monthly(repo):
    return kpi.sessions_per_month(kpi.active(repo.list(SessionQuery(include_deleted=True))))


def test_issue_scenario_a_closes_follow_up_b_deletes_offline_and_all_agree(make_db, pg_url):
    db_a, sync_a = _desk(make_db, pg_url, "desk-a", "本庁舎 窓口1")
    db_b, sync_b = _desk(make_db, pg_url, "desk-b", "中央公民館")
    repo_a = SqlRepository(db_a)
    session = repo_a.add(SupportSession(
        id=str(uuid.uuid4()), started_at=local_now() - timedelta(hours=1), venue="hall",
        venue_type="community_hall", topics=("line",), device="iphone", age_band="70-74", attendees=2, helpers=1,
        duration_minutes=30, outcome="referred", follow_up_needed=True, follow_up_contact="090-1234-5678",
        logged_by="a-clerk"))
    sync_a.run_once()
    sync_b.run_once()  # B now lists A's session (for town-wide reports), without the contact
    repo_b = SqlRepository(db_b)
    [seen] = repo_b.list()
    assert seen.id == session.id and seen.other_desk == "本庁舎 窓口1" and seen.follow_up_contact is None
    assert repo_a.list()[0].other_desk == ""

    # Offline: A closes the follow-up; B tries to delete the same session and is refused with the owner named.
    repo_a.close_follow_up(session.id)
    with pytest.raises(NotOwnerError) as refused:
        repo_b.delete(session.id)
    assert "本庁舎 窓口1" in refused.value.message.ja and "read-only" in str(refused.value)
    with pytest.raises(NotOwnerError):  # editing it is refused the same way
        repo_b.update(dataclasses.replace(seen, attendees=5))

    def core_delete(s):  # and the core refuses a direct change, whatever the caller
        s.get(Row, session.id).deleted_at = local_now()
    with pytest.raises(NotOwnerError):
        db_b.writer.run(core_delete)
    assert db_b.pending_count() == 0

    for engine in (sync_b, sync_a, sync_b):
        engine.run_once()

    server = create_engine(parse_server_url(pg_url))
    with server.connect() as conn:
        closed, deleted = conn.execute(text("SELECT follow_up_closed_at IS NOT NULL, deleted_at IS NOT NULL "
                                            "FROM support_sessions WHERE id = :id"), {"id": session.id}).one()
    server.dispose()
    assert (closed, deleted) == (True, False)
    a, b = repo_a.get(session.id), repo_b.get(session.id)
    assert a is not None and b is not None
    assert (a.follow_up_open, a.deleted) == (b.follow_up_open, b.deleted) == (False, False)
    assert _monthly(repo_a) == _monthly(repo_b) and sum(_monthly(repo_a).values()) == 1
