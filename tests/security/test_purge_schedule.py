"""Retention on a schedule: the daily background purge, as the "system" actor, driven by an injected clock."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from dxdesk.config import SecuritySettings
from dxdesk.security.permissions import Role
from dxdesk.security.purgeschedule import PurgeScheduler
from dxdesk.security.retention import RetentionService
from dxdesk.store.models import AuditEvent, Visit

NUMBER = "123456789018"


@pytest.fixture
def retention(db, audit, clock):
    return RetentionService(db, audit, SecuritySettings(personal_data_retention_days=30), clock=clock)


def _old_visit(db, clock, days: int) -> None:
    db.writer.run(lambda orm: orm.add(Visit(started_at=clock.now - timedelta(days=days), procedures=["tennyu"],
                                            resident_name="山田 太郎", my_number=NUMBER)))


def _purge_events(db):
    with db.session() as orm:
        return orm.scalars(select(AuditEvent).where(AuditEvent.event_type == "data.purge")
                           .order_by(AuditEvent.seq)).all()


def test_runs_once_a_day_as_system(db, retention, clock):
    scheduler = PurgeScheduler(retention)
    _old_visit(db, clock, days=40)
    assert retention.last_purge() is None and scheduler.due_in() <= timedelta(0)
    report = scheduler.run_if_due()
    assert report is not None and report.visits_cleared == 1
    assert retention.last_purge() == clock.now
    (event,) = _purge_events(db)
    assert event.actor == "system" and event.details["visits_cleared"] == 1
    with db.session() as orm:
        assert orm.scalars(select(Visit.my_number)).all() == [None]

    clock.advance(hours=23)
    _old_visit(db, clock, days=40)
    assert scheduler.run_if_due() is None  # not a day yet
    assert scheduler.due_in() == timedelta(hours=1)
    clock.advance(hours=1)
    assert scheduler.run_if_due().visits_cleared == 1
    assert len(_purge_events(db)) == 2


def test_a_clerk_purge_counts_as_the_days_purge(db, retention, clock, sessions):
    retention.purge(sessions[Role.ADMINISTRATOR])
    clock.advance(hours=2)
    assert PurgeScheduler(retention).run_if_due() is None
    assert [e.actor for e in _purge_events(db)] == [sessions[Role.ADMINISTRATOR].clerk_id]


def test_dry_run_is_not_a_purge(retention):
    retention.purge_as_system(dry_run=True)
    assert retention.last_purge() is None


def test_background_thread_purges_at_start_and_stops_promptly(db, retention, clock):
    _old_visit(db, clock, days=40)
    ran = threading.Event()
    reports = []

    def on_run(report):
        reports.append(report)
        ran.set()

    scheduler = PurgeScheduler(retention, on_run=on_run)
    scheduler.start()
    try:
        assert ran.wait(10), "the first purge runs as soon as the app starts when none was done for a day"
    finally:
        scheduler.stop(timeout=10)  # wakes the day-long wait
    assert scheduler._thread is None
    assert len(reports) == 1 and reports[0].visits_cleared == 1
    assert _purge_events(db)[0].actor == "system"
