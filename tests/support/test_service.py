"""SupportService: every role is refused what it may not do at the service layer, and changes are audited."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone

import pytest

from dxdesk.security.audit import AuditLog, EventType, load_records
from dxdesk.security.permissions import PermissionDeniedError, Role, Session
from dxdesk.store.database import open_database
from dxdesk.support import kpi
from dxdesk.support.catalog import Topic, Venue
from dxdesk.support.report import ReportOptions
from dxdesk.support.repository import SessionQuery
from dxdesk.support.service import SupportService
from dxdesk.support.sql_repository import SqlRepository

from .conftest import CONTACT, sid

NOW = datetime(2026, 6, 20, 12, 0)  # local wall clock: the editable window starts on 2026-05-20


def session_for(role: Role) -> Session:
    return Session(f"id-{role.value}", role.value, role.value, role, datetime(2026, 6, 20, tzinfo=timezone.utc))


@pytest.fixture
def db():
    database = open_database()
    yield database
    database.close()


@pytest.fixture
def repo(db, dataset):
    repository = SqlRepository(db)
    repository.add_many(dataset, by="seed")
    return repository


@pytest.fixture
def service(db, repo):
    audit = AuditLog(db)

    def make(role: Role) -> SupportService:
        return SupportService(repo, session_for(role), audit, clock=lambda: NOW)

    return make


def events(db, event_type: EventType):
    with db.session() as orm:
        return load_records(orm, event_type=event_type.value)


def test_clerk_and_administrator_may_not_touch_the_support_log(service, dataset, tmp_path):
    for role in (Role.CLERK, Role.ADMINISTRATOR):
        svc = service(role)
        with pytest.raises(PermissionDeniedError):
            svc.list()
        if role is Role.CLERK:
            with pytest.raises(PermissionDeniedError):
                svc.catalog()
        with pytest.raises(PermissionDeniedError):
            svc.add(dataclasses.replace(dataset[0], id="00000000-0000-4000-8000-000000000001"))
        with pytest.raises(PermissionDeniedError):
            svc.delete(sid(12), now=NOW)
        with pytest.raises(PermissionDeniedError):
            svc.write_report_pdf(tmp_path / "r.pdf", [], svc.repository.catalog(),
                                 ReportOptions(period=(date(2026, 4, 1), date(2026, 4, 30)), municipality="町"))
    assert not (tmp_path / "r.pdf").exists()


def test_supporter_logs_edits_and_deletes_recent_sessions_with_audit(db, service, repo):
    svc = service(Role.SUPPORTER)
    recent = svc.get(sid(12))  # 2026-05-21: inside the window
    assert recent is not None
    svc.update(dataclasses.replace(recent, duration_minutes=25), by="ボランティア", now=NOW)
    svc.delete(sid(12), by="ボランティア", now=NOW)
    svc.close_follow_up(sid(6), by="ボランティア", now=NOW)
    svc.save_venue(Venue("新しい集会所", "community_hall"))
    changes = events(db, EventType.SUPPORT_CHANGE)
    assert [(e.details["kind"], e.details.get("session_id")) for e in changes] == [
        ("updated", sid(12)), ("deleted", sid(12)), ("follow_up_closed", sid(6))]
    assert all(e.actor == "id-supporter" for e in changes)
    # Only ids and kinds: nothing a resident said, no contact.
    text = repr([e.details for e in changes])
    assert CONTACT not in text and "スタンプ" not in text
    assert repo.get(sid(12)).deleted


def test_supporter_sees_only_the_editable_window(service):
    svc = service(Role.SUPPORTER)
    visible = svc.list()
    assert visible and all(s.started_at.date() >= date(2026, 5, 20) for s in visible)
    assert sid(1) not in {s.id for s in visible}
    assert svc.get(sid(1)) is None  # April: outside the window
    assert svc.list(SessionQuery(date_from=date(2026, 4, 1), date_to=date(2026, 4, 30))) == []
    # The supervisor sees the whole history.
    assert sid(1) in {s.id for s in service(Role.SUPERVISOR).list()}


def test_supporter_may_not_report_or_export_and_the_refusal_is_audited(db, service, tmp_path):
    svc = service(Role.SUPPORTER)
    sessions = svc.list()
    options = ReportOptions(period=(date(2026, 5, 20), date(2026, 6, 20)), municipality="サンプル町")
    with pytest.raises(PermissionDeniedError) as info:
        svc.write_report_pdf(tmp_path / "r.pdf", sessions, svc.catalog(), options)
    assert info.value.message.ja  # screens show it like any other core error
    with pytest.raises(PermissionDeniedError):
        svc.write_csv_pair(tmp_path / "r.csv", sessions, kpi.summarize(sessions), svc.catalog())
    assert not (tmp_path / "r.pdf").exists() and not (tmp_path / "r.csv").exists()
    denied = [(e.event_type, e.result, e.details["kind"]) for e in events(db, EventType.REPORT) + events(db, EventType.EXPORT)]
    assert denied == [("report.create", "denied", "support_pdf"), ("data.export", "denied", "support_csv")]
    with pytest.raises(PermissionDeniedError):  # the topic list belongs to the catalogue administrator
        svc.save_topic(Topic("bousai_app", "防災アプリ", "Disaster app"))


def test_supervisor_reports_and_exports_are_audited(db, service, tmp_path):
    svc = service(Role.SUPERVISOR)
    sessions = svc.list(SessionQuery(date_from=date(2026, 4, 1), date_to=date(2026, 4, 30)))
    options = ReportOptions(period=(date(2026, 4, 1), date(2026, 4, 30)), municipality="サンプル町")
    pdf = svc.write_report_pdf(tmp_path / "r.pdf", sessions, svc.catalog(), options)
    csvs = svc.write_csv_pair(tmp_path / "r.csv", sessions, kpi.summarize(sessions), svc.catalog())
    assert pdf.exists() and all(p.exists() for p in csvs)
    (report,) = events(db, EventType.REPORT)
    assert report.actor == "id-supervisor" and report.details == {
        "kind": "support_pdf", "sessions": 4, "period_from": "2026-04-01", "period_to": "2026-04-30",
        "venue_filter": False}
    (export,) = events(db, EventType.EXPORT)
    assert export.details == {"kind": "support_csv", "rows": 4, "files": 2}
    # Supervisors read; they do not edit the volunteers' records.
    with pytest.raises(PermissionDeniedError):
        svc.delete(sid(12), now=NOW)


def test_import_is_one_audit_event(db, service, dataset):
    svc = service(Role.SUPPORTER)
    fresh = [dataclasses.replace(s, id=f"00000000-0000-4000-8000-00000000000{i}") for i, s in enumerate(dataset[:3])]
    result = svc.add_many(fresh + [dataset[3]], by="import")
    assert len(result.added) == 3 and len(result.already_present) == 1
    (event,) = events(db, EventType.SUPPORT_CHANGE)
    assert event.details == {"kind": "imported", "added": 3, "already_present": 1}


def test_a_change_and_its_audit_event_commit_together(db, service, repo, monkeypatch):
    """The audit event is written in the change's own transaction: if it cannot be written, nothing changes."""
    from dxdesk.security.audit import MSG_PRIVACY, AuditError

    svc = service(Role.SUPPORTER)
    before = svc.get(sid(12))

    def refuse(_orm, _entry):
        raise AuditError(MSG_PRIVACY.format(field="details"))

    monkeypatch.setattr(svc.audit, "append_in", refuse)
    with pytest.raises(AuditError):
        svc.update(dataclasses.replace(before, duration_minutes=25), by="ボランティア", now=NOW)
    with pytest.raises(AuditError):
        svc.delete(sid(12), by="ボランティア", now=NOW)
    with pytest.raises(AuditError):
        svc.close_follow_up(sid(6), by="ボランティア", now=NOW)
    assert repo.get(sid(12)) == before and not repo.get(sid(12)).deleted
    assert repo.get(sid(6)).follow_up_closed_at is None
    assert events(db, EventType.SUPPORT_CHANGE) == []
