"""A visit at 内容確認 with many rows (転入 + 住民票), identified with the training card by PIN."""
from __future__ import annotations

from datetime import date

from dxdesk.counter import VisitStep

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from test_counter_paths import press_pin, wait_for_pad


def identify_with_pin(qtbot, kit):
    """Read the card with the PIN (any UI language): F2, 1234 on the resident's pad."""
    page = kit.page
    qtbot.waitUntil(lambda: "3" in page.identify.tries_label.text())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F2)
    press_pin(qtbot, wait_for_pad(qtbot, page.identify), "1234")
    qtbot.waitUntil(lambda: page.current_step() == VisitStep.INTERVIEW.value)

TENNYU_ANSWERS = {
    "moved_on": date(2026, 3, 28), "previous_postal_code": "060-0001", "previous_address": "北海道札幌市中央区北一条西2丁目1番地",
    "new_postal_code": "100-0013", "new_address": "東京都千代田区霞が関1-2-3 グランドメゾン霞が関 1203号室",
    "special_move_in": True, "household": "join", "head_of_household": "国東　花子", "relationship": "spouse",
    "members_moving": 2, "insurance": "kokuho", "has_children_under_18": False, "has_member_65_plus": True,
    "phone": "090-1234-5678",
}
JUMINHYO_ANSWERS = {"juminhyo_copies": 2, "scope": "household", "include_items": ["head_relationship", "honseki"],
                    "juminhyo_purpose": "bank", "requester": "self", "submit_to": "北海道銀行"}


def visit_at_confirm(qtbot, kit, procedures=("tennyu", "juminhyo")):
    page = kit.page
    page.start_visit(list(procedures))
    identify_with_pin(qtbot, kit)
    for qid, value in {**TENNYU_ANSWERS, **JUMINHYO_ANSWERS}.items():
        if qid in {q.id for q in page.visit.interview.questions}:
            page.visit.answer(qid, value)
    page.visit.set_name_kana("こくとう　みきや")  # the reading the resident confirms at the desk
    page.interview.load(page.visit)
    page.next()
    assert page.current_step() == VisitStep.CONFIRM.value, page.interview.error.text()
    return page.visit
