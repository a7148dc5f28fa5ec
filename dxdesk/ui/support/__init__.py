"""PySide6 screens of the support-session log; the app uses :class:`SupportPage` (dxdesk.ui.support.page).

``from dxdesk.ui.support import SupportPage`` works, but lazily: tools that walk the
package tree (the architecture test imports every package to list its modules) must
not load Qt just by importing this package.
"""
from __future__ import annotations

from typing import Any

__all__ = ["SupportPage"]


def __getattr__(name: str) -> Any:
    if name == "SupportPage":
        from dxdesk.ui.support.page import SupportPage

        return SupportPage
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
