"""Keyboard focus helper shared by the pages (Ctrl+N must land on something that takes input)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget


def focus_first_control(container: QWidget) -> bool:
    """Focus the first enabled, visible, Tab-reachable widget inside ``container`` (Tab order).

    Returns False (and focuses ``container`` itself) when there is none.
    """
    # The whole window's chain, not just the run right after the container: a widget created
    # unparented and then put into a layout joins the chain at the end, away from its container.
    target = container.nextInFocusChain()
    while target is not container and target is not None:
        if (container.isAncestorOf(target) and target.isEnabled() and target.isVisibleTo(container)
                and target.focusPolicy() & Qt.FocusPolicy.TabFocus):
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        target = target.nextInFocusChain()
    container.setFocus(Qt.FocusReason.ShortcutFocusReason)
    return False
