"""The 受付 search as a clerk uses it: type, see the best match highlighted, Enter ticks that row only."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from test_counter_visit import show, type_and_enter, type_text


def _visible_ids(start):
    return [start.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(start.list.count())
            if not start.list.item(i).isHidden()]


def test_juumin_and_enter_ticks_the_resident_record_not_the_seal_certificate(qtbot, make_kit):
    kit = make_kit()
    show(qtbot, kit)
    start = kit.page.start
    assert QApplication.focusWidget() is start.search
    type_and_enter(qtbot, start.search, "住民")
    assert start.chosen() == ["juminhyo"]
    type_and_enter(qtbot, start.search, "resident")
    assert start.chosen() == ["juminhyo"]  # already ticked; "resident" must not add the seal certificate


def test_readings_and_everyday_words_list_best_first(qtbot, make_kit):
    kit = make_kit()
    show(qtbot, kit)
    start = kit.page.start
    type_text(qtbot, start.search, "てんにゅう")
    assert _visible_ids(start) == ["tennyu"]
    start.search.clear()
    type_text(qtbot, start.search, "引っ越し")
    assert set(_visible_ids(start)) == {"tennyu", "tenshutsu", "tenkyo"}
    assert start.highlighted_id() == _visible_ids(start)[0]
    # The clerk moves down to the second match; Enter in the list ticks that row, nothing else.
    qtbot.keyClick(start.search, Qt.Key.Key_Down)
    qtbot.keyClick(start.list, Qt.Key.Key_Down)
    second = _visible_ids(start)[1]
    assert start.highlighted_id() == second
    qtbot.keyClick(start.list, Qt.Key.Key_Return)
    assert start.chosen() == [second]


def test_nothing_found_says_so_and_enter_ticks_nothing(qtbot, make_kit):
    kit = make_kit()
    show(qtbot, kit)
    start = kit.page.start
    type_and_enter(qtbot, start.search, "ぱすぽーと")
    assert start.no_match.isVisible()
    assert "該当なし" in start.no_match.text()
    assert _visible_ids(start) == []
    assert start.chosen() == []
    start.search.clear()
    assert not start.no_match.isVisible()
    assert _visible_ids(start)[0] == "juminhyo"  # empty search: most used first, not file order
