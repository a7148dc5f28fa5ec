from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from dxdesk.support.catalog import Catalog, Topic, Venue
from dxdesk.support.model import SessionValidationError, check, new_session, validate, validate_topic

NATIONAL = [
    "電源・ボタン操作", "電話・カメラ", "インターネット", "地図アプリ", "LINE・SNS", "マイナンバーカード申請",
    "マイナンバーカード利用(マイナポータル等)", "e-Tax", "オンライン診療・予約", "マイナポイント",
    "健康保険証利用・公金受取口座登録",
]


def test_seeded_catalog_has_the_national_menu_in_order():
    catalog = Catalog.seeded()
    assert [t.label_ja for t in catalog.sorted_topics()] == NATIONAL
    assert all(t.national and t.active and t.label_en for t in catalog.topics)
    assert len(set(catalog.topic_codes())) == 11
    assert [v.code for v in catalog.venue_types] == ["counter", "community_hall", "shop", "home_visit", "other"]


def test_catalog_resolves_codes_and_labels():
    catalog = Catalog.seeded()
    assert catalog.resolve_topic("line") == "line"
    assert catalog.resolve_topic("LINE・SNS") == "line"
    assert catalog.resolve_topic("e-tax") == "etax"  # English label, case-insensitive
    assert catalog.resolve_topic("ゲーム") is None
    assert catalog.resolve_venue_type("公民館・集会所") == "community_hall"


def test_catalog_edits_are_new_snapshots():
    catalog = Catalog.seeded()
    edited = catalog.with_topic(Topic("bousai_app", "防災アプリ", "Disaster-prevention app"))
    assert catalog.topic("bousai_app") is None
    added = edited.topic("bousai_app")
    assert added is not None and not added.national
    assert edited.sorted_topics()[-1].code == "bousai_app"  # appended after the national menu
    with_venue = edited.with_venue(Venue("中央公民館", "community_hall"))
    assert with_venue.venue("中央公民館").venue_type == "community_hall"


def test_validate_topic():
    catalog = Catalog.seeded()
    fields = {e.field for e in validate_topic(Topic("Bad Code", "", "x"), catalog)}
    assert fields == {"code", "label_ja"}
    dup = validate_topic(Topic("line", "LINE", "LINE"), catalog)
    assert dup and "already exists" in dup[0].message.en


def _valid(**over):
    fields = dict(started_at=datetime(2026, 10, 1, 10, 0), venue="中央公民館", venue_type="community_hall",
                  topics=["power"], device="android", age_band="75-79", attendees=1, helpers=1,
                  duration_minutes=20, outcome="resolved")
    fields.update(over)
    return fields


def test_new_session_is_valid_with_fresh_uuid():
    a = new_session(**_valid(), catalog=Catalog.seeded())
    b = new_session(**_valid())
    assert a.id != b.id and a.topics == ("power",)


def test_validation_lists_every_problem_in_both_languages():
    with pytest.raises(SessionValidationError) as info:
        new_session(**_valid(topics=[], attendees=0, helpers=0, age_band="90+", device="pager", outcome="done",
                             venue="  ", venue_type="castle", duration_minutes=0))
    errors = info.value.errors
    assert {e.field for e in errors} == {
        "topics", "attendees", "helpers", "age_band", "device", "outcome", "venue", "venue_type", "duration_minutes",
    }
    for e in errors:
        assert e.message.ja and e.message.en and e.message.ja != e.message.en
    assert "attendees must be a whole number from 1 to 500 (got 0)" in str(info.value)
    assert "参加者数" in info.value.message.ja


def test_unknown_and_duplicate_topics():
    catalog = Catalog.seeded()
    s = new_session(**_valid())
    bad = dataclasses.replace(s, topics=("power", "power", "karaoke"))
    messages = [e.message.en for e in validate(bad, catalog)]
    assert "a topic is listed twice." in messages
    assert any("unknown topic 'karaoke'" in m for m in messages)
    assert validate(dataclasses.replace(s, topics=("karaoke",))) == []  # without a catalog codes are not checked


def test_contact_only_while_follow_up_open():
    s = new_session(**_valid())
    assert validate(dataclasses.replace(s, follow_up_contact="090-1111-2222"))[0].field == "follow_up_contact"
    closed = dataclasses.replace(s, follow_up_needed=True, follow_up_contact="090", follow_up_closed_at=datetime(2026, 10, 2))
    assert [e.field for e in validate(closed)] == ["follow_up_contact"]
    check(dataclasses.replace(s, follow_up_needed=True, follow_up_contact="090-1111-2222"))


def test_contact_never_in_repr():
    s = new_session(**_valid(follow_up_needed=True, follow_up_contact="090-1111-2222"))
    assert "090-1111-2222" not in repr(s)
    assert s.redacted().follow_up_contact is None and s.follow_up_open


def test_aware_start_time_becomes_japan_wall_clock():
    s = new_session(**_valid(started_at=datetime(2026, 3, 31, 15, 30, tzinfo=timezone.utc)))
    # 15:30 UTC on 3/31 is 00:30 on 4/1 in Japan: a new fiscal year.
    assert s.started_at == datetime(2026, 4, 1, 0, 30) and s.started_at.tzinfo is None
