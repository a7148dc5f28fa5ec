"""Fixed dataset for the support-log tests (the KPI tests compute their expectations from it by hand).

Twelve live sessions plus one soft-deleted one (which must never count):

 #  when              venue        type            topics                         dev    age    att hlp dur outcome  f/u     repeat
 1  2026-04-01 10:00  本庁舎窓口   counter         power                          andr   75-79   1   1  20 resolved  -       -
 2  2026-04-03 14:00  本庁舎窓口   counter         mynumber_apply                 iph    70-74   1   1  30 resolved  -       yes
 3  2026-04-10 10:00  中央公民館   community_hall  line, phone_camera             andr   80+     6   2  90 partly    -       -
 4  2026-04-17 10:00  中央公民館   community_hall  line                           iph    75-79   8   3  90 resolved  -       yes
 5  2026-05-02 11:00  駅前ショップ shop            mynapoint                      andr   65-69   1   1  15 resolved  -       -
 6  2026-05-02 13:00  駅前ショップ shop            insurance_account, mynumber_use andr  70-74   2   1  40 referred  open+contact -
 7  2026-05-20 09:30  訪問支援     home_visit      power, phone_camera            feat   80+     1   2  60 partly    open    yes
 8  2026-06-05 10:00  中央公民館   community_hall  internet, maps                 tab    <65    12   3 120 resolved  -       -
 9  2027-03-31 16:00  本庁舎窓口   counter         etax                           pc     65-69   1   1  45 resolved  -       -
10  2026-06-05 14:00  本庁舎窓口   counter         online_medical                 iph    75-79   1   1  25 partly    closed  yes
11  2026-06-30 10:00  中央公民館   community_hall  line                           andr   70-74   4   1  60 resolved  -       -
12  2026-05-21 10:00  駅前ショップ shop            line                           iph    75-79   1   1  20 resolved  -       -
13  2026-05-22 10:00  中央公民館   community_hall  power   (DELETED)              andr   80+     5   1  30 resolved  -       -
"""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from dxdesk.support.model import SupportSession

_NS = uuid.UUID("12345678-1234-5678-1234-567812345678")
CONTACT = "090-0000-1111"


def sid(n: int) -> str:
    return str(uuid.uuid5(_NS, f"session-{n}"))


def _s(n: int, when: str, venue: str, vt: str, topics: tuple[str, ...], device: str, age: str, att: int, hlp: int,
       dur: int, outcome: str, **extra: object) -> SupportSession:
    return SupportSession(
        id=sid(n), started_at=datetime.fromisoformat(when), venue=venue, venue_type=vt, topics=topics,
        device=device, age_band=age, attendees=att, helpers=hlp, duration_minutes=dur, outcome=outcome,
        helper_role="デジタル推進委員", logged_by="tester", **extra,  # type: ignore[arg-type]
    )


def build_dataset() -> list[SupportSession]:
    return [
        _s(1, "2026-04-01T10:00", "本庁舎窓口", "counter", ("power",), "android", "75-79", 1, 1, 20, "resolved"),
        _s(2, "2026-04-03T14:00", "本庁舎窓口", "counter", ("mynumber_apply",), "iphone", "70-74", 1, 1, 30, "resolved",
           repeat_visitor=True),
        _s(3, "2026-04-10T10:00", "中央公民館", "community_hall", ("line", "phone_camera"), "android", "80+", 6, 2, 90,
           "partly", note="スタンプの送り方"),
        _s(4, "2026-04-17T10:00", "中央公民館", "community_hall", ("line",), "iphone", "75-79", 8, 3, 90, "resolved",
           repeat_visitor=True),
        _s(5, "2026-05-02T11:00", "駅前ショップ", "shop", ("mynapoint",), "android", "65-69", 1, 1, 15, "resolved"),
        _s(6, "2026-05-02T13:00", "駅前ショップ", "shop", ("insurance_account", "mynumber_use"), "android", "70-74", 2, 1,
           40, "referred", follow_up_needed=True, follow_up_contact=CONTACT, note="=銀行口座は後日, \"要確認\""),
        _s(7, "2026-05-20T09:30", "訪問支援", "home_visit", ("power", "phone_camera"), "feature_phone", "80+", 1, 2, 60,
           "partly", follow_up_needed=True, repeat_visitor=True),
        _s(8, "2026-06-05T10:00", "中央公民館", "community_hall", ("internet", "maps"), "tablet", "<65", 12, 3, 120,
           "resolved"),
        _s(9, "2027-03-31T16:00", "本庁舎窓口", "counter", ("etax",), "pc", "65-69", 1, 1, 45, "resolved"),
        _s(10, "2026-06-05T14:00", "本庁舎窓口", "counter", ("online_medical",), "iphone", "75-79", 1, 1, 25, "partly",
           follow_up_needed=True, follow_up_closed_at=datetime(2026, 6, 12, 9, 0), repeat_visitor=True),
        _s(11, "2026-06-30T10:00", "中央公民館", "community_hall", ("line",), "android", "70-74", 4, 1, 60, "resolved"),
        _s(12, "2026-05-21T10:00", "駅前ショップ", "shop", ("line",), "iphone", "75-79", 1, 1, 20, "resolved"),
        _s(13, "2026-05-22T10:00", "中央公民館", "community_hall", ("power",), "android", "80+", 5, 1, 30, "resolved",
           deleted=True),
    ]


@pytest.fixture
def dataset() -> list[SupportSession]:
    return build_dataset()
