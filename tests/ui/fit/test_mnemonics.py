"""#14: no Alt key means two things in one window (Alt+O was 結果 on the support page and the 操作 menu).

Collected per window: the menu bar's &-mnemonics, every Alt shortcut (QShortcut, QAction) and every
&-mnemonic on a button or label. The menu bar is reachable from every page; a page's own keys must not
collide with it nor with each other.
"""
from __future__ import annotations

from collections import defaultdict

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from dxdesk.security.permissions import Role
from dxdesk.ui.app import build_main_window
from dxdesk.ui.main_window import add_operations_menu

ALT = Qt.KeyboardModifier.AltModifier.value


def _alt_key(sequence: QKeySequence) -> str | None:
    if sequence.isEmpty():
        return None
    combo = sequence[0]
    if combo.keyboardModifiers().value == ALT:
        return QKeySequence(combo.key().value).toString()
    return None


def page_keys(page: QWidget) -> dict[str, list[str]]:
    """Alt key → what uses it, on one page."""
    found: dict[str, list[str]] = defaultdict(list)
    for shortcut in page.findChildren(QShortcut):
        for sequence in [shortcut.key()]:
            key = _alt_key(sequence)
            if key:
                found[key].append(f"shortcut on {type(shortcut.parent()).__name__}")
    for action in page.findChildren(QAction):
        key = _alt_key(action.shortcut())
        if key:
            found[key].append(f"action {action.text()!r}")
    for widget in [*page.findChildren(QAbstractButton), *page.findChildren(QLabel)]:
        key = _alt_key(QKeySequence.mnemonic(widget.text())) if "&" in widget.text() else None
        if key:
            found[key].append(f"{type(widget).__name__} {widget.text()!r}")
    return found


def test_no_alt_key_collides_in_the_main_window(qtbot, services, session_for, runner):
    for role in (Role.SUPPORTER, Role.CLERK, Role.SUPERVISOR):
        session = session_for(services, role.value)
        services.bind_session(session)
        window = build_main_window(services, session, runner)
        qtbot.addWidget(window)
        add_operations_menu(window, [(f"item {i}", lambda: None) for i in range(3)])
        menu_keys = {_alt_key(QKeySequence.mnemonic(a.text())): a.text() for a in window.menuBar().actions()}
        assert None not in menu_keys, "every menu has a mnemonic"
        collisions = []
        for spec in window._pages:
            for key, users in page_keys(spec.widget).items():
                if key in menu_keys:
                    collisions.append(f"{role.value}: Alt+{key} is the {menu_keys[key]!r} menu and {users}")
                if len(set(users)) > 1 and len(users) > 1:
                    collisions.append(f"{role.value}: Alt+{key} on {spec.key}: {users}")
        assert not collisions, "\n".join(collisions)
        for page in window.closables:
            page.shutdown()
        services.bind_session(None)
