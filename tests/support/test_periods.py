from __future__ import annotations

from datetime import date, datetime

import pytest

from dxdesk.support import periods
from dxdesk.support.repository import InMemoryRepository, SessionQuery


def test_fiscal_year_range():
    assert periods.fiscal_year_range(2026) == (date(2026, 4, 1), date(2027, 3, 31))


@pytest.mark.parametrize(
    "day, fy",
    [
        (date(2027, 3, 31), 2026),  # last day of FY2026
        (date(2027, 4, 1), 2027),  # first day of FY2027
        (date(2026, 1, 15), 2025),
        (date(2028, 2, 29), 2027),  # leap day belongs to the FY that started the April before
        (date(2028, 3, 31), 2027),
    ],
)
def test_fiscal_year_of(day, fy):
    assert periods.fiscal_year_of(day) == fy


def test_month_ranges_including_leap_february():
    assert periods.month_range(2028, 2) == (date(2028, 2, 1), date(2028, 2, 29))
    assert periods.month_range(2027, 2) == (date(2027, 2, 1), date(2027, 2, 28))
    assert periods.month_range(2026, 12) == (date(2026, 12, 1), date(2026, 12, 31))
    with pytest.raises(ValueError):
        periods.month_range(2026, 13)


def test_presets():
    today = date(2026, 4, 15)
    assert periods.this_fiscal_year(today) == (date(2026, 4, 1), date(2027, 3, 31))
    assert periods.last_fiscal_year(today) == (date(2025, 4, 1), date(2026, 3, 31))
    assert periods.last_month(today) == (date(2026, 3, 1), date(2026, 3, 31))
    assert periods.this_month(today) == (date(2026, 4, 1), date(2026, 4, 30))
    # January: last month is December of the previous year.
    assert periods.last_month(date(2027, 1, 3)) == (date(2026, 12, 1), date(2026, 12, 31))
    # March 1st in a leap year: last month is a 29-day February.
    assert periods.last_month(date(2028, 3, 1)) == (date(2028, 2, 1), date(2028, 2, 29))


def test_fiscal_year_months_run_april_to_march():
    months = periods.fiscal_year_months(2027)
    assert len(months) == 12
    assert months[0] == (date(2027, 4, 1), date(2027, 4, 30))
    assert months[-2] == (date(2028, 2, 1), date(2028, 2, 29))
    assert months[-1] == (date(2028, 3, 1), date(2028, 3, 31))


def test_iso_week_key_across_new_year():
    assert periods.iso_week_key(date(2027, 1, 1)) == "2026-W53"  # Friday: still ISO 2026
    assert periods.iso_week_key(date(2027, 1, 4)) == "2027-W01"
    assert periods.iso_week_start(date(2026, 4, 3)) == date(2026, 3, 30)


def test_fiscal_year_filter_edges(dataset):
    # Sessions late on 3/31 and at midnight on 4/1 fall on opposite sides of the FY boundary.
    from dataclasses import replace

    base = dataset[0]
    late = replace(base, id="00000000-0000-4000-8000-000000000001", started_at=datetime(2027, 3, 31, 23, 59))
    early = replace(base, id="00000000-0000-4000-8000-000000000002", started_at=datetime(2027, 4, 1, 0, 0))
    repo = InMemoryRepository([late, early])
    fy2026 = periods.fiscal_year_range(2026)
    fy2027 = periods.fiscal_year_range(2027)
    assert [s.id for s in repo.list(SessionQuery(*fy2026))] == [late.id]
    assert [s.id for s in repo.list(SessionQuery(*fy2027))] == [early.id]
