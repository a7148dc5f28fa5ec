"""The support log and the counter forms agree on the date, even on a PC set to UTC.

A session at 2026-04-01 08:30 JST (2026-03-31 23:30 UTC) happened on 4/1 for the town: the
support log must file it under April and the counter's forms must print 4/1 as 申請日.
"""
from __future__ import annotations

from datetime import date, datetime, timezone


from dxdesk.counter import IdentifyMethod, Visit, VisitCardData, build_form_data, guide_sheet_data, load_catalogue
from dxdesk.store.database import open_database
from dxdesk.support import kpi
from dxdesk.support.model import new_session
from dxdesk.support.repository import SessionQuery
from dxdesk.support.sql_repository import SqlRepository
from clerks import clerk_session

OPENING_UTC = datetime(2026, 3, 31, 23, 30, tzinfo=timezone.utc)  # = 2026-04-01 08:30 JST


def test_support_log_and_counter_forms_put_an_opening_hour_session_on_the_same_day(utc_pc):
    assert OPENING_UTC.astimezone().date() == date(2026, 3, 31)  # the PC's own zone says yesterday

    # Support log: logged with an aware instant (as a synced or imported record would be).
    session = new_session(
        started_at=OPENING_UTC, venue="本庁舎窓口", venue_type="counter", topics=["power"], device="android",
        age_band="75-79", attendees=1, helpers=1, duration_minutes=20, outcome="resolved",
    )
    assert session.started_at == datetime(2026, 4, 1, 8, 30)
    db = open_database()
    try:
        repo = SqlRepository(db)
        repo.add(session)
        on_april_1 = repo.list(SessionQuery(date_from=date(2026, 4, 1), date_to=date(2026, 4, 1)))
        on_march_31 = repo.list(SessionQuery(date_from=date(2026, 3, 31), date_to=date(2026, 3, 31)))
    finally:
        db.close()
    assert [s.id for s in on_april_1] == [session.id] and on_march_31 == []
    assert on_april_1[0].started_at == datetime(2026, 4, 1, 8, 30)
    assert kpi.sessions_per_month(on_april_1) == {"2026-04": 1}

    # Counter: a visit started at the same instant on a UTC clock.
    visit = Visit.start(load_catalogue(), session=clerk_session("clerk-1"), desk_id="desk-1", procedures=["juminhyo"],
                        clock=lambda: OPENING_UTC)
    visit.identify(VisitCardData(IdentifyMethod.MANUAL, name="山田\u3000花子", address="北海道白老町大町１丁目１番地",
                                 birth_date=date(1948, 4, 1), sex="2"))
    data = build_form_data(visit)
    assert data["computed"]["today"] == date(2026, 4, 1)
    assert data["computed"]["age"] == 78  # the birthday is 4/1: on 3/31 she would still be 77
    assert guide_sheet_data(visit)["date"] == date(2026, 4, 1)
