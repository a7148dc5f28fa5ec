"""The 記録 tab: keyboard-only logging, validation that keeps input, timer, remembered venue/helper."""
from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from dxdesk.config import load_settings
from dxdesk.store.errors import DiskFullError
from dxdesk.support.model import SupportSession
from dxdesk.support.repository import InMemoryRepository

pytestmark = pytest.mark.ui

ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def focused():
    return QApplication.focusWidget()


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier):
    """Send a key to whatever has focus, as a user's keyboard would."""
    qtbot.waitUntil(lambda: focused() is not None)
    qtbot.keyClick(focused(), key, modifier)


def test_log_a_session_with_the_keyboard_only(qtbot, make_page, empty_repo, clock):
    page = make_page(empty_repo)
    e = page.entry
    qtbot.waitUntil(lambda: focused() is not None and page.isAncestorOf(focused()))

    # Venue, type, helper and role come from the settings; start at the topics.
    press(qtbot, Qt.Key.Key_T, ALT)
    assert focused() is e.topics.buttons[0]
    press(qtbot, Qt.Key.Key_Space)  # 1: 電源・ボタン操作 on
    press(qtbot, Qt.Key.Key_Space)  # ... and off again
    press(qtbot, Qt.Key.Key_6, ALT)  # マイナンバーカード申請
    press(qtbot, Qt.Key.Key_Minus, ALT)  # 11th topic: 健康保険証利用・公金受取口座登録
    press(qtbot, Qt.Key.Key_Tab)  # next group: device
    assert focused() is e.device.buttons[0]
    press(qtbot, Qt.Key.Key_Right)
    press(qtbot, Qt.Key.Key_Space)  # Android
    press(qtbot, Qt.Key.Key_A, ALT)
    press(qtbot, Qt.Key.Key_4)  # 75-79
    press(qtbot, Qt.Key.Key_P, ALT)
    assert focused() is e.attendees.spin
    press(qtbot, Qt.Key.Key_Up)
    press(qtbot, Qt.Key.Key_Up)  # 3 attendees
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is e.helpers.spin
    press(qtbot, Qt.Key.Key_Up)  # 2 helpers
    press(qtbot, Qt.Key.Key_M, ALT)
    press(qtbot, Qt.Key.Key_5)  # 30分
    press(qtbot, Qt.Key.Key_O, ALT)
    press(qtbot, Qt.Key.Key_2)  # 一部解決
    press(qtbot, Qt.Key.Key_F, ALT)  # follow-up needed
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is e.repeat
    press(qtbot, Qt.Key.Key_Space)  # repeat visitor
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is e.contact
    qtbot.keyClicks(focused(), "090-1111-2222")
    press(qtbot, Qt.Key.Key_N, ALT)
    qtbot.keyClicks(focused(), "bring passbook")

    with qtbot.waitSignal(page.session_saved, timeout=5000) as saved:
        press(qtbot, Qt.Key.Key_Return, CTRL)

    stored = empty_repo.list()
    assert len(stored) == 1
    s = stored[0]
    assert s == saved.args[0]
    expected = SupportSession(
        id=s.id,
        started_at=datetime(2026, 11, 25, 10, 10),  # start not edited: saved at 10:40 minus 30 minutes
        venue="中央公民館",
        venue_type="community_hall",
        topics=("mynumber_apply", "insurance_account"),
        device="android",
        age_band="75-79",
        attendees=3,
        helpers=2,
        duration_minutes=30,
        outcome="partly",
        note="bring passbook",
        helper_role="講師",
        follow_up_needed=True,
        repeat_visitor=True,
        logged_by="山田",
    )
    assert s == expected
    assert s.follow_up_contact == "090-1111-2222"  # not part of == on purpose

    # Confirmation shown; the form is ready for the next person but keeps venue and helper.
    assert e.banner.kind == "ok" and "記録しました" in e.banner.text() and "本日 1 件目" in e.banner.text()
    assert e.topics.values() == () and e.device.value() == "" and e.note.text() == "" and e.contact.text() == ""
    assert e.attendees.value() == 1 and e.duration.minutes() == 0 and not e.follow_up.isChecked()
    assert e.venue.currentText() == "中央公民館" and e.helper_name.text() == "山田"
    assert e.venue_type.value() == "community_hall"


def test_tab_walks_the_header_then_each_group_once(qtbot, make_page, empty_repo):
    page = make_page(empty_repo)
    e = page.entry
    e.venue.setFocus()
    qtbot.waitUntil(lambda: focused() is e.venue)
    order = []
    for _ in range(9):
        press(qtbot, Qt.Key.Key_Tab)
        order.append(focused())
    assert order == [
        e.venue_type, e.started, e.helper_name, e.helper_role,
        e.topics.buttons[0], e.device.buttons[0], e.age_band.buttons[0], e.attendees.spin, e.helpers.spin,
    ]
    # Arrow keys move inside the topic grid (4 columns), Space toggles, Shift+Tab comes back to the last one.
    e.topics.focus()
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Right)
    assert focused() is e.topics.buttons[5]
    press(qtbot, Qt.Key.Key_Space)
    assert e.topics.values() == (e.topics.codes[5],)
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Backtab)
    assert focused() is e.topics.buttons[5]


