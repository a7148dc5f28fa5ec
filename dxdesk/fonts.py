"""Bundled Japanese fonts, shared by the Qt UI and the ReportLab PDFs.

BIZ UD Gothic/Mincho (OFL, bundled under resources/fonts) cover everyday kanji
but not every name character (e.g. 𠮷 U+20BB7). IPAmj Mincho, the MJ character set
font made for resident registers, is used as a fallback when installed (Debian
``fonts-ipamj-mincho``); it is not bundled because it is 46 MB.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dxdesk.resources import resource_path


@dataclass(frozen=True)
class FontFile:
    family: str  # family name used in Qt and as the ReportLab font name
    path: Path


GOTHIC = FontFile("BIZ UDGothic", resource_path("fonts", "BIZUDGothic-Regular.ttf"))
GOTHIC_BOLD = FontFile("BIZ UDGothic Bold", resource_path("fonts", "BIZUDGothic-Bold.ttf"))
MINCHO = FontFile("BIZ UDMincho", resource_path("fonts", "BIZUDMincho-Regular.ttf"))
# The screens use the proportional face: Latin text (English UI, shortcut hints) reads naturally,
# while the printed forms keep the fixed-pitch faces above that line up in boxes.
UI_GOTHIC = FontFile("BIZ UDPGothic", resource_path("fonts", "BIZUDPGothic-Regular.ttf"))
BUNDLED = (GOTHIC, GOTHIC_BOLD, MINCHO, UI_GOTHIC)

# Fallbacks searched in order for characters the bundled faces lack.
FALLBACK_CANDIDATES = (
    Path("/usr/share/fonts/truetype/ipamj/ipamjm.ttf"),
    Path("C:/Windows/Fonts/ipamjm.ttf"),
)


def fallback_font() -> FontFile | None:
    for path in FALLBACK_CANDIDATES:
        if path.exists():
            return FontFile("IPAmjMincho", path)
    return None


def missing_bundled_fonts() -> list[Path]:
    return [f.path for f in BUNDLED if not f.path.exists()]
