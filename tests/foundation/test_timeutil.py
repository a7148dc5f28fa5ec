"""One definition of the desk's local time (dxdesk.timeutil), configured by [general] time_zone.

The PC runs in UTC in these tests (a common image for town-hall PCs) while the desk keeps JST:
2026-04-01 08:30 JST is 2026-03-31 23:30 UTC, the hour where the two ideas of "today" differ.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta, timezone, tzinfo


from dxdesk.config import GeneralSettings, load_settings, save_settings
from dxdesk.paths import app_paths
from dxdesk.timeutil import (
    desk_clock, desk_tz, from_local_naive, local_date, local_midnight, local_now, local_today, to_local_naive, zone_name, zone_problem,
)

JST = timezone(timedelta(hours=9))
OPENING = datetime(2026, 4, 1, 8, 30, tzinfo=JST)  # 08:30 JST on 4/1 = 23:30 UTC on 3/31


def set_zone(name: str) -> None:
    settings = load_settings()
    settings.general.time_zone = name
    save_settings(settings)


def test_default_is_japan_time_whatever_the_pc_zone(utc_pc):
    assert GeneralSettings().time_zone == "Asia/Tokyo"
    assert OPENING.astimezone().date() == date(2026, 3, 31)  # the PC's idea: still yesterday
    assert local_date(OPENING) == date(2026, 4, 1)
    assert to_local_naive(OPENING) == datetime(2026, 4, 1, 8, 30)
    assert str(desk_tz()) == "Asia/Tokyo"
    assert local_now().utcoffset() == timedelta(hours=9)
    assert local_today() == local_now().date()


def test_naive_instants_are_utc_and_wall_times_round_trip(utc_pc):
    assert local_date(datetime(2026, 3, 31, 23, 30)) == date(2026, 4, 1)  # naive = the store's UTC
    wall = datetime(2026, 4, 1, 8, 30)
    assert from_local_naive(wall) == OPENING
    assert to_local_naive(from_local_naive(wall)) == wall
    assert local_midnight(date(2026, 4, 1)) == datetime(2026, 3, 31, 15, 0, tzinfo=timezone.utc)


def test_empty_setting_means_the_pc_zone(utc_pc):
    set_zone("")
    assert local_date(OPENING) == date(2026, 3, 31)
    assert local_now().utcoffset() == timedelta(0)
    assert local_midnight(date(2026, 4, 1)) == datetime(2026, 4, 1, tzinfo=timezone.utc)


def test_a_changed_setting_applies_without_restart(utc_pc):
    assert local_date(OPENING) == date(2026, 4, 1)
    set_zone("UTC")
    assert local_date(OPENING) == date(2026, 3, 31)
    set_zone("Asia/Tokyo")  # a second save at once: the cache must notice it too
    assert local_date(OPENING) == date(2026, 4, 1)


def test_a_mistyped_zone_keeps_japan_time_and_says_why(utc_pc, caplog):
    assert zone_problem("Asia/Tokio") is not None
    assert "Asia/Tokyo" in zone_problem("Asia/Tokio").ja
    assert zone_problem("") is None and zone_problem("Asia/Tokyo") is None
    set_zone("Asia/Tokio")
    with caplog.at_level(logging.WARNING, logger="dxdesk.timeutil"):
        assert local_date(OPENING) == date(2026, 4, 1)
    assert "unknown time zone 'Asia/Tokio'" in caplog.text


def test_asking_the_time_does_not_create_the_settings_file(utc_pc):
    assert local_date(OPENING) == date(2026, 4, 1)
    assert not app_paths().settings_file.exists()


def test_a_time_in_a_message_names_the_desk_zone(utc_pc):
    # "try again after 08:30" on a UTC PC, or in a log read at the server, would be ambiguous.
    assert desk_clock(OPENING) == "08:30 JST"
    assert desk_clock(datetime(2026, 3, 31, 23, 30)) == "08:30 JST"  # naive = the store's UTC
    set_zone("")
    assert desk_clock(OPENING) == "23:30 UTC"  # the PC's zone, named
    for zone, expected in (("Asia/Ho_Chi_Minh", "06:30 UTC+07:00"),  # the tz database's "+07": the offset
                           ("America/Sao_Paulo", "20:30 UTC-03:00"), ("Asia/Kolkata", "05:00 IST"),
                           ("America/St_Johns", "21:00 NDT")):
        set_zone(zone)
        assert desk_clock(OPENING) == expected, zone


def test_a_zone_without_a_latin_abbreviation_is_named_by_its_offset():
    class WindowsJapanese(tzinfo):  # a Japanese Windows PC's own zone name
        def utcoffset(self, dt):
            return timedelta(hours=9)

        def tzname(self, dt):
            return "東京 (標準時)"

        def dst(self, dt):
            return timedelta(0)

    assert zone_name(datetime(2026, 4, 1, 8, 30, tzinfo=WindowsJapanese())) == "UTC+09:00"
    assert zone_name(datetime(2026, 4, 1, 8, 30, tzinfo=timezone(timedelta(hours=-9, minutes=-30)))) == "UTC-09:30"
