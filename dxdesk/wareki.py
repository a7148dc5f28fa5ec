"""Japanese era (和暦) dates: 令和/平成/昭和/大正/明治, exact to the day.

Era boundaries are the first day of each era in the Gregorian calendar, as used by
government systems: 大正 1912-07-30, 昭和 1926-12-25, 平成 1989-01-08, 令和 2019-05-01.

明治 is a choice that needs a word: the 改元 was proclaimed on 1868-10-23 (明治元年9月8日 in
the old calendar) and made retroactive to the start of that lunisolar year, and Japan only
adopted the Gregorian calendar on 1873-01-01 (明治6年1月1日). A Gregorian date cannot be
mapped to an exact old-calendar day without a lunisolar table, so dxdesk starts 明治 on the
proclamation day 1868-10-23 and, for dates before 1873, converts the year only (month and day
stay Gregorian). Earlier dates raise ValueError. No living resident is affected.

The first year of an era is written 元年 (令和元年5月1日), never 1年, on forms.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Era:
    name: str  # 令和
    letter: str  # R: the initial used in short forms (R7.4.1)
    start: _dt.date


# Newest first, so the first era whose start is <= the date wins.
ERAS: tuple[Era, ...] = (
    Era("令和", "R", _dt.date(2019, 5, 1)),
    Era("平成", "H", _dt.date(1989, 1, 8)),
    Era("昭和", "S", _dt.date(1926, 12, 25)),
    Era("大正", "T", _dt.date(1912, 7, 30)),
    Era("明治", "M", _dt.date(1868, 10, 23)),
)


@dataclass(frozen=True)
class WarekiDate:
    era: str  # 令和
    year: int  # 1 for 元年
    month: int
    day: int

    @property
    def year_text(self) -> str:
        """"元" for the first year, else the number ("7")."""
        return "元" if self.year == 1 else str(self.year)

    def __str__(self) -> str:
        return f"{self.era}{self.year_text}年{self.month}月{self.day}日"


def _as_date(date: _dt.date) -> _dt.date:
    # A datetime is a date subclass, yet comparing one with a date raises TypeError.
    return date.date() if isinstance(date, _dt.datetime) else date


def era_of(date: _dt.date) -> Era:
    date = _as_date(date)
    for era in ERAS:
        if date >= era.start:
            return era
    raise ValueError(f"{date.isoformat()} is before 明治 (1868-10-23); no 和暦 for it")


def to_wareki(date: _dt.date) -> WarekiDate:
    """The 和暦 of a Gregorian date: 2019-05-01 -> WarekiDate('令和', 1, 5, 1)."""
    date = _as_date(date)
    era = era_of(date)
    return WarekiDate(era.name, date.year - era.start.year + 1, date.month, date.day)


def format_wareki(date: _dt.date, *, gannen: bool = True) -> str:
    """'令和元年5月1日'; with gannen=False the first year is written '1年'."""
    w = to_wareki(date)
    year = w.year_text if gannen else str(w.year)
    return f"{w.era}{year}年{w.month}月{w.day}日"


def format_wareki_short(date: _dt.date) -> str:
    """'R1.5.1' style, used where a form has no room for the era name."""
    w = to_wareki(date)
    return f"{era_of(date).letter}{w.year}.{w.month}.{w.day}"


def wareki_yymmdd(date: _dt.date) -> str:
    """Era year, month and day as 6 digits without the era: 昭和25年4月1日 -> '250401'.

    This is the birth-date part of the card's 照合番号B (PIN-less access).
    """
    w = to_wareki(date)
    return f"{w.year:02d}{w.month:02d}{w.day:02d}"


def parse_date(value: object) -> _dt.date:
    """Accept a date, 'YYYY-MM-DD' or the card's 'YYYYMMDD'; raise ValueError otherwise."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 8 and text.isdigit():
            return _dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return _dt.date.fromisoformat(text)
    raise ValueError(f"not a date: {type(value).__name__}")
