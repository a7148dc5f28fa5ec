"""One definition of the desk's local time (dxdesk.timeutil), configured by [general] time_zone.

The PC runs in UTC in these tests (a common image for town-hall PCs) while the desk keeps JST:
2026-04-01 08:30 JST is 2026-03-31 23:30 UTC, the hour where the two ideas of "today" differ.
"""
from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from dxdesk.config import GeneralSettings, load_settings, save_settings
from dxdesk.paths import app_paths
from dxdesk.timeutil import (
    desk_tz, from_local_naive, local_date, local_midnight, local_now, local_today, to_local_naive, zone_problem,
)

JST = timezone(timedelta(hours=9))
OPENING = datetime(2026, 4, 1, 8, 30, tzinfo=JST)  # 08:30 JST on 4/1 = 23:30 UTC on 3/31


@pytest.fixture
def utc_pc(monkeypatch):
    """The PC's own clock zone is UTC for this test (restored afterwards)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


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
