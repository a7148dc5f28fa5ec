"""Touch- and keyboard-friendly building blocks of the support-session screens.

Volunteers log sessions on tablets and laptops, often standing up, so every choice is
a big toggle button (at least 48 px high, 14 pt text). For keyboard users each group
is *one* tab stop (the ARIA "roving tab index" pattern): Tab enters the group, arrow
keys move inside it, Space toggles the focused button and digit keys pick the n-th
option directly. Without this, Tab would have to walk through ~40 buttons.
"""
from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateTimeEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dxdesk.i18n import tr
from dxdesk.ui import theme
from dxdesk.ui.qtfonts import ui_font

MIN_TARGET_PX = theme.TOUCH_TARGET_PX  # WCAG 2.5.5 suggests 44; elderly-support practice asks for 48
BUTTON_PT = 14
TITLE_PT = 13

# Digit keys that pick the n-th option of a group (also used, with Alt, for topics).
OPTION_KEYS: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "-")
_KEY_TO_INDEX = {
    Qt.Key.Key_1: 0, Qt.Key.Key_2: 1, Qt.Key.Key_3: 2, Qt.Key.Key_4: 3, Qt.Key.Key_5: 4,
    Qt.Key.Key_6: 5, Qt.Key.Key_7: 6, Qt.Key.Key_8: 7, Qt.Key.Key_9: 8, Qt.Key.Key_0: 9,
    Qt.Key.Key_Minus: 10,
}

# Only what is the support page's own: the toggle grid and larger fields for tablets. Buttons,
# banners, tabs, tables and the focus ring come from the app-wide theme (dxdesk.ui.theme).
STYLE_SHEET = f"""
QWidget#supportPage {{ background: {theme.PAGE_BG}; }}
QPushButton[toggle="true"] {{
    background: {theme.SURFACE}; color: {theme.INK}; border: 2px solid {theme.BORDER}; border-radius: 8px;
    padding: 4px 10px; font-weight: normal;
}}
QPushButton[toggle="true"]:hover {{ border-color: {theme.ACCENT}; background: {theme.ACCENT_SOFT}; }}
QPushButton[toggle="true"]:checked {{ background: {theme.ACCENT}; border-color: {theme.ACCENT_DARK}; }}
/* Focus on a toggle: the theme's near-black ring, thicker; the fill keeps showing checked or not. */
QPushButton[toggle="true"]:focus {{ border: 4px solid {theme.FOCUS_RING}; background: {theme.FOCUS_FILL}; }}
QPushButton[toggle="true"]:checked:focus {{ border: 4px solid {theme.FOCUS_RING}; background: {theme.ACCENT}; }}
QLineEdit, QComboBox, QDateEdit, QDateTimeEdit, QSpinBox {{ min-height: 36px; }}
QSpinBox {{ padding: 0px 2px; }}
/* Our spin boxes have big +/- buttons beside them; Qt's own arrows are hidden this way because
   NoButtons collapses the text area to 1 px once a style sheet touches QSpinBox. */
QSpinBox::up-button, QSpinBox::down-button {{ width: 0px; border: none; }}
QSpinBox::up-arrow, QSpinBox::down-arrow {{ image: none; width: 0px; height: 0px; }}
QTabWidget::pane {{ border: none; background: transparent; }}
"""

repolish = theme.repolish


def section_title(text: str, shortcut: str = "") -> QLabel:
    label = theme.heading(text, TITLE_PT)
    label.setWordWrap(False)
    if shortcut:
        label.setText(f"{text}　<span style='color:{theme.MUTED};font-weight:normal'>{shortcut}</span>")
    return label


def field_error_label() -> QLabel:
    """A red line under a field; hidden (and taking no space) until there is an error."""
    return theme.error_label()


set_field_error = theme.set_error


def big_button(text: str, kind: str = "secondary", point_size: int = BUTTON_PT) -> QPushButton:
    return theme.button(text, kind=kind, size=point_size, min_height=MIN_TARGET_PX)


