"""The audit log's codes have human labels in both languages (#14: 「support.change」 and 「basic4, pinless」
reached the supervisor's screen)."""
from __future__ import annotations

import re

from dxdesk.app.recovery import ACCEPT_EVENT, SETUP_EVENT
from dxdesk.security import auditlabels as labels
from dxdesk.security.audit import EventType, Item, Result
from dxdesk.security.permissions import Permission


def test_every_code_the_log_stores_has_a_label_in_both_languages():
    for code in [e.value for e in EventType] + [SETUP_EVENT, ACCEPT_EVENT]:
        assert code in labels.EVENT_LABELS, code
    assert set(labels.RESULT_LABELS) == {r.value for r in Result}
    assert set(labels.ITEM_LABELS) == set(Item.ALL)
    assert set(labels.PERMISSION_LABELS) == {p.value for p in Permission}
    for catalogue in (labels.EVENT_LABELS, labels.RESULT_LABELS, labels.ITEM_LABELS, labels.DETAIL_LABELS,
                      *labels.VALUE_LABELS.values()):
        for msg in catalogue.values():
            assert msg.ja and msg.en and not re.search(r"[぀-ヿ一-鿿]", msg.en), msg


def test_a_support_change_and_a_code_b_read_read_as_words():
    assert labels.event_label("support.change", "ja") == "支援記録の変更"
    assert labels.event_label("support.change", "en") == "Support record change"
    assert labels.items_text(["basic4", "pinless"], "ja") == "基本4情報、照合番号Bで読取"
    assert labels.items_text(["basic4", "pinless"], "en") == "Basic four items, Read with verification code B"
    text = labels.details_text({"kind": "deleted", "session_id": "abc", "permission": "log_support"}, language="ja")
    assert text == "内容: 記録の削除、必要な権限: 支援記録の入力、記録ID: abc"


def test_an_unknown_code_never_shows_its_name():
    assert labels.event_label("future.thing", "ja") == "その他の操作"
    assert labels.items_text(["future_item"], "en") == "Other"
    text = labels.details_text({"future_key": 3, "locked": False}, language="ja")
    assert text == "その他: 3" and "future_key" not in text


def test_a_saved_topic_is_named_by_its_label():
    assert labels.details_text({"kind": "topic_saved", "topic": "line", "active": True}, language="ja") == \
        "内容: 相談内容の保存、相談内容: LINE・SNS、使用中: オン"
