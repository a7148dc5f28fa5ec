"""Loads the bundled Japanese fonts into Qt (without them Japanese renders as boxes)."""
from __future__ import annotations

import logging

from PySide6.QtGui import QFont, QFontDatabase

from dxdesk import fonts

log = logging.getLogger(__name__)

UI_FAMILY = fonts.UI_GOTHIC.family


def register_fonts() -> list[str]:
    """Register bundled (and fallback) fonts; returns the family names Qt now knows."""
    families: list[str] = []
    candidates = list(fonts.BUNDLED)
    fallback = fonts.fallback_font()
    if fallback:
        candidates.append(fallback)
    for font in candidates:
        font_id = QFontDatabase.addApplicationFont(str(font.path))
        if font_id < 0:
            log.warning("Qt could not load font %s", font.path)
            continue
        families.extend(QFontDatabase.applicationFontFamilies(font_id))
    return families


def ui_font(point_size: int = 12, bold: bool = False) -> QFont:
    font = QFont(UI_FAMILY, point_size)
    font.setBold(bold)
    # IPAmj Mincho fills in rare name kanji (𠮷) that BIZ UD lacks.
    font.setFamilies([UI_FAMILY, "IPAmjMincho"])
    return font