class ToggleButton(QPushButton):
    """A checkable button whose label wraps onto two lines when the text is long.

    ``badge`` (e.g. the shortcut digit) is drawn small in the top-left corner so it
    does not take width from the label.
    """

    def __init__(self, text: str, parent: QWidget | None = None, badge: str = "") -> None:
        super().__init__(parent)
        self.setCheckable(True)
        self.setProperty("toggle", "true")
        self.setAccessibleName(text)
        self.setMinimumHeight(MIN_TARGET_PX)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        # QPushButton cannot wrap text; a mouse-transparent label inside it can.
        self._label = QLabel(text, self)
        self._label.setFont(ui_font(BUTTON_PT))
        self._label.setWordWrap(True)
        self._label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._badge: QLabel | None = None
        if badge:
            self._badge = QLabel(badge, self)
            self._badge.setFont(ui_font(10, bold=True))
            self._badge.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            self._badge.move(7, 3)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16 if badge else 4, 2, 4, 2)
        # The label may wrap, so it must not force the button to its one-line width.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addWidget(self._label)
        self.toggled.connect(self._restyle_label)
        self._restyle_label(False)

    def text_label(self) -> str:
        return self._label.text()

    def _padding(self) -> int:
        return 26 if self._badge else 14

    def sizeHint(self):  # noqa: N802 (Qt API)
        hint = self._label.sizeHint()
        return QSize(hint.width() + self._padding(), max(MIN_TARGET_PX, hint.height() + 12))

    def minimumSizeHint(self):  # noqa: N802 (Qt API)
        return QSize(64, MIN_TARGET_PX)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt API)
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt API)
        return max(MIN_TARGET_PX, self._label.heightForWidth(max(40, width - self._padding())) + 12)

    def _restyle_label(self, checked: bool) -> None:
        colour = "white" if checked else theme.INK
        self._label.setStyleSheet(f"background: transparent; border: none; color: {colour};")
        if self._badge is not None:
            badge_colour = "#d7e9f7" if checked else theme.MUTED
            self._badge.setStyleSheet(f"background: transparent; border: none; color: {badge_colour};")


class _RovingGroup(QObject):
    """Keyboard behaviour shared by choice groups and the topic grid (see module docstring)."""

    def __init__(self, buttons: Sequence[ToggleButton], columns: int, on_digit) -> None:
        super().__init__()
        self.buttons = list(buttons)
        self.columns = max(1, columns)
        self._on_digit = on_digit
        for b in self.buttons:
            b.installEventFilter(self)
            b.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        if self.buttons:
            self.make_tab_stop(self.buttons[0])

    def make_tab_stop(self, target: QPushButton) -> None:
        for b in self.buttons:
            b.setFocusPolicy(Qt.FocusPolicy.StrongFocus if b is target else Qt.FocusPolicy.ClickFocus)

    def focus(self, index: int = -1) -> None:
        if not self.buttons:
            return
        if index < 0:
            index = next((i for i, b in enumerate(self.buttons) if b.isChecked()), 0)
        target = self.buttons[max(0, min(index, len(self.buttons) - 1))]
        self.make_tab_stop(target)
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.FocusIn and obj in self.buttons:
            self.make_tab_stop(obj)
        if event.type() != QEvent.Type.KeyPress or obj not in self.buttons:
            return False
        key_event: QKeyEvent = event  # type: ignore[assignment]
        if key_event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False  # Alt/Ctrl combinations belong to the page shortcuts
        index = self.buttons.index(obj)
        step = {
            Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1,
            Qt.Key.Key_Up: -self.columns, Qt.Key.Key_Down: self.columns,
        }.get(Qt.Key(key_event.key()))
        if step is not None:
            new = index + step
            if 0 <= new < len(self.buttons):
                self.focus(new)
            return True
        digit = _KEY_TO_INDEX.get(Qt.Key(key_event.key()))
        if digit is not None and digit < len(self.buttons):
            self._on_digit(digit)
            self.focus(digit)
            return True
        return False


