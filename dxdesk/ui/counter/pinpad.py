"""The resident's PIN pad: huge buttons, masked digits, tries left. The clerk never types the PIN.

The resident who does not know the PIN (or does not want to try) presses 「わからない・やめる」: the
pad closes without touching the card and the clerk is offered 照合番号B. After a wrong PIN the
resident's screen says so in large type, with the tries left (:class:`WrongPinNotice`). The pad is
two columns (text left, keys right) so that it fits a 1366×728 screen with its 96 px keys.

The pad keeps the digits in a ``bytearray`` that is overwritten as soon as the PIN
is handed over (:meth:`PinPad.take_pin`) or the pad is cancelled; nothing else in
the UI ever sees them. Keyboard digits work too (a USB numeric keypad on the
resident's side of the counter is common).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from dxdesk.i18n import N_, tr
from dxdesk.ui.qtfonts import ui_font

from .card_help import CardHelp
from .residentpages import wrap_phrases
from .residentscreen import show_on_resident_screen
from dxdesk.ui.theme import ERROR, NAVY
from dxdesk.ui.training_band import add_training_band

PIN_LENGTH = 4
# What the clerk sees after 「わからない・やめる」: the card was not touched, 照合番号B is open.
PIN_UNKNOWN_HELP = CardHelp(
    N_("ご本人が暗証番号をわからないため、入力をやめました"),
    (N_("カードには触れていません。残り回数は減っていません。"),
     N_("照合番号B（生年月日・有効期限・セキュリティコード）で読み取れます。")),
    offer_code_b=True,
)
_DIGIT_KEYS = {getattr(Qt.Key, f"Key_{d}"): str(d) for d in range(10)}


class PinPad(QWidget):
    """Digits 0–9, 訂正 (erase one), 決定 (hand over). Emits ``submitted`` with no payload."""

    submitted = Signal()
    cancelled = Signal()
    dont_know = Signal()  # 「わからない・やめる」: no PIN will be tried; the clerk offers 照合番号B
    changed = Signal(int)  # digits entered so far (never the digits)

    def __init__(self, tries_left: int | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._digits = bytearray()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(tr("暗証番号入力パッド"))
        self.setStyleSheet(
            "QPushButton { background: white; color: #111; border: 2px solid #5b6b7c; border-radius: 12px; }"
            "QPushButton:pressed { background: #dce7f3; }"
            f"QPushButton#ok {{ background: {NAVY}; color: white; border-color: {NAVY}; }}"
            "QPushButton#ok:disabled { background: #9aa5b1; border-color: #9aa5b1; }"
        )
        self.title = QLabel(tr("暗証番号（数字4桁）を押してください"), self)
        self.title.setFont(ui_font(26, bold=True))
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        self.tries_label = QLabel("", self)
        self.tries_label.setFont(ui_font(24, bold=True))
        self.tries_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tries_label.setWordWrap(True)
        self.display = QLabel("", self)
        self.display.setFont(ui_font(44, bold=True))
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display.setMinimumHeight(80)
        self.display.setStyleSheet("background: white; border: 3px solid #5b6b7c; border-radius: 10px; letter-spacing: 12px;")
        self.display.setAccessibleName(tr("入力した桁数"))

        grid = QGridLayout()
        grid.setSpacing(14)
        self.digit_buttons: dict[str, QPushButton] = {}
        for i, digit in enumerate("123456789"):
            grid.addWidget(self._digit_button(digit), i // 3, i % 3)
        self.erase_button = self._button(tr("訂正"), self.erase)
        self.erase_button.setFont(ui_font(26, bold=True))
        grid.addWidget(self.erase_button, 3, 0)
        grid.addWidget(self._digit_button("0"), 3, 1)
        self.ok_button = self._button(tr("決定"), self.submit)
        self.ok_button.setObjectName("ok")
        self.ok_button.setFont(ui_font(26, bold=True))
        grid.addWidget(self.ok_button, 3, 2)

        self.dont_know_button = self._button(tr("わからない・やめる"), self.dont_know.emit)
        self.dont_know_button.setObjectName("dontKnow")
        self.dont_know_button.setFont(ui_font(24, bold=True))
        self.dont_know_button.setMinimumHeight(72)
        self.dont_know_button.setAccessibleName(tr("暗証番号がわからない、または入力をやめる"))

        left = QVBoxLayout()
        left.setSpacing(14)
        left.addWidget(self.title)
        left.addWidget(self.tries_label)
        left.addWidget(self.display)
        left.addStretch(1)
        left.addWidget(self.dont_know_button)
        layout = QHBoxLayout(self)
        layout.setSpacing(28)
        layout.addLayout(left, 1)
        layout.addLayout(grid)
        self.set_tries_left(tries_left)
        self._refresh()

    def _button(self, text: str, slot) -> QPushButton:
        b = QPushButton(text, self)
        b.setMinimumSize(130, 96)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the pad itself takes the keys; no focus ring games
        b.clicked.connect(slot)
        return b

    def _digit_button(self, digit: str) -> QPushButton:
        b = self._button(digit, lambda: self.press(digit))
        b.setFont(ui_font(34, bold=True))
        b.setAccessibleName(tr("数字 {digit}").format(digit=digit))
        self.digit_buttons[digit] = b
        return b

    def set_tries_left(self, tries_left: int | None) -> None:
        if tries_left is None:
            self.tries_label.setText("")
            return
        self.tries_label.setText(tr("間違えられる回数: あと {count} 回").format(count=tries_left))
        self.tries_label.setStyleSheet(f"color: {ERROR if tries_left <= 2 else '#111'};")

    # -- input -------------------------------------------------------------------------------

    @property
    def length(self) -> int:
        return len(self._digits)

    def press(self, digit: str) -> None:
        if len(self._digits) < PIN_LENGTH and digit.isdigit() and len(digit) == 1:
            self._digits.append(ord(digit))
            self._refresh()

    def erase(self) -> None:
        if self._digits:
            self._digits[-1] = 0
            del self._digits[-1]
            self._refresh()

    def submit(self) -> None:
        if len(self._digits) == PIN_LENGTH:
            self.submitted.emit()

    def take_pin(self) -> str:
        """The PIN, once: the pad's copy is overwritten before this returns."""
        pin = self._digits.decode("ascii")
        self.clear()
        return pin

    def clear(self) -> None:
        self._digits[:] = b"\0" * len(self._digits)
        self._digits.clear()
        self._refresh()

    def _refresh(self) -> None:
        shown = "●" * len(self._digits) + "○" * (PIN_LENGTH - len(self._digits))
        self.display.setText(shown)
        self.ok_button.setEnabled(len(self._digits) == PIN_LENGTH)
        self.changed.emit(len(self._digits))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt naming)
        key = event.key()
        if key in _DIGIT_KEYS:
            self.press(_DIGIT_KEYS[key])
        elif key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
            self.erase()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
        elif key == Qt.Key.Key_Escape:
            self.cancelled.emit()
        else:
            super().keyPressEvent(event)


