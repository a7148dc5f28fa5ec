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

from dxdesk.ui.qtfonts import ui_font

MIN_TARGET_PX = 48  # WCAG 2.5.5 suggests 44; the brief and elderly-support practice ask for 48
BUTTON_PT = 14
TITLE_PT = 13

# Digit keys that pick the n-th option of a group (also used, with Alt, for topics).
OPTION_KEYS: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "-")
_KEY_TO_INDEX = {
    Qt.Key.Key_1: 0, Qt.Key.Key_2: 1, Qt.Key.Key_3: 2, Qt.Key.Key_4: 3, Qt.Key.Key_5: 4,
    Qt.Key.Key_6: 5, Qt.Key.Key_7: 6, Qt.Key.Key_8: 7, Qt.Key.Key_9: 8, Qt.Key.Key_0: 9,
    Qt.Key.Key_Minus: 10,
}

ACCENT = "#1d6fa5"
ACCENT_DARK = "#15527a"
DANGER = "#b3261e"
OK_GREEN = "#1e7b34"

# One style sheet for the whole support page; widgets opt in by objectName/properties.
STYLE_SHEET = f"""
QWidget#supportPage {{ background: #f6f8fa; }}
QFrame#card {{ background: white; border: 1px solid #d5dde5; border-radius: 10px; }}
QLabel[role="title"] {{ color: #243b53; font-weight: bold; }}
QLabel[role="hint"] {{ color: #52606d; }}
QLabel[role="fieldError"] {{ color: {DANGER}; font-weight: bold; }}
QLabel[role="warning"] {{ color: #8a5300; }}
QPushButton[toggle="true"] {{
    background: white; color: #1f2933; border: 2px solid #9fb3c8; border-radius: 8px; padding: 4px 10px;
}}
QPushButton[toggle="true"]:hover {{ border-color: {ACCENT}; background: #eef6fc; }}
QPushButton[toggle="true"]:checked {{ background: {ACCENT}; color: white; border-color: {ACCENT_DARK}; }}
QPushButton[toggle="true"]:focus {{ border: 3px solid #f0a202; }}
QPushButton[toggle="true"]:checked:focus {{ border: 3px solid #f0a202; }}
QPushButton#primary {{
    background: {ACCENT}; color: white; border: none; border-radius: 10px; padding: 8px 28px; font-weight: bold;
}}
QPushButton#primary:hover {{ background: {ACCENT_DARK}; }}
QPushButton#primary:focus {{ border: 3px solid #f0a202; }}
QPushButton#primary:disabled {{ background: #9fb3c8; }}
QPushButton[kind="secondary"] {{
    background: white; color: #243b53; border: 2px solid #9fb3c8; border-radius: 8px; padding: 4px 14px;
}}
QPushButton[kind="secondary"]:hover {{ background: #eef6fc; }}
QPushButton[kind="secondary"]:focus {{ border: 3px solid #f0a202; }}
QPushButton[kind="secondary"]:disabled {{ color: #9aa5b1; border-color: #d9e2ec; }}
QPushButton[kind="danger"] {{
    background: white; color: {DANGER}; border: 2px solid {DANGER}; border-radius: 8px; padding: 4px 14px;
}}
QPushButton[kind="danger"]:disabled {{ color: #d9a7a3; border-color: #ecc9c6; }}
QPushButton[kind="step"] {{
    background: #e8eef4; color: #102a43; border: 2px solid #9fb3c8; border-radius: 24px; font-weight: bold;
}}
QPushButton[kind="step"]:pressed {{ background: #c7d7e6; }}
QLabel#banner[kind="ok"] {{
    background: #e3f4e6; color: {OK_GREEN}; border: 2px solid {OK_GREEN}; border-radius: 8px; padding: 6px 12px;
}}
QLabel#banner[kind="error"] {{
    background: #fdecea; color: {DANGER}; border: 2px solid {DANGER}; border-radius: 8px; padding: 6px 12px;
}}
QLabel#banner[kind="info"] {{
    background: #e8f1fb; color: {ACCENT_DARK}; border: 2px solid #9cc3e6; border-radius: 8px; padding: 6px 12px;
}}
QLineEdit, QComboBox, QDateEdit, QDateTimeEdit, QSpinBox {{
    background: white; border: 2px solid #9fb3c8; border-radius: 6px; padding: 4px 8px; min-height: 36px;
}}
QSpinBox {{ padding: 0px 2px; }}
/* Our spin boxes have big +/- buttons beside them; Qt's own arrows are hidden this way because
   NoButtons collapses the text area to 1 px once a style sheet touches QSpinBox. */
QSpinBox::up-button, QSpinBox::down-button {{ width: 0px; border: none; }}
QLineEdit:focus, QComboBox:focus, QDateEdit:focus, QDateTimeEdit:focus, QSpinBox:focus {{ border-color: #f0a202; }}
QLineEdit:disabled {{ background: #eef2f6; color: #9aa5b1; }}
QLineEdit[invalid="true"], QComboBox[invalid="true"], QSpinBox[invalid="true"] {{ border-color: {DANGER}; }}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{ padding: 10px 28px; margin-right: 4px; background: #dde5ec; border-top-left-radius: 8px;
    border-top-right-radius: 8px; color: #243b53; }}
QTabBar::tab:selected {{ background: white; color: {ACCENT_DARK}; font-weight: bold; }}
QTableView {{ background: white; alternate-background-color: #f3f7fa; gridline-color: #e4e7eb;
    selection-background-color: #cfe3f5; selection-color: #102a43; }}
QHeaderView::section {{ background: #e8eef4; color: #243b53; padding: 6px; border: none;
    border-right: 1px solid #d5dde5; font-weight: bold; }}
"""