class ChoiceGroup(QWidget):
    """Single-choice toggle buttons (device, age band, outcome, venue type...)."""

    changed = Signal(str)

    def __init__(self, options: Sequence[tuple[str, str]], columns: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.codes = [code for code, _ in options]
        self.columns = columns or len(options)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        for c in range(self.columns):
            grid.setColumnStretch(c, 1)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: list[ToggleButton] = []
        for i, (code, label) in enumerate(options):
            b = ToggleButton(label)
            b.setObjectName(f"choice_{code}")
            b.setToolTip(tr("{label}（{key} キー）").format(label=label, key=i + 1) if i < 9 else label)
            self._group.addButton(b, i)
            grid.addWidget(b, i // self.columns, i % self.columns)
            self.buttons.append(b)
        self._group.idToggled.connect(self._on_toggled)
        self._keys = _RovingGroup(self.buttons, self.columns, self._select_index)

    def _select_index(self, index: int) -> None:
        self.buttons[index].setChecked(True)

    def _on_toggled(self, _id: int, checked: bool) -> None:
        if checked:
            self.changed.emit(self.value())

    def value(self) -> str:
        checked = self._group.checkedId()
        return self.codes[checked] if checked >= 0 else ""

    def set_value(self, code: str) -> None:
        if code in self.codes:
            self.buttons[self.codes.index(code)].setChecked(True)
            return
        # An exclusive group refuses to uncheck its last button; lift the rule for a moment.
        self._group.setExclusive(False)
        for b in self.buttons:
            b.setChecked(False)
        self._group.setExclusive(True)
        self.changed.emit("")

    def focus(self) -> None:
        self._keys.focus()


class MultiChoiceGrid(QWidget):
    """Multi-select toggle grid (topics). Digits toggle the n-th button while inside the grid."""

    changed = Signal()

    def __init__(self, options: Sequence[tuple[str, str]], columns: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.codes = [code for code, _ in options]
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        self.buttons: list[ToggleButton] = []
        for i, (code, label) in enumerate(options):
            key = OPTION_KEYS[i] if i < len(OPTION_KEYS) else ""
            b = ToggleButton(label, badge=key)
            b.setObjectName(f"topic_{code}")
            b.setToolTip(tr("{label}（Alt+{key}）").format(label=label, key=key) if key else label)
            b.toggled.connect(lambda _checked: self.changed.emit())
            grid.addWidget(b, i // columns, i % columns)
            self.buttons.append(b)
        for c in range(columns):
            grid.setColumnStretch(c, 1)
        self._keys = _RovingGroup(self.buttons, columns, self.toggle_index)

    def toggle_index(self, index: int) -> None:
        if 0 <= index < len(self.buttons):
            self.buttons[index].toggle()

    def values(self) -> tuple[str, ...]:
        return tuple(code for code, b in zip(self.codes, self.buttons) if b.isChecked())

    def set_values(self, codes: Sequence[str]) -> None:
        wanted = set(codes)
        for code, b in zip(self.codes, self.buttons):
            b.setChecked(code in wanted)

    def focus(self) -> None:
        self._keys.focus()


class CodeCombo(QComboBox):
    """A drop-down of (code, label) with "nothing chosen" as a real state."""

    changed = Signal(str)

    def __init__(self, options: Sequence[tuple[str, str]], placeholder: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFont(ui_font(BUTTON_PT))
        self.setMinimumHeight(MIN_TARGET_PX)
        self.setPlaceholderText(placeholder)
        for code, label in options:
            self.addItem(label, code)
        self.setCurrentIndex(-1)
        self.currentIndexChanged.connect(lambda _i: self.changed.emit(self.value()))

    def value(self) -> str:
        return str(self.currentData()) if self.currentIndex() >= 0 else ""

    def set_value(self, code: str) -> None:
        self.setCurrentIndex(self.findData(code) if code else -1)

    def focus(self) -> None:
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)


class TabOutDateTimeEdit(QDateTimeEdit):
    """A date/time box that Tab leaves at once (Qt's own walks Tab through day, month, hour...);
    inside it, ←/→ move between the parts and ↑/↓ change them."""

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 (Qt API)
        return QWidget.focusNextPrevChild(self, next)


class Counter(QWidget):
    """A number with big − / + buttons. The spin box takes keyboard focus (Up/Down or typing);
    the round buttons are for fingers and stay out of the tab order."""

    def __init__(self, minimum: int, maximum: int, value: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.minus = big_button("−", "step", 20)
        self.plus = big_button(tr("＋"), "step", 20)
        self.spin = QSpinBox()
        self.spin.setRange(minimum, maximum)
        self.spin.setValue(value)
        self.spin.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.spin.setFont(ui_font(18, bold=True))
        self.spin.setMinimumHeight(MIN_TARGET_PX)
        self.spin.setFixedWidth(76)
        for b in (self.minus, self.plus):
            b.setFixedSize(MIN_TARGET_PX, MIN_TARGET_PX)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setAutoRepeat(True)
        self.minus.setAccessibleName(tr("減らす"))
        self.plus.setAccessibleName(tr("増やす"))
        self.minus.clicked.connect(self.spin.stepDown)
        self.plus.clicked.connect(self.spin.stepUp)
        row.addWidget(self.minus)
        row.addWidget(self.spin)
        row.addWidget(self.plus)
        row.addStretch(1)

    def value(self) -> int:
        return self.spin.value()

    def set_value(self, value: int) -> None:
        self.spin.setValue(value)


class Banner(QLabel):
    """The one-line confirmation / problem message of a screen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setFont(ui_font(14, bold=True))
        self.setWordWrap(True)
        self.setMinimumHeight(MIN_TARGET_PX)
        self.hide()

    def show_message(self, kind: str, text: str) -> None:
        self.setProperty("kind", kind)
        repolish(self)
        self.setText(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.setText("")
        self.hide()

    @property
    def kind(self) -> str:
        return str(self.property("kind") or "")


def titled(title: QLabel, body: QWidget, error: QLabel | None = None) -> QWidget:
    """Title over a field (and its error line), as one block."""
    box = QWidget()
    col = QVBoxLayout(box)
    col.setContentsMargins(0, 0, 0, 0)
    col.setSpacing(4)
    col.addWidget(title)
    col.addWidget(body)
    if error is not None:
        col.addWidget(error)
    return box