class PinPadDialog(QDialog):
    """The pad in its own window, on the resident's screen when there is a second one.

    ``accepted`` → call :meth:`take_pin` once; ``rejected`` → the read is cancelled; ``dont_know``
    (then ``rejected``) → the resident does not know the PIN: offer 照合番号B.
    """

    dont_know = Signal()

    def __init__(self, tries_left: int | None, parent: QWidget | None = None, *, simulated: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("暗証番号の入力（ご本人が押してください）"))
        self.setStyleSheet("QDialog { background: #f7f9fc; }")
        self.pad = PinPad(tries_left, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        add_training_band(layout, self)  # 研修モード: on the resident's screen too
        if simulated:
            demo = QLabel(tr("模擬カード（研修用）: 暗証番号は 1234 です"), self)
            demo.setFont(ui_font(16, bold=True))
            demo.setAlignment(Qt.AlignmentFlag.AlignCenter)
            demo.setObjectName("notice")
            layout.addWidget(demo)
        help_text = QLabel(tr("職員は画面を見ません。数字を押したら「決定」を押してください。"), self)
        help_text.setFont(ui_font(20))
        help_text.setWordWrap(True)
        help_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.pad)
        layout.addWidget(help_text)
        self.pad.submitted.connect(self.accept)
        self.pad.cancelled.connect(self.reject)
        self.pad.dont_know.connect(self._dont_know)
        self.setFocusProxy(self.pad)

    def _dont_know(self) -> None:
        self.dont_know.emit()
        self.reject()

    def take_pin(self) -> str:
        return self.pad.take_pin()

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        if result != QDialog.DialogCode.Accepted:
            self.pad.clear()  # cancelled: wipe what was typed
        super().done(result)

    def show_for_resident(self) -> None:
        """Full screen on the second monitor when there is one, else a large window here."""
        show_on_resident_screen(self, *fitting_size(self, 1000, 600))
        self.pad.setFocus()