def repolish(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def section_title(text: str, shortcut: str = "") -> QLabel:
    label = QLabel(f"{text}　<span style='color:#7b8794;font-weight:normal'>{shortcut}</span>" if shortcut else text)
    label.setProperty("role", "title")
    label.setFont(ui_font(TITLE_PT, bold=True))
    return label


def field_error_label() -> QLabel:
    """A red line under a field; hidden (and taking no space) until there is an error."""
    label = QLabel()
    label.setProperty("role", "fieldError")
    label.setFont(ui_font(12, bold=True))
    label.setWordWrap(True)
    label.hide()
    return label


def set_field_error(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def big_button(text: str, kind: str = "secondary", point_size: int = BUTTON_PT) -> QPushButton:
    button = QPushButton(text)
    if kind == "primary":
        button.setObjectName("primary")
    else:
        button.setProperty("kind", kind)
    button.setFont(ui_font(point_size, bold=kind == "primary"))
    button.setMinimumHeight(MIN_TARGET_PX)
    return button


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
        colour = "white" if checked else "#1f2933"
        self._label.setStyleSheet(f"background: transparent; border: none; color: {colour};")
        if self._badge is not None:
            badge_colour = "#d7e9f7" if checked else "#7b8794"
            self._badge.setStyleSheet(f"background: transparent; border: none; color: {badge_colour};")


class _RovingGroup(QObject):
    """Keyboard behaviour shared by choice groups and the topic grid (see module docstring)."""

    def __init__(self, buttons: Sequence[ToggleButton], columns: int, on_digit) -> None:  # type: ignore[no-untyped-def]
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
            self.make_tab_stop(obj)  # type: ignore[arg-type]
        if event.type() != QEvent.Type.KeyPress or obj not in self.buttons:
            return False
        key_event: QKeyEvent = event  # type: ignore[assignment]
        if key_event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return False  # Alt/Ctrl combinations belong to the page shortcuts
        index = self.buttons.index(obj)  # type: ignore[arg-type]
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
            b.setToolTip(f"{label}（{i + 1} キー）" if i < 9 else label)
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
            b.setToolTip(f"{label}（Alt+{key}）" if key else label)
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
        self.plus = big_button("＋", "step", 20)
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
        self.minus.setAccessibleName("減らす")
        self.plus.setAccessibleName("増やす")
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
