"""Idle lock: the screen locks after N minutes without input, or at once with Ctrl+L.

The policy (``dxdesk.security.idlelock.IdleLock``) is Qt-free; this module feeds it.
An application-wide event filter counts mouse/keyboard/touch input as activity and a
timer asks the policy whether the time is up. When it is, ``LockScreen`` - a frameless,
application-modal, stay-on-top window covering the main window's whole screen - hides
everything (including a dialog that was open) until the signed-in clerk re-enters their
password, and ``blank_resident_view(True)`` tells the resident-facing display to blank.

Why a top-level window and not a child overlay: a modal dialog left open (say, card
contents) would stay visible above a child overlay and keep the keyboard; an
application-modal window opened last sits above it and takes all input.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dxdesk.i18n import tr
from dxdesk.security.auth import AuthService
from dxdesk.security.idlelock import IdleLock
from dxdesk.security.permissions import Session
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.errors import error_text
from dxdesk.ui.security.widgets import BusyRow, message_label, password_edit, show_message
from dxdesk.ui.theme import NAVY
from dxdesk.ui.tasks import TaskHandle, TaskRunner

log = logging.getLogger(__name__)

CHECK_INTERVAL_MS = 1000
LOCK_SHORTCUT = "Ctrl+L"

# Input that means "a person is at the keyboard". Mouse moves count: a clerk reading a
# form on screen and scrolling with the mouse is present.
ACTIVITY_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove, QEvent.Type.Wheel,
    QEvent.Type.TouchBegin, QEvent.Type.TabletPress,
})

LOCK_STYLE = f"""
QWidget#lockScreen {{ background: {NAVY}; }}
QFrame#lockCard {{ background: white; border-radius: 14px; }}
QFrame#lockCard QPushButton {{ min-width: 120px; min-height: 36px; }}
"""


class LockScreen(QWidget):
    """The lock window: who is signed in, a password field and 'ロック解除'."""

    unlock_requested = Signal(str)  # the typed password
    sign_out_requested = Signal()

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("lockScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setWindowTitle(tr("dxdesk — ロック中"))
        self.setStyleSheet(LOCK_STYLE)
        self.setFont(ui_font(13))
        self._allow_close = False

        card = QFrame(self)
        card.setObjectName("lockCard")
        card.setFixedWidth(520)
        # Text, not an emoji: the bundled fonts have no emoji and a tofu box looks broken.
        brand = QLabel(tr("窓口支援システム dxdesk"), card)
        brand.setProperty("role", "hint")
        brand.setFont(ui_font(11))
        brand.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel(tr("画面をロックしています"), card)
        title.setFont(ui_font(20, bold=True))
        title.setProperty("role", "title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.who = QLabel(card)
        self.who.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.who.setWordWrap(True)
        self.who.setFont(ui_font(13))
        self.password = password_edit(card, tr("パスワード"))
        self.password.setAccessibleName(tr("パスワード"))
        self.password.setFont(ui_font(14))
        self.unlock_button = QPushButton(tr("ロック解除"), card)
        self.unlock_button.setFont(ui_font(13, bold=True))
        self.unlock_button.setProperty("kind", "primary")
        self.unlock_button.setDefault(True)
        self.unlock_button.setAutoDefault(True)
        self.sign_out_button = QPushButton(tr("サインアウト"), card)
        self.sign_out_button.setFont(ui_font(12))
        self.sign_out_button.setToolTip(tr("別の職員が使うときは、サインアウトしてからサインインし直します。"))
        self.error = message_label(card)
        self.busy = BusyRow(tr("確認しています…"), card)

        buttons = QHBoxLayout()
        buttons.addWidget(self.sign_out_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(36, 28, 36, 28)
        inner.setSpacing(12)
        inner.addWidget(brand)
        inner.addWidget(title)
        inner.addWidget(self.who)
        inner.addSpacing(6)
        inner.addWidget(self.password)
        inner.addWidget(self.error)
        inner.addWidget(self.busy)
        inner.addLayout(buttons)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        self.unlock_button.clicked.connect(self._submit)
        self.password.returnPressed.connect(self._submit)
        self.sign_out_button.clicked.connect(self.sign_out_requested)
        self.set_session(session)

    def set_session(self, session: Session) -> None:
        self.who.setText(tr("{name}（{login}）がサインインしています。\n続けるにはパスワードを入力してください。").format(
            name=session.display_name, login=session.login))

    def _submit(self) -> None:
        if not self.password.text():
            show_message(self.error, tr("パスワードを入力してください。"))
            return
        self.unlock_requested.emit(self.password.text())

    def set_busy(self, busy: bool) -> None:
        self.password.setEnabled(not busy)
        self.unlock_button.setEnabled(not busy)
        self.sign_out_button.setEnabled(not busy)
        self.busy.setVisible(busy)
        if busy:
            show_message(self.error, "")

    def show_error(self, text: str) -> None:
        self.password.clear()
        show_message(self.error, text)
        self.password.setFocus()

    def reset(self) -> None:
        self.password.clear()
        show_message(self.error, "")
        self.set_busy(False)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            return  # Esc must not dismiss the lock
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        # Alt+F4 and the window manager cannot close it; only an unlock (or sign-out) can.
        if self._allow_close:
            event.accept()
        else:
            event.ignore()

    def dismiss(self) -> None:
        self._allow_close = True
        self.close()
        self._allow_close = False


class IdleLockController(QObject):
    """Drives ``IdleLock`` from Qt input and shows ``LockScreen`` over ``window`` when it engages.

    Signals: ``locked()``, ``unlocked(Session)`` (the refreshed session: the role may have
    changed meanwhile), ``blank_resident_view(bool)`` and ``sign_out_requested()``.
    ``lock_action`` ("ロック (Ctrl+L)") is added to ``window`` so the shortcut works everywhere;
    put it in a menu or toolbar too.
    """

    locked = Signal()
    unlocked = Signal(object)
    blank_resident_view = Signal(bool)
    sign_out_requested = Signal()

    def __init__(self, session: Session, auth: AuthService, runner: TaskRunner, window: QWidget, *,
                 timeout_minutes: float | None = None, clock: Callable[[], datetime] | None = None,
                 check_interval_ms: int = CHECK_INTERVAL_MS, parent: QObject | None = None) -> None:
        super().__init__(parent or window)
        kwargs = {"clock": clock} if clock is not None else {}
        # timeout None -> settings.security.idle_lock_minutes (read by IdleLock from auth.settings)
        self.idle = IdleLock(session, auth, timeout_minutes, **kwargs)
        self.session = session
        self.runner = runner
        self.window = window
        self._handle: TaskHandle | None = None
        self.lock_screen: LockScreen | None = None
        self.lock_action = QAction(tr("ロック (Ctrl+L)"), window)
        self.lock_action.setShortcut(QKeySequence(LOCK_SHORTCUT))
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.lock_action.setToolTip(tr("席を離れるときは画面をロックします"))
        self.lock_action.triggered.connect(self.lock_now)
        window.addAction(self.lock_action)
        self.timer = QTimer(self)
        self.timer.setInterval(check_interval_ms)
        self.timer.timeout.connect(self.check)
        app = QApplication.instance()
        assert app is not None, "IdleLockController needs a QApplication"
        app.installEventFilter(self)
        self.timer.start()

    # -- activity -------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in ACTIVITY_EVENTS and not self.is_locked_shown():
            self.idle.touch()
        return False  # observe only; never swallow input

    # -- locking --------------------------------------------------------------------
    def is_locked_shown(self) -> bool:
        return self.lock_screen is not None and self.lock_screen.isVisible()

    def check(self) -> None:
        """Timer tick: engage the lock when the policy says the idle time is up."""
        if not self.is_locked_shown() and self._handle is None and self.idle.is_locked():
            self._engage()

    def lock_now(self) -> None:
        if self.is_locked_shown():
            return
        self.idle.lock()
        self._engage()

    def _engage(self) -> None:
        log.info("screen locked")
        self.lock_action.setEnabled(False)
        if self.lock_screen is None:
            self.lock_screen = LockScreen(self.session)
            self.lock_screen.unlock_requested.connect(self._unlock)
            self.lock_screen.sign_out_requested.connect(self._sign_out)
        self.lock_screen.reset()
        self.lock_screen.set_session(self.session)
        screen = self.window.screen() if self.window.isVisible() else QApplication.primaryScreen()
        if screen is not None:
            self.lock_screen.setGeometry(screen.geometry())
        self.lock_screen.show()
        self.lock_screen.raise_()
        self.lock_screen.activateWindow()
        self.lock_screen.password.setFocus()
        self.blank_resident_view.emit(True)
        self.locked.emit()

    def _unlock(self, password: str) -> None:
        if self._handle is not None:
            return
        assert self.lock_screen is not None
        self.lock_screen.set_busy(True)

        def job(_cancel: threading.Event) -> Session:
            return self.idle.unlock(password)

        handle = self.runner.run(job, owner=self)  # a controller deleted meanwhile gets no answer
        self._handle = handle
        handle.finished.connect(self._unlocked)
        handle.failed.connect(self._unlock_failed)

    def _unlocked(self, session: Session) -> None:
        self._handle = None
        self.session = session
        self.idle.session = session
        log.info("screen unlocked")
        if self.lock_screen is not None:
            self.lock_screen.reset()
            self.lock_screen.dismiss()
        self.window.activateWindow()  # give the keyboard back to the clerk's screen
        self.lock_action.setEnabled(True)
        self.blank_resident_view.emit(False)
        self.unlocked.emit(session)

    def _unlock_failed(self, exc: BaseException) -> None:
        self._handle = None
        if self.lock_screen is not None:
            self.lock_screen.set_busy(False)
            self.lock_screen.show_error(error_text(exc))

    def _sign_out(self) -> None:
        """Hand the desk to someone else: the integrator signs out and shows the sign-in dialog.

        The lock screen closes; the resident view stays blank until the next sign-in.
        """
        if self.lock_screen is not None:
            self.lock_screen.dismiss()
        self.stop()
        self.sign_out_requested.emit()

    def stop(self) -> None:
        """Detach (at sign-out): no more activity counting or checks."""
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.lock_action.setEnabled(False)
        if self.lock_screen is not None:
            self.lock_screen.dismiss()
            self.lock_screen.deleteLater()
            self.lock_screen = None