def test_validation_errors_are_japanese_inline_and_keep_the_input(qtbot, make_page, empty_repo):
    page = make_page(empty_repo)
    e = page.entry
    e.venue.setCurrentText("")  # the core's own message for a missing venue
    e.topics.focus()
    press(qtbot, Qt.Key.Key_2, ALT)
    e.note.setText("メモは残る")
    e.duration.set_minutes(15)

    press(qtbot, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: e.banner.kind == "error")

    assert empty_repo.list() == []
    assert e.errors["venue"].isVisible() and e.errors["venue"].text() == "会場を入力してください。"
    assert e.errors["device"].text() == "端末を選んでください。"
    assert e.errors["age_band"].isVisible() and e.errors["outcome"].isVisible()
    assert not e.errors["topics"].isVisible()
    assert "入力内容を確認してください" in e.banner.text()
    # Nothing the volunteer typed is lost, and focus goes to the first problem.
    assert e.topics.values() == ("phone_camera",) and e.note.text() == "メモは残る" and e.duration.minutes() == 15
    assert focused() is e.venue or e.venue.isAncestorOf(focused())

    e.venue.setCurrentText("本庁舎 1階窓口")  # known venue: its type fills in
    e.device.set_value("iphone")
    e.age_band.set_value("80+")
    e.outcome.set_value("resolved")
    with qtbot.waitSignal(page.session_saved, timeout=5000):
        press(qtbot, Qt.Key.Key_Return, CTRL)
    [s] = empty_repo.list()
    assert (s.venue, s.venue_type, s.topics, s.note) == ("本庁舎 1階窓口", "counter", ("phone_camera",), "メモは残る")
    assert not any(label.isVisible() for label in e.errors.values())


class FullDiskRepository(InMemoryRepository):
    def add(self, session, *, by=""):
        raise DiskFullError()


def test_a_failed_save_shows_why_and_keeps_the_form(qtbot, make_page):
    import support_ui_sample as sample

    repo = FullDiskRepository(catalog=sample.catalog())
    page = make_page(repo)
    e = page.entry
    e.topics.toggle_index(0)
    e.device.set_value("pc")
    e.age_band.set_value("<65")
    e.outcome.set_value("referred")
    e.duration.set_minutes(10)
    e.note.setText("keep me")
    e.submit()
    qtbot.waitUntil(lambda: e.banner.kind == "error")
    assert "ディスクの空き容量が不足" in e.banner.text()
    assert e.note.text() == "keep me" and e.topics.values() == ("power",) and e.save_button.isEnabled()


def test_timer_sets_start_and_rounded_up_minutes(qtbot, make_page, empty_repo, clock):
    page = make_page(empty_repo)
    e = page.entry
    e.topics.focus()
    press(qtbot, Qt.Key.Key_S, ALT)
    assert e.duration.running and e.started.dateTime().toPython() == datetime(2026, 11, 25, 10, 40)
    clock.advance(minutes=12, seconds=10)
    press(qtbot, Qt.Key.Key_S, ALT)
    assert not e.duration.running and e.duration.minutes() == 13
    assert e.duration.quick.value() == ""  # 13 is not a quick button
    e.duration.quick.buttons[2].click()  # 15分
    assert e.duration.minutes() == 15


def test_venue_and_helper_are_remembered_in_settings(qtbot, make_page, empty_repo, settings):
    page = make_page(empty_repo)
    e = page.entry
    e.venue.setCurrentText("西地区集会所")
    e.venue_type.set_value("community_hall")
    e.helper_name.setText("佐藤")
    e.helper_role.setCurrentText("補助者")
    e.topics.toggle_index(4)
    e.device.set_value("iphone")
    e.age_band.set_value("70-74")
    e.outcome.set_value("resolved")
    e.duration.set_minutes(20)
    with qtbot.waitSignal(page.session_saved, timeout=5000):
        e.submit()
    stored = load_settings().support
    assert (stored.default_venue, stored.default_helper_name, stored.default_helper_role) == ("西地区集会所", "佐藤", "補助者")
    # The new venue joined the catalog with its type, so choosing it again fills the type in.
    assert empty_repo.catalog().venue("西地区集会所").venue_type == "community_hall"
    e.venue_type.set_value("")
    e.venue.setCurrentText("")
    e.venue.setCurrentText("西地区集会所")
    assert e.venue_type.value() == "community_hall"


def test_double_submit_logs_once(qtbot, make_page, empty_repo):
    page = make_page(empty_repo)
    e = page.entry
    e.topics.toggle_index(0)
    e.device.set_value("iphone")
    e.age_band.set_value("80+")
    e.outcome.set_value("resolved")
    e.duration.set_minutes(5)
    with qtbot.waitSignal(page.session_saved, timeout=5000):
        e.submit()
        e.submit()  # second Ctrl+Enter while the first save is running
    qtbot.waitUntil(lambda: not page.jobs.busy)
    assert len(empty_repo.list()) == 1
    assert dataclasses.asdict(empty_repo.list()[0])["topics"] == ("power",)


def test_note_that_looks_personal_gets_a_gentle_warning(qtbot, make_page, empty_repo, settings):
    page = make_page(empty_repo)
    e = page.entry
    assert e.note_warning.isHidden()
    e.note.setText("山田様 090-1234-5678")
    assert e.note_warning.isVisibleTo(page)
    assert "氏名・電話番号" in e.note_warning.text() and "同期" in e.note_warning.text()
    e.note.setText("LINE の友だち追加")
    assert e.note_warning.isHidden()
    # It warns, it never blocks: the clerk decides.
    e.note.setText("田中さん")
    assert e.note_warning.isVisibleTo(page) and e.save_button.isEnabled()


def test_note_warning_says_notes_stay_here_when_the_desk_keeps_them(qtbot, make_page, empty_repo, settings):
    settings.store.keep_support_notes_on_desk = True
    page = make_page(empty_repo, settings_=settings)
    page.entry.note.setText("本町1-2-3")
    assert "この端末だけ" in page.entry.note_warning.text()
