"""Reporting periods: Japanese fiscal years (April to March), months and ISO weeks.

All ranges are ``(first_day, last_day)`` with *both ends inclusive*, because that is
how a report heading reads (2026年4月1日〜2027年3月31日) and how
:class:`dxdesk.support.repository.SessionQuery` filters.
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta

DateRange = tuple[date, date]

FISCAL_YEAR_START_MONTH = 4  # 会計年度 (地方自治法 第208条): 4月1日〜翌年3月31日


def fiscal_year_range(fiscal_year: int) -> DateRange:
    """``fiscal_year_range(2026) -> (2026-04-01, 2027-03-31)``."""
    return date(fiscal_year, 4, 1), date(fiscal_year + 1, 3, 31)


def fiscal_year_of(day: date) -> int:
    """The fiscal year a day belongs to: 2027-03-31 -> 2026, 2027-04-01 -> 2027."""
    return day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1


def month_range(year: int, month: int) -> DateRange:
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def this_fiscal_year(today: date) -> DateRange:
    return fiscal_year_range(fiscal_year_of(today))


def last_fiscal_year(today: date) -> DateRange:
    return fiscal_year_range(fiscal_year_of(today) - 1)


def this_month(today: date) -> DateRange:
    return month_range(today.year, today.month)


def last_month(today: date) -> DateRange:
    last_day_prev = today.replace(day=1) - timedelta(days=1)
    return month_range(last_day_prev.year, last_day_prev.month)


def fiscal_year_months(fiscal_year: int) -> list[DateRange]:
    """The twelve month ranges of a fiscal year, April first (for month pickers and per-month tables)."""
    months = []
    for i in range(12):
        m = (FISCAL_YEAR_START_MONTH - 1 + i) % 12 + 1
        y = fiscal_year if m >= FISCAL_YEAR_START_MONTH else fiscal_year + 1
        months.append(month_range(y, m))
    return months


def month_key(day: date) -> str:
    """``"2026-10"``: sorts chronologically as text."""
    return f"{day.year:04d}-{day.month:02d}"


def iso_week_key(day: date) -> str:
    """``"2026-W40"``; note the ISO year differs from the calendar year around New Year."""
    iso = day.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def iso_week_start(day: date) -> date:
    """Monday of the ISO week containing ``day``."""
    return day - timedelta(days=day.isoweekday() - 1)


def format_range_ja(r: DateRange) -> str:
    a, b = r
    return f"{a.year}年{a.month}月{a.day}日〜{b.year}年{b.month}月{b.day}日"


def format_range_en(r: DateRange) -> str:
    return f"{r[0].isoformat()} to {r[1].isoformat()}"