def fitting_size(widget: QWidget, width: int, height: int) -> tuple[int, int]:
    """``width`` × ``height``, but never larger than the screen's free area (1366×728 on a town laptop)."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return width, height
    free = screen.availableGeometry()
    return min(width, free.width()), min(height, free.height() - 40)  # 40: the window's title bar


class WrongPinNotice(QDialog):
    """What the resident reads after a wrong PIN: large type, the tries left, and what happens next.

    Shown on the resident's screen without taking the keyboard (the clerk's keys stay with the
    clerk); it closes when the pad opens again, the visit moves on, or the resident presses 「閉じる」.
    """

    def __init__(self, tries_left: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("暗証番号が違います"))
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setStyleSheet("QDialog { background: white; } QLabel { color: #000; }")
        heading = QLabel(tr("暗証番号が違います"), self)
        heading.setFont(ui_font(36, bold=True))
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        heading.setStyleSheet(f"color: {ERROR};")
        self.tries_label = QLabel(tr("あと {count} 回").format(count=tries_left), self)
        self.tries_label.setFont(ui_font(60, bold=True))
        self.tries_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tries_label.setAccessibleName(tr("間違えられる残りの回数"))
        if tries_left <= 1:
            text = tr("カードを守るため、暗証番号はこれ以上使いません。職員が別の方法（照合番号B）でお手続きします。")
        else:
            text = tr("もう一度入力できます。わからないときは、無理に押さずに「わからない・やめる」を押してください。")
        body_font = ui_font(26)
        self.body = QLabel(wrap_phrases(text, body_font, 800), self)  # lines end between words
        self.body.setFont(body_font)
        self.body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        close = QPushButton(tr("閉じる"), self)
        close.setFont(ui_font(24, bold=True))
        close.setMinimumHeight(64)
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        close.clicked.connect(self.close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 28, 40, 28)
        layout.setSpacing(18)
        add_training_band(layout, self)
        layout.addWidget(heading)
        layout.addWidget(self.tries_label)
        layout.addWidget(self.body)
        layout.addWidget(close)

    def show_for_resident(self) -> None:
        show_on_resident_screen(self, *fitting_size(self, 900, 560), activate=False)


def show_wrong_pin_notice(parent: QWidget | None, tries_left: int) -> WrongPinNotice:
    notice = WrongPinNotice(tries_left, parent)
    notice.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    notice.show_for_resident()
    return notice


def close_notice(notice: QDialog | None) -> None:
    """Close a resident notice if it is still open (it deletes itself on close)."""
    if notice is not None:
        try:
            notice.close()
        except RuntimeError:  # already deleted by Qt after the resident closed it
            pass
