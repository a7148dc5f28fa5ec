"""The 一覧 tab over a large stored log: the first page shows without loading the period's rows.

A real desk database with thousands of sessions in the month the list opens on, read
through a signed-in supervisor's SupportService over SqlRepository (as the window does).
Every row the list asks the service for is counted: opening shows one page (the count
label still tells the whole number, counted in SQL), scrolling to the end asks for the
next page, never for everything.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import support_ui_sample as sample

from dxdesk.config import Settings
from dxdesk.security.audit import AuditLog
from dxdesk.security.auth import AuthService
from dxdesk.security.permissions import Role
from dxdesk.store.database import open_database
from dxdesk.support.service import SupportService
from dxdesk.support.sql_repository import SqlRepository
from dxdesk.ui.support.list import PAGE_SIZE
from signin import CHEAP, sign_in_role
from tools.bench.support import synthetic_sessions

pytestmark = pytest.mark.ui

SESSIONS = 5_000  # in the month the list opens on (25 pages)


class CountingService:
    """The signed-in service, counting the rows each ``list`` call hands to the screen."""

    def __init__(self, service: SupportService) -> None:
        self._service = service
        self.rows_fetched = 0
        self.calls: list[dict[str, Any]] = []

    def list(self, query: Any = None, **kwargs: Any) -> list[Any]:
        rows = self._service.list(query, **kwargs)
        self.rows_fetched += len(rows)
        self.calls.append(kwargs)
        return rows

    def __getattr__(self, name: str) -> Any:
        return getattr(self._service, name)


@pytest.fixture
def large_service():
    db = open_database()
    try:
        repo = SqlRepository(db)
        month = sample.NOW.replace(day=1, hour=9, minute=0)
        sessions = [dataclasses.replace(s, started_at=month.replace(day=1 + i % 28, hour=9 + i % 8, minute=i % 60))
                    for i, s in enumerate(synthetic_sessions(SESSIONS, seed=17))]
        for start in range(0, SESSIONS, 2_500):
            repo.add_many(sessions[start:start + 2_500], by="bench")
        audit = AuditLog(db)
        supervisor = sign_in_role(AuthService(db, audit, Settings().security, params=CHEAP), Role.SUPERVISOR)
        yield CountingService(SupportService(repo, supervisor, audit))
    finally:
        db.close()


def test_the_list_opens_on_one_page_of_a_large_month_and_fetches_more_when_scrolled(qtbot, make_page,
                                                                                      large_service):
    large_service.rows_fetched = 0
    page = make_page(large_service)  # a supervisor's page opens on the list
    lst = page.list
    assert page.tabs.currentWidget() is lst
    qtbot.waitUntil(lambda: lst.count_label.text() != "" and not page.jobs.busy, timeout=30_000)
    assert lst.count_label.text() == f"該当 {SESSIONS} 件"  # the whole month, counted in the database
    assert lst.model.rowCount() == PAGE_SIZE and not lst.model.complete
    assert large_service.rows_fetched == PAGE_SIZE  # one page read, not the month's 5,000 rows
    shown = [lst.model.session_at(r).started_at for r in range(lst.model.rowCount())]
    assert shown == sorted(shown, reverse=True)  # newest first, ordered by the database

    lst.table.scrollToBottom()  # the view asks the model for more (canFetchMore/fetchMore)
    qtbot.waitUntil(lambda: lst.model.rowCount() == 2 * PAGE_SIZE, timeout=30_000)
    qtbot.waitUntil(lambda: not page.jobs.busy)
    assert large_service.rows_fetched == 2 * PAGE_SIZE
    assert large_service.calls[-1] == {"limit": PAGE_SIZE, "offset": PAGE_SIZE, "newest_first": True}
    ids = [lst.model.session_at(r).id for r in range(lst.model.rowCount())]
    assert len(set(ids)) == len(ids)  # the second page continues the first, no row twice
