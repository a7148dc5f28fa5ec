"""Sample sessions for the support-screen tests and screenshots (fictional, no personal data)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from dxdesk.support.catalog import Catalog, Venue
from dxdesk.support.model import SupportSession
from dxdesk.support.repository import InMemoryRepository

NOW = datetime(2026, 11, 25, 10, 40)  # a Wednesday; fiscal year 2026
_NS = uuid.UUID("0f6c2a1e-5b8d-4c3e-9a7f-2d1b0c9e8f71")

VENUES = (
    Venue("中央公民館", "community_hall"),
    Venue("本庁舎 1階窓口", "counter"),
    Venue("駅前携帯ショップ", "shop"),
)


def sid(n: int) -> str:
    return str(uuid.uuid5(_NS, f"ui-session-{n}"))


def catalog() -> Catalog:
    cat = Catalog.seeded()
    for v in VENUES:
        cat = cat.with_venue(v)
    return cat


# (days ago, hour, venue index, topics, device, age, attendees, helpers, minutes, outcome, extras)
_ROWS = (
    (0, 9, 0, ("line", "phone_camera"), "android", "75-79", 6, 2, 60, "resolved", {}),
    (1, 14, 1, ("mynumber_apply",), "iphone", "70-74", 1, 1, 30, "resolved", {"repeat_visitor": True}),
    (2, 10, 2, ("mynapoint", "insurance_account"), "android", "65-69", 1, 1, 20, "partly",
     {"follow_up_needed": True, "follow_up_contact": "090-0000-1234", "note": "口座登録は次回、通帳持参"}),
    (3, 13, 0, ("internet", "maps"), "tablet", "80+", 8, 3, 90, "resolved", {}),
    (6, 11, 1, ("etax",), "pc", "<65", 1, 1, 45, "referred", {"note": "税務署の相談窓口を案内"}),
    (8, 10, 0, ("power",), "feature_phone", "80+", 1, 1, 15, "resolved", {"repeat_visitor": True}),
    (9, 15, 2, ("mynumber_use",), "iphone", "75-79", 2, 1, 30, "resolved", {}),
    (13, 10, 0, ("online_medical", "internet"), "android", "70-74", 5, 2, 60, "partly",
     {"follow_up_needed": True}),
    (20, 14, 1, ("line",), "iphone", "65-69", 1, 1, 20, "resolved", {}),
    (35, 10, 0, ("phone_camera",), "android", "80+", 4, 2, 45, "resolved", {}),
)


def sessions() -> list[SupportSession]:
    out = []
    for n, (ago, hour, v, topics, device, age, att, hlp, dur, outcome, extra) in enumerate(_ROWS):
        venue = VENUES[v]
        out.append(SupportSession(
            id=sid(n), started_at=(NOW - timedelta(days=ago)).replace(hour=hour, minute=0),
            venue=venue.name, venue_type=venue.venue_type, topics=topics, device=device, age_band=age,
            attendees=att, helpers=hlp, duration_minutes=dur, outcome=outcome, helper_role="講師",
            logged_by="山田", **extra,
        ))
    return out


def repository() -> InMemoryRepository:
    return InMemoryRepository(sessions(), catalog=catalog())
