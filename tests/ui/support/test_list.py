"""The 一覧 tab: filters, edit through the entry form, soft delete with confirmation, closing follow-ups."""
from __future__ import annotations

from datetime import date

import pytest
import support_ui_sample as sample
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from dxdesk.support.repository import InMemoryRepository

pytestmark = pytest.mark.ui

TAB_LIST = 1


def open_list(qtbot, page):
    with qtbot.waitSignal(page.list.refreshed, timeout=5000):
        page.show_tab(TAB_LIST)
    return page.list


def choose(qtbot, lst, combo, code):
    with qtbot.waitSignal(lst.refreshed, timeout=5000):
        combo.setCurrentIndex(combo.findData(code))


def shown_ids(lst):
    return {s.id for s in lst.model.sessions()}


def test_default_period_is_this_month_and_rows_are_newest_first(qtbot, make_page, sample_repo):
    lst = open_list(qtbot, make_page(sample_repo))
    assert lst.period.range() == (date(2026, 11, 1), date(2026, 11, 30))
    expected = {s.id for s in sample.sessions() if s.started_at.month == 11}
    assert shown_ids(lst) == expected and lst.count_label.text() == f"該当 {len(expected)} 件"
    times = [s.started_at for s in lst.model.sessions()]
    assert times == sorted(times, reverse=True)
    # The fiscal-year preset widens the range to April-March.
    with qtbot.waitSignal(lst.refreshed, timeout=5000):
        lst.period.set_preset("this_fy")
    assert lst.period.range() == (date(2026, 4, 1), date(2027, 3, 31))
    assert shown_ids(lst) == {s.id for s in sample.sessions()}


def test_filter_by_topic_venue_and_outcome(qtbot, make_page, sample_repo):
    lst = open_list(qtbot, make_page(sample_repo))
    choose(qtbot, lst, lst.topic, "line")
    november = [s for s in sample.sessions() if s.started_at.month == 11]
    assert shown_ids(lst) == {s.id for s in november if "line" in s.topics}
    assert len(shown_ids(lst)) == 2
    choose(qtbot, lst, lst.venue, "中央公民館")
    assert shown_ids(lst) == {s.id for s in november if "line" in s.topics and s.venue == "中央公民館"}
    choose(qtbot, lst, lst.topic, None)
    choose(qtbot, lst, lst.outcome, "partly")
    assert shown_ids(lst) == {s.id for s in november if s.venue == "中央公民館" and s.outcome == "partly"}
    assert all(lst.model.index(r, 7).data() == "一部解決" for r in range(lst.model.rowCount()))


def test_edit_opens_the_entry_form_and_updates_the_record(qtbot, make_page, sample_repo):
    page = make_page(sample_repo)
    lst = open_list(qtbot, page)
    target = sample.sid(1)  # 本庁舎, マイナンバーカード申請, resolved
    before = sample_repo.get(target)
    assert lst.select_session(target)
    qtbot.keyClick(lst.table, Qt.Key.Key_Return)  # Enter = edit
    qtbot.waitUntil(lambda: lst.edit_dialog is not None and lst.edit_dialog.isVisible())
    form = lst.edit_dialog.form
    assert form.editing == before
    assert form.topics.values() == before.topics and form.outcome.value() == "resolved"
    assert form.attendees.value() == 1 and form.venue.currentText() == "本庁舎 1階窓口"

    form.outcome.focus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_3)  # 他機関へ案内
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Up)  # no-op on a toggle: stays in the group
    form.attendees.plus.click()
    with qtbot.waitSignal(lst.refreshed, timeout=5000):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    after = sample_repo.get(target)
    assert after.id == before.id and after.started_at == before.started_at
    assert (after.outcome, after.attendees) == ("referred", 2)
    assert after.topics == before.topics and after.venue == before.venue and after.repeat_visitor
    assert not lst.edit_dialog.isVisible()
    assert lst.banner.text() == "記録を更新しました。"
    assert lst.model.session_at(lst.model.row_of(target)).outcome == "referred"


def test_edit_refused_by_the_repository_keeps_the_dialog_open(qtbot, make_page, clock):
    old = sample.sessions()[-1]  # 35 days before "now": outside the 31-day edit window
    repo = InMemoryRepository([old], catalog=sample.catalog())
    page = make_page(repo)
    lst = open_list(qtbot, page)
    with qtbot.waitSignal(lst.refreshed, timeout=5000):
        lst.period.set_preset("this_fy")
    lst.select_session(old.id)
    lst.edit_selected()
    qtbot.waitUntil(lambda: lst.edit_dialog is not None and lst.edit_dialog.isVisible())
    form = lst.edit_dialog.form
    form.note.setText("late fix")
    form.submit()
    qtbot.waitUntil(lambda: form.banner.kind == "error")
    assert "31日より前の記録は編集・削除できません" in form.banner.text()
    assert lst.edit_dialog.isVisible() and form.note.text() == "late fix"
    assert repo.get(old.id).note == ""


def test_soft_delete_asks_first(qtbot, make_page, sample_repo):
    page = make_page(sample_repo)
    lst = open_list(qtbot, page)
    target = sample.sid(3)
    asked = []
    lst.confirm = lambda parent, title, text: asked.append(text) or False
    lst.select_session(target)
    qtbot.keyClick(lst.table, Qt.Key.Key_Delete)
    assert len(asked) == 1 and "削除しますか" in asked[0]
    assert not sample_repo.get(target).deleted

    lst.confirm = lambda parent, title, text: True
    with qtbot.waitSignal(lst.refreshed, timeout=5000):
        qtbot.keyClick(lst.table, Qt.Key.Key_Delete)
    assert sample_repo.get(target).deleted  # soft: still there, flagged
    assert target not in shown_ids(lst)
    assert lst.banner.text() == "記録を削除しました。"


def test_closing_a_follow_up_erases_the_contact(qtbot, make_page, sample_repo, clock):
    page = make_page(sample_repo)
    lst = open_list(qtbot, page)
    with qtbot.waitSignal(lst.refreshed, timeout=5000):
        lst.follow_ups_only.click()
    assert shown_ids(lst) == {sample.sid(2), sample.sid(7)}
    assert not lst.topic.isEnabled()  # filters do not apply to this view
    target = sample.sid(2)
    assert sample_repo.get(target).follow_up_contact == "090-0000-1234"

    lst.select_session(target)
    assert lst.close_button.isEnabled()
    assert lst.note_label.text() == "メモ: 口座登録は次回、通帳持参"
    lst.confirm = lambda parent, title, text: "連絡先は削除されます" in text
    with qtbot.waitSignal(lst.refreshed, timeout=5000):
        lst.close_button.click()

    closed = sample_repo.get(target)
    assert closed.follow_up_contact is None and closed.follow_up_closed_at == clock()
    assert shown_ids(lst) == {sample.sid(7)}
    assert "連絡先を削除しました" in lst.banner.text()


def test_table_model_never_shows_the_contact(qtbot, make_page, sample_repo):
    lst = open_list(qtbot, make_page(sample_repo))
    m = lst.model
    cells = [m.index(r, c).data(role) for r in range(m.rowCount()) for c in range(m.columnCount())
             for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)]
    assert not any("090-0000-1234" in str(text) for text in cells)
    assert m.headerData(0, Qt.Orientation.Horizontal) == "日時（2026年）"
