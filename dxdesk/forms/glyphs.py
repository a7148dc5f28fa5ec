"""Glyph coverage and per-character font fallback for ReportLab.

Names and addresses can hold characters the bundled BIZ UD fonts lack (𠮷 U+20BB7 is
outside the BMP). Text is split into runs: each character is drawn from the form's font
when its cmap has it, else from the fallback (IPAmj Mincho) when installed, else it is
reported as missing and drawn as 〓 (geta, the conventional mark for an unavailable
character) so it is never silently dropped.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from dxdesk import fonts

# ReportLab font names (the PDF shows them with a subset prefix, e.g. ABCDEF+BIZUDMincho).
FONT_FILES = {"mincho": fonts.MINCHO, "gothic": fonts.GOTHIC, "gothic_bold": fonts.GOTHIC_BOLD}
FALLBACK_NAME = "IPAmjMincho"
MISSING_MARK = "〓"
_lock = threading.Lock()


@dataclass(frozen=True)
class MissingGlyph:
    char: str

    @property
    def code_point(self) -> str:
        return f"U+{ord(self.char):04X}"


def _rl_name(key: str) -> str:
    return FONT_FILES[key].family.replace(" ", "")


@lru_cache(maxsize=None)
def _register(name: str, path: str) -> frozenset[int]:
    """Register a TrueType font once per process; return the code points its cmap maps."""
    with _lock:
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, path))
        font = pdfmetrics.getFont(name)
    if not isinstance(font, TTFont):  # the name was taken by a non-TrueType font
        raise TypeError(f"font {name!r} is registered but is not a TrueType font")
    return frozenset(font.face.charToGlyph)


def font_name(key: str) -> str:
    """Register (if needed) and return the ReportLab name of a template font key."""
    _register(_rl_name(key), str(FONT_FILES[key].path))
    return _rl_name(key)


def _fallback() -> tuple[str, frozenset[int]] | None:
    ff = fonts.fallback_font()
    if ff is None:
        return None
    return FALLBACK_NAME, _register(FALLBACK_NAME, str(ff.path))


def has_glyph(key: str, char: str) -> bool:
    return ord(char) in _register(_rl_name(key), str(FONT_FILES[key].path))


def split_runs(text: str, key: str, use_fallback: bool = True) -> tuple[list[tuple[str, str]], list[MissingGlyph]]:
    """Split text into (font name, text) runs; list characters no font can draw.

    Controls and spaces always stay in the primary font. ``use_fallback=False`` lets a
    test or a town without IPAmj see exactly what would be missing.
    """
    primary = font_name(key)
    primary_cmap = _register(primary, str(FONT_FILES[key].path))
    fb = _fallback() if use_fallback else None
    runs: list[tuple[str, str]] = []
    missing: list[MissingGlyph] = []
    for ch in text:
        cp = ord(ch)
        if cp in primary_cmap or ch.isspace():
            name, out = primary, ch
        elif fb is not None and cp in fb[1]:
            name, out = fb[0], ch
        else:
            missing.append(MissingGlyph(ch))
            name, out = primary, MISSING_MARK
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1] + out)
        else:
            runs.append((name, out))
    return runs, missing


def runs_width(runs: list[tuple[str, str]], size: float) -> float:
    return sum(pdfmetrics.stringWidth(t, n, size) for n, t in runs)


def text_width(text: str, key: str, size: float) -> float:
    return runs_width(split_runs(text, key)[0], size)


def missing_glyphs(text: str, key: str = "mincho", use_fallback: bool = True) -> list[MissingGlyph]:
    return split_runs(text, key, use_fallback)[1]
