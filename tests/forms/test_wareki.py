from datetime import date, timedelta

import pytest

from dxdesk.wareki import (WarekiDate, format_wareki, format_wareki_short, parse_date, to_wareki,
                                 wareki_yymmdd)

BOUNDARIES = [  # (first day, era, previous era, previous era's last year)
    (date(2019, 5, 1), "令和", "平成", 31),
    (date(1989, 1, 8), "平成", "昭和", 64),
    (date(1926, 12, 25), "昭和", "大正", 15),
    (date(1912, 7, 30), "大正", "明治", 45),
]


@pytest.mark.parametrize("start,era,prev,prev_year", BOUNDARIES)
def test_era_boundaries_exact_to_the_day(start, era, prev, prev_year):
    before = start - timedelta(days=1)
    assert to_wareki(before) == WarekiDate(prev, prev_year, before.month, before.day)
    assert to_wareki(start) == WarekiDate(era, 1, start.month, start.day)
    assert format_wareki(start) == f"{era}元年{start.month}月{start.day}日"
    assert to_wareki(start + timedelta(days=1)).era == era


def test_gannen_formatting_and_ordinary_years():
    assert format_wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert format_wareki(date(2019, 5, 1), gannen=False) == "令和1年5月1日"
    assert format_wareki(date(2025, 4, 1)) == "令和7年4月1日"
    assert format_wareki(date(2020, 1, 1)) == "令和2年1月1日"
    assert format_wareki_short(date(1989, 1, 7)) == "S64.1.7"
    assert str(to_wareki(date(1950, 4, 1))) == "昭和25年4月1日"


def test_meiji_start_and_before():
    assert to_wareki(date(1868, 10, 23)) == WarekiDate("明治", 1, 10, 23)
    assert to_wareki(date(1912, 7, 29)) == WarekiDate("明治", 45, 7, 29)
    with pytest.raises(ValueError, match="before 明治"):
        to_wareki(date(1868, 10, 22))


def test_yymmdd_for_shogo_bango_b():
    assert wareki_yymmdd(date(1950, 4, 1)) == "250401"
    assert wareki_yymmdd(date(2019, 5, 1)) == "010501"
    assert wareki_yymmdd(date(1989, 1, 7)) == "640107"


def test_parse_card_and_iso_dates():
    assert parse_date("19500401") == date(1950, 4, 1)
    assert parse_date("1950-04-01") == date(1950, 4, 1)
    with pytest.raises(ValueError):
        parse_date("4月1日")


def test_a_datetime_works_wherever_a_date_does():
    from datetime import datetime

    moment = datetime(2019, 5, 1, 9, 30)
    assert format_wareki(moment) == "令和元年5月1日"
    assert format_wareki_short(moment) == "R1.5.1"  # was TypeError: datetime compared with the era's date
    assert wareki_yymmdd(moment) == "010501"
