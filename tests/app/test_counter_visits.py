"""CounterVisits: each store write checks the clerk's role and commits its audit event with the change."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from dxdesk.app.visits import CounterVisits
from dxdesk.config import Settings
from dxdesk.counter import IdentifyMethod, InMemoryKeyProvider, VisitCardData, VisitJournal, load_catalogue
from dxdesk.security.audit import MSG_PRIVACY, AuditError, AuditLog, load_records
from dxdesk.security.auth import AuthService
from dxdesk.security.permissions import PermissionDeniedError, Role
from dxdesk.store import models
from dxdesk.store.database import open_database
from signin import CHEAP, sign_in_clerk, sign_in_role

MANUAL = dict(name="山田\u3000花子", address="北海道白老町大町１丁目１番地", birth_date=date(1948, 3, 9), sex="2")
ANSWERS = {"juminhyo_copies": 1, "scope": "household", "juminhyo_purpose": "pension", "requester": "self"}


@pytest.fixture
def desk(tmp_path):
    settings = Settings()
    db = open_database(settings)
    audit = AuditLog(db)
    auth = AuthService(db, audit, settings.security, params=CHEAP)
    clerk = sign_in_clerk(auth)
    visits = CounterVisits(db, audit, load_catalogue(), VisitJournal(InMemoryKeyProvider(), tmp_path / "visits"),
                           settings)
    yield visits, auth, clerk
    db.close()


def _events(visits: CounterVisits, event_type: str):
    with visits.database.session() as orm:
        return load_records(orm, event_type=event_type)


def _visit_rows(visits: CounterVisits) -> int:
    with visits.database.session() as orm:
        return orm.scalar(select(func.count()).select_from(models.Visit))


def _closed_visit(visits: CounterVisits, clerk):
    visit = visits.start(clerk, ["juminhyo"])
    assert visits.identify(visit, VisitCardData(IdentifyMethod.MANUAL, **MANUAL), simulated=False) is None
    for qid, value in ANSWERS.items():
        visit.answer(qid, value)
    visit.finish_interview()
    visit.confirm()
    visits.record_printed(visit, visit.forms_to_print, pages=2).result(10)
    timeline = visit.timeline
    return visit.close(), timeline


def test_storing_a_visit_writes_its_rows_and_its_audit_event_together(desk):
    visits, _auth, clerk = desk
    record, timeline = _closed_visit(visits, clerk)
    assert visits.store(clerk, record, timeline).result(10) == record.visit_id
    [close] = _events(visits, "visit.close")
    assert close.actor == clerk.clerk_id and close.details["visit_id"] == record.visit_id
    assert close.details["outcome"] == "closed" and close.details["procedures"] == ["juminhyo"]
    assert "山田" not in str(close.details) and set(close.items) <= set(record.retained)
    [printed] = _events(visits, "form.print")
    assert printed.details["forms"] == list(record.forms_printed) and printed.actor == clerk.clerk_id


def test_a_failing_audit_event_rolls_the_visit_back(desk, monkeypatch):
    visits, _auth, clerk = desk
    record, timeline = _closed_visit(visits, clerk)

    def refuse(_orm, _entry):
        raise AuditError(MSG_PRIVACY.format(field="details"))

    monkeypatch.setattr(visits.audit, "append_in", refuse)
    with pytest.raises(AuditError):
        visits.store(clerk, record, timeline).result(10)
    assert _visit_rows(visits) == 0  # no visit stored without its audit event


def test_only_a_clerk_may_store_a_visit(desk):
    visits, auth, clerk = desk
    record, timeline = _closed_visit(visits, clerk)
    supporter = sign_in_role(auth, Role.SUPPORTER)
    with pytest.raises(PermissionDeniedError):
        visits.store(supporter, record, timeline).result(10)
    assert _visit_rows(visits) == 0 and _events(visits, "visit.close") == []


def test_a_card_read_without_a_reason_for_the_number_changes_nothing(desk):
    """The audit entry is checked before the visit changes: no identity without its card.read event."""
    from dxdesk.cardreader.testdata import PERSON_KOKUTOU

    visits, _auth, clerk = desk
    visit = visits.start(clerk, ["kokuho_kanyu"])
    card = VisitCardData.from_card_holder(IdentifyMethod.CARD_PIN, PERSON_KOKUTOU.holder)
    with pytest.raises(AuditError):
        visits.identify(visit, card, simulated=True, jimu_type="国民健康保険", reason="")
    assert visit.card is None and _events(visits, "card.read") == []
    visits.identify(visit, card, simulated=True, jimu_type="国民健康保険", reason="資格取得届").result(10)
    [read] = _events(visits, "card.read")
    assert "my_number" in read.items and read.reason == "資格取得届"
