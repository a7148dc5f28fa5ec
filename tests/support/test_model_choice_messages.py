"""Messages for the fixed choices (会場種別, 端末, 年齢層, 結果) name what the screen shows, not codes."""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from dxdesk.support.catalog import Catalog
from dxdesk.support.model import SupportSession, validate


def _session(**over: object) -> SupportSession:
    fields: dict[str, object] = dict(
        id=str(uuid.uuid4()), started_at=datetime(2026, 10, 1, 10, 0), venue="中央公民館", venue_type="community_hall",
        topics=("power",), device="android", age_band="75-79", attendees=1, helpers=1, duration_minutes=20,
        outcome="resolved",
    )
    fields.update(over)
    return SupportSession(**fields)  # type: ignore[arg-type]


def _messages(session: SupportSession, catalog: Catalog | None = None) -> dict[str, tuple[str, str]]:
    return {e.field: (e.message.ja, e.message.en) for e in validate(session, catalog)}


@pytest.mark.parametrize("field, ja", [
    ("device", "端末を選んでください。"),
    ("age_band", "年齢層を選んでください。"),
    ("outcome", "結果を選んでください。"),
    ("venue_type", "会場種別を選んでください。"),
])
def test_an_empty_choice_asks_to_choose(field, ja):
    messages = _messages(_session(**{field: ""}))
    assert list(messages) == [field]
    assert messages[field][0] == ja
    assert messages[field][1].startswith(f"{field} is required (one of: ")


def test_an_unknown_choice_lists_the_japanese_labels():
    ja, en = _messages(_session(device="pager"))["device"]
    assert ja == "端末「pager」は選択肢にありません（iPhone、Android、携帯電話(ガラケー)、タブレット、パソコン、端末なし）。"
    assert en == "device 'pager' is not one of: iphone, android, feature_phone, tablet, pc, none."  # the CLI takes codes
    ja, _ = _messages(_session(age_band="90+"))["age_band"]
    assert "65歳未満、65〜69歳、70〜74歳、75〜79歳、80歳以上" in ja and "unknown" not in ja
    ja, _ = _messages(_session(venue_type="castle"), Catalog.seeded())["venue_type"]
    assert ja.startswith("会場種別「castle」は選択肢にありません（") and "公民館・集会所" in ja
