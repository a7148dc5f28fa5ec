"""Idle lock: activity counting, timeout, lock screen, unlock with the password, Ctrl+L."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMainWindow

from dxdesk.security.auth import MSG_BAD_CREDENTIALS
from dxdesk.ui.security.idle import IdleLockController

from .conftest import PASSWORD

pytestmark = pytest.mark.ui


@pytest.fixture
def window(qtbot):
    win = QMainWindow()
    win.setCentralWidget(QLineEdit(win))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.fixture
def controller(window, auth, runner, admin, clock):
    # An hour-long timer interval: the test drives check() itself instead of waiting.
    ctl = IdleLockController(admin, auth, runner, window, clock=clock, check_interval_ms=3_600_000)
    yield ctl
    ctl.stop()


def test_timeout_comes_from_settings(controller, auth):
    assert controller.idle.timeout.total_seconds() == auth.settings.idle_lock_minutes * 60


def test_locks_after_timeout_and_unlocks_with_the_right_password(qtbot, controller, clock):
    blanks: list[bool] = []
    controller.blank_resident_view.connect(blanks.append)
    clock.advance(minutes=4, seconds=59)
    controller.check()
    assert not controller.is_locked_shown()

    clock.advance(seconds=1)
    with qtbot.waitSignal(controller.locked, timeout=1000):
        controller.check()
    screen = controller.lock_screen
    assert screen is not None and screen.isVisible()
    assert "管理 太郎（admin）" in screen.who.text()
    assert blanks == [True]

    screen.password.setText("wrong password")
    screen.unlock_button.click()
    qtbot.waitUntil(lambda: screen.error.text() == MSG_BAD_CREDENTIALS.ja, timeout=5000)
    assert screen.isVisible() and screen.password.text() == ""

    screen.password.setText(PASSWORD)
    with qtbot.waitSignal(controller.unlocked, timeout=5000) as blocker:
        qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    assert blocker.args[0].clerk_id == controller.session.clerk_id
    assert not screen.isVisible()
    assert blanks == [True, False]
    controller.check()  # the idle clock restarted at the unlock
    assert not controller.is_locked_shown()


def test_user_activity_postpones_the_lock(qtbot, controller, window, clock):
    clock.advance(minutes=4)
    qtbot.keyClick(window.centralWidget(), Qt.Key.Key_A)  # goes through the application event filter
    clock.advance(minutes=4)
    controller.check()
    assert not controller.is_locked_shown()
    clock.advance(minutes=1)
    controller.check()
    assert controller.is_locked_shown()


def test_ctrl_l_locks_at_once_and_escape_or_close_do_not_unlock(qtbot, controller, window):
    assert controller.lock_action.text() == "ロック (Ctrl+L)"
    assert controller.lock_action in window.actions()
    with qtbot.waitSignal(controller.locked, timeout=1000):
        controller.lock_action.trigger()
    screen = controller.lock_screen
    assert screen is not None
    qtbot.keyClick(screen.password, Qt.Key.Key_Escape)
    screen.close()
    assert screen.isVisible()
    assert not controller.lock_action.isEnabled()  # no double lock


def test_sign_out_from_the_lock_screen(qtbot, controller):
    controller.lock_now()
    assert controller.lock_screen is not None
    with qtbot.waitSignal(controller.sign_out_requested, timeout=1000):
        controller.lock_screen.sign_out_button.click()
    assert not controller.timer.isActive()
