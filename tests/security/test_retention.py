from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from dxdesk.config import SecuritySettings
from dxdesk.security.audit import AuditEntry, EventType, Item
from dxdesk.security.auditview import AuditService
from dxdesk.security.permissions import PermissionDeniedError, Role
from dxdesk.security.retention import RetentionService
from dxdesk.store.models import AuditEvent, SupportSession, Visit

from .conftest import raw_connection

NUMBER = "123456789018"


@pytest.fixture
def retention(db, audit, clock):
    return RetentionService(db, audit, SecuritySettings(personal_data_retention_days=365, audit_retention_years=5),
                            clock=clock)


def _seed(db, clock):
    now = clock.now

    def job(orm):
        for days in (400, 10):
            orm.add(Visit(started_at=now - timedelta(days=days), procedures=["juminhyo"],
                          resident_name="山田 太郎", address="千代田1-1", birth_date="1950-01-01", my_number=NUMBER))
            orm.add(SupportSession(started_at=now - timedelta(days=days), venue="hall", venue_type="community_hall",
                                   device="iphone", age_band="70-74", outcome="partly", follow_up_needed=True,
                                   follow_up_contact="090-1234-5678"))
    db.writer.run(job)


def test_dry_run_changes_nothing(db, retention, sessions, clock):
    _seed(db, clock)
    report = retention.purge(sessions[Role.ADMINISTRATOR], dry_run=True)
    assert (report.visits_cleared, report.support_contacts_cleared) == (1, 1)
    assert "would clear" in report.summary()
    with db.session() as orm:
        assert orm.scalars(select(Visit.my_number)).all() == [NUMBER, NUMBER]


def test_purge_clears_old_personal_fields_only(db, retention, sessions, clock):
    _seed(db, clock)
    report = retention.purge(sessions[Role.ADMINISTRATOR])
    assert (report.visits_cleared, report.support_contacts_cleared, report.audit_events_removed) == (1, 1, 0)
    with db.session() as orm:
        visits = orm.scalars(select(Visit).order_by(Visit.started_at)).all()
        old, recent = visits
        assert (old.resident_name, old.address, old.birth_date, old.my_number) == (None, None, None, None)
        assert old.procedures == ["juminhyo"]  # statistics survive
        assert (recent.resident_name, recent.my_number) == ("山田 太郎", NUMBER)
        contacts = orm.scalars(select(SupportSession.follow_up_contact).order_by(SupportSession.started_at)).all()
        assert contacts == [None, "090-1234-5678"]
        purge = orm.scalars(select(AuditEvent).where(AuditEvent.event_type == "data.purge")).one()
        assert purge.details["visits_cleared"] == 1
    # Idempotent: nothing left to clear.
    assert retention.purge(sessions[Role.ADMINISTRATOR]).visits_cleared == 0


@pytest.mark.parametrize("role", [Role.CLERK, Role.SUPPORTER, Role.SUPERVISOR])
def test_only_administrators_purge(retention, sessions, role):
    with pytest.raises(PermissionDeniedError):
        retention.purge(sessions[role])


def test_old_audit_events_go_as_a_prefix_and_the_chain_still_verifies(db, audit, retention, sessions, clock):
    supervisor, admin = sessions[Role.SUPERVISOR], sessions[Role.ADMINISTRATOR]
    service = AuditService(db, audit)
    before = len(service.list_events(supervisor))  # set-up events, at the fixture's clock time
    for _ in range(4):
        clock.advance(days=200)
        audit.append(AuditEntry(EventType.CARD_READ, sessions[Role.CLERK].clerk_id, items=(Item.BASIC4,)))
    # Reads happened at +200, +400, +600, +800 days; move to +2126 days so the 5-year cutoff falls near +300:
    # the set-up events and the first read are then older than 5 years, the others are not.
    clock.advance(days=2126 - 800)
    report = retention.purge(admin)
    assert report.audit_events_removed == before + 1
    assert report.audit_removed_through_seq == before + 1
    rows = service.list_events(supervisor)
    assert rows[0].record.seq == before + 2
    checkpoint = [r.record for r in rows if r.record.event_type == "audit.checkpoint"]
    assert checkpoint and checkpoint[0].details["removed_through_seq"] == before + 1
    assert all(r.ok for r in service.verify(supervisor).values())
    # The append-only triggers are back after the purge.
    import sqlite3
    conn = raw_connection(db)
    with pytest.raises(sqlite3.DatabaseError):
        conn.execute("DELETE FROM audit_events")
    conn.close()
    # New events keep chaining, and a second purge later still verifies.
    clock.advance(days=400)
    retention.purge(admin)
    assert all(r.ok for r in service.verify(supervisor).values())


def test_a_forged_prefix_removal_is_detected(db, audit, retention, sessions, clock):
    """Deleting old rows without the checkpoint (by hand) must not verify."""
    from .conftest import drop_audit_triggers

    conn = raw_connection(db)
    drop_audit_triggers(conn)
    conn.execute("DELETE FROM audit_events WHERE seq <= 2")
    conn.close()
    results = AuditService(db, audit).verify(sessions[Role.SUPERVISOR])
    [result] = results.values()
    assert not result.ok and result.first_bad_seq == 3
