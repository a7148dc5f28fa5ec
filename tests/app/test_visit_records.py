"""The counter → store spelling map (dxdesk/app/visit_records.py) is complete: every method and outcome has a store value."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from dxdesk.counter import IdentifyMethod, Visit, VisitCardData, load_catalogue
from dxdesk.counter.record import OUTCOMES
from dxdesk.store import models
from dxdesk.app.visit_records import STORE_METHODS, STORE_STATUS, store_record_rows
from clerks import clerk_session


def test_every_identify_method_and_outcome_has_a_store_spelling():
    assert set(STORE_METHODS) == {m.value for m in IdentifyMethod}
    assert set(STORE_METHODS.values()) <= set(models.IDENTIFY_METHODS)
    assert len(set(STORE_METHODS.values())) == len(STORE_METHODS)  # no two methods merged into one
    assert set(STORE_STATUS) == set(OUTCOMES)
    assert set(STORE_STATUS.values()) <= set(models.VISIT_STATUSES)


class _Recorder:
    """Stands in for the writer's session: the job only calls get() and add()."""

    def __init__(self) -> None:
        self.added: list[object] = []

    def get(self, _model: object, _key: object) -> None:
        return None  # nothing stored yet

    def add(self, row: object) -> None:
        self.added.append(row)


def _clock():
    return datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("method", "store_method"), [
    (IdentifyMethod.CARD_PIN, "pin"), (IdentifyMethod.CARD_MATCHING_B, "code_b"), (IdentifyMethod.MANUAL, "manual"),
])
def test_closed_visit_rows_use_the_store_spelling(method, store_method):
    visit = Visit.start(load_catalogue(), session=clerk_session("c1"), desk_id="d1", procedures=["juminhyo"], clock=_clock)
    visit.identify(VisitCardData(method, name="山田\u3000花子", address="北海道白老町大町１丁目１番地",
                                 birth_date=date(1948, 3, 9), sex="2"))
    for qid, value in {"juminhyo_copies": 1, "scope": "household", "juminhyo_purpose": "pension", "requester": "self"}.items():
        visit.answer(qid, value)
    visit.finish_interview()
    visit.confirm()
    record = visit.close()
    orm = _Recorder()
    store_record_rows(orm, record, visit.timeline, "plain", None)
    [row] = [r for r in orm.added if isinstance(r, models.Visit)]
    assert (row.status, row.identify_method) == ("closed", store_method)


def test_visit_cancelled_before_identification_is_abandoned_without_method():
    visit = Visit.start(load_catalogue(), session=clerk_session("c1"), desk_id="d1", procedures=["juminhyo"], clock=_clock)
    record = visit.cancel("resident left")
    orm = _Recorder()
    store_record_rows(orm, record, visit.timeline, "plain", None)
    [row] = [r for r in orm.added if isinstance(r, models.Visit)]
    assert (row.status, row.identify_method) == ("abandoned", None)
