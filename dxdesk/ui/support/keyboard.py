"""Keyboard use of the entry form: Alt shortcuts, Ctrl+Enter, and the Tab order.

Kept apart from the form's layout so the key map reads as one table; docs/shortcuts.md
(section 「支援記録」) and :data:`SHORTCUT_HINT` (a msgid: show ``tr(SHORTCUT_HINT)``) describe the same keys.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton, QWidget

from dxdesk.i18n import N_
from dxdesk.ui.support.widgets import OPTION_KEYS

if TYPE_CHECKING:
    from dxdesk.ui.support.entry import EntryForm

SHORTCUT_HINT = N_(
    "⌨ Tab 次の欄 ／ ←→↑↓ 欄の中を移動 ／ Space・数字キー 選択 ／ Alt+キー 各項目へ（項目名の横） ／ "
    "Alt+F フォローアップ ／ Alt+R 再訪 ／ Ctrl+Enter 記録"
)


def _focus(widget: QWidget) -> Callable[[], None]:
    return lambda: widget.setFocus(Qt.FocusReason.ShortcutFocusReason)


def _toggle_and_focus(button: QAbstractButton) -> Callable[[], None]:
    def run() -> None:
        button.toggle()
        button.setFocus(Qt.FocusReason.ShortcutFocusReason)

    return run


def install_entry_keys(form: "EntryForm") -> list[QShortcut]:
    """Shortcuts live on the form (WidgetWithChildren), so they work in the 記録 tab and in the edit dialog."""
    keys: dict[str, Callable[[], None]] = {
        f"Alt+{key}": _toggle_and_focus(button) for key, button in zip(OPTION_KEYS, form.topics.buttons)
    }
    keys.update({
        "Alt+T": form.topics.focus,
        "Alt+D": form.device.focus,
        "Alt+A": form.age_band.focus,
        "Alt+P": _focus(form.attendees.spin),
        "Alt+H": _focus(form.helpers.spin),
        "Alt+M": form.duration.quick.focus,
        "Alt+S": form.duration.toggle_timer,
        "Alt+O": form.outcome.focus,
        "Alt+F": _toggle_and_focus(form.follow_up),
        "Alt+R": _toggle_and_focus(form.repeat),
        "Alt+N": _focus(form.note),
        "Alt+V": _focus(form.venue),
        "Ctrl+Return": form.submit,
        "Ctrl+Enter": form.submit,  # the keypad Enter key
    })
    shortcuts = []
    for sequence, slot in keys.items():
        sc = QShortcut(QKeySequence(sequence), form)
        sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        sc.activated.connect(slot)
        shortcuts.append(sc)
    return shortcuts


def set_entry_tab_order(form: "EntryForm") -> None:
    """Tab walks the screen top to bottom, left to right; each button group is one stop
    (only its current button accepts Tab focus, see widgets._RovingGroup)."""
    chain: list[QWidget] = [
        form.venue, form.venue_type, form.started, form.helper_name, form.helper_role,
        *form.topics.buttons, *form.device.buttons, *form.age_band.buttons,
        form.attendees.spin, form.helpers.spin, *form.duration.quick.buttons, form.duration.spin,
        form.duration.timer_button, *form.outcome.buttons, form.follow_up, form.repeat, form.contact, form.note,
        form.cancel_button, form.save_button,
    ]
    for a, b in zip(chain, chain[1:]):
        QWidget.setTabOrder(a, b)
