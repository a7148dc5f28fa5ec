"""One-screen desk: F5 shows the resident's view over the clerk's window and one key (Esc or F5) gives
the keyboard back; Esc there never suspends the visit."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from dxdesk.counter import VisitStep

from resident_helpers import visit_at_confirm
from test_counter_visit import ctrl_enter, show


def test_f5_overlay_takes_the_keys_only_while_shown(qtbot, make_kit):
    assert len(QGuiApplication.screens()) == 1  # the offscreen platform is a one-screen desk
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    visit_at_confirm(qtbot, kit)
    confirm = page.confirm
    before = QApplication.focusWidget()
    assert before is not None and page.isAncestorOf(before)

    qtbot.keyClick(before, Qt.Key.Key_F5)
    overlay = confirm.resident_overlay
    assert overlay is not None and overlay.isVisible()
    assert confirm.resident_window is None  # no second window to steal the keyboard
    assert overlay.geometry() == page.window().rect()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is overlay)
    assert overlay.view.page_count() > 1
    qtbot.keyClick(overlay, Qt.Key.Key_PageDown)
    assert overlay.view.current_page() == 1

    qtbot.keyClick(overlay, Qt.Key.Key_Escape)  # one key back to the clerk
    assert not overlay.isVisible()
    assert page.current_step() == VisitStep.CONFIRM.value  # Esc closed the overlay, it did not suspend
    assert QApplication.focusWidget() is before

    qtbot.keyClick(before, Qt.Key.Key_F5)
    assert overlay.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is overlay)
    qtbot.keyClick(overlay, Qt.Key.Key_F5)  # F5 toggles it back off as well
    assert not overlay.isVisible()
    ctrl_enter(qtbot, kit)  # the clerk's keys work at once, no mouse click needed
    assert page.current_step() == VisitStep.PRINT.value
