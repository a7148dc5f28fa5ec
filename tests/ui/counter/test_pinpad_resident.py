"""The resident's PIN pad: fits 1366×728, 「わからない・やめる」 offers 照合番号B without touching the card,
and a wrong PIN is explained to the resident in large type with the tries left."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QApplication

from dxdesk.counter import VisitStep
from dxdesk.ui.counter.pinpad import PIN_UNKNOWN_HELP, PinPadDialog

from test_counter_paths import press_pin, wait_for_pad
from test_counter_visit import show, start_juminhyo


def _pad_open(qtbot, make_kit):
    """A 住民票 visit with the resident's pad open (F2), 3 tries left."""
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.waitUntil(lambda: "残り回数: 3 回" in page.identify.tries_label.text())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F2)
    return kit, page, wait_for_pad(qtbot, page.identify)


def test_pad_fits_a_town_laptop_screen(qtbot):
    dialog = PinPadDialog(3, simulated=True)
    qtbot.addWidget(dialog)
    needed = dialog.minimumSizeHint().expandedTo(dialog.sizeHint())
    assert needed.height() <= 728 - 40, needed  # 40: the window's title bar
    assert needed.width() <= 1366, needed
    assert dialog.pad.dont_know_button.text() == "わからない・やめる"
    assert min(b.minimumHeight() for b in dialog.pad.digit_buttons.values()) >= 96  # keys stay large


def test_dont_know_offers_code_b_and_leaves_the_card_alone(qtbot, make_kit):
    kit, page, pad = _pad_open(qtbot, make_kit)
    pad.press("1")  # started typing, then gave up
    qtbot.mouseClick(pad.dont_know_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.identify.stack.currentWidget() is page.identify.code_b_form)
    assert page.identify.pin_dialog is None
    assert page.identify.help_title.text() == PIN_UNKNOWN_HELP.title
    assert kit.card_service.card.tries_left() == 3  # no PIN reached the card
    assert page.current_step() == VisitStep.IDENTIFY.value
    assert pad.length == 0  # the typed digit was wiped


def test_wrong_pin_tells_the_resident_the_tries_left_in_large_type(qtbot, make_kit):
    kit, page, pad = _pad_open(qtbot, make_kit)
    press_pin(qtbot, pad, "9999")
    qtbot.waitUntil(lambda: page.identify.wrong_pin_notice is not None and page.identify.wrong_pin_notice.isVisible())
    notice = page.identify.wrong_pin_notice
    assert notice.tries_label.text() == "あと 2 回"
    assert QFontInfo(notice.tries_label.font()).pointSizeF() >= 48
    assert "もう一度" in notice.body.text()
    assert "押\nさず" not in notice.body.text()
    assert notice.minimumSizeHint().height() <= 728 - 40
    # The notice does not take the clerk's keyboard: F2 on the clerk's window opens the pad again.
    page.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is page)
    with qtbot.waitSignal(notice.destroyed, timeout=5000):
        qtbot.keyClick(page.identify.read_button, Qt.Key.Key_F2)
    press_pin(qtbot, wait_for_pad(qtbot, page.identify), "1234")
    qtbot.waitUntil(lambda: page.current_step() == VisitStep.INTERVIEW.value)
