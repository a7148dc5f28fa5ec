"""Fitting text into a box: shrink to the minimum size, then wrap, else report overflow.

Widths scale linearly with the font size, so each character is measured once at 1 pt
and every candidate size is a multiplication. Wrapping is per character (Japanese has
no spaces) with the basic 禁則 rule that closing punctuation never starts a line: it
hangs at the end of the previous line instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from reportlab.pdfbase import pdfmetrics

from dxdesk.forms.glyphs import MissingGlyph, split_runs

LEADING = 1.2  # line height as a multiple of the font size
SIZE_STEP = 0.5
NO_LINE_START = set("、。，．,.・：；？！ー―‐）)］]｝}〕〉》」』】ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々ゝゞヽヾ")


@dataclass(frozen=True)
class Glyph:
    char: str  # what is drawn (〓 for a missing character)
    font: str  # ReportLab font name
    width: float  # at 1 pt


@dataclass
class TextFit:
    size: float
    lines: list[list[Glyph]]
    overflow: bool = False
    missing: list[MissingGlyph] = field(default_factory=list)

    def line_text(self, i: int) -> str:
        return "".join(g.char for g in self.lines[i])


def measure(text: str, font_key: str, use_fallback: bool = True) -> tuple[list[Glyph], list[MissingGlyph]]:
    runs, missing = split_runs(text, font_key, use_fallback)
    glyphs = [Glyph(ch, name, pdfmetrics.stringWidth(ch, name, 1.0)) for name, run in runs for ch in run]
    return glyphs, missing


def _width(glyphs: list[Glyph]) -> float:
    return sum(g.width for g in glyphs)


def wrap(glyphs: list[Glyph], max_width: float) -> list[list[Glyph]]:
    """Greedy per-character wrap of glyphs measured at 1 pt into lines of max_width (1 pt units)."""
    lines: list[list[Glyph]] = []
    current: list[Glyph] = []
    width = 0.0
    for g in glyphs:
        if g.char == "\n":
            lines.append(current)
            current, width = [], 0.0
            continue
        if current and width + g.width > max_width and g.char not in NO_LINE_START:
            lines.append(current)
            current, width = [], 0.0
        if not current and g.char.isspace():
            continue  # no leading blanks on a wrapped line
        current.append(g)
        width += g.width
    lines.append(current)
    return lines


def _line_fits(line: list[Glyph], max_width: float) -> bool:
    """A line fits if its width, not counting hanging closing punctuation, fits."""
    end = len(line)
    while end > 1 and line[end - 1].char in NO_LINE_START:
        end -= 1
    return _width(line[:end]) <= max_width + 0.01


def _sizes(size: float, min_size: float) -> list[float]:
    steps = int(math.floor((size - min_size) / SIZE_STEP + 1e-9))
    return [size - i * SIZE_STEP for i in range(steps + 1)] + ([min_size] if steps * SIZE_STEP < size - min_size else [])


def fit_text(text: str, font_key: str, w_pt: float, h_pt: float, size: float, min_size: float,
             max_lines: int = 0, use_fallback: bool = True) -> TextFit:
    """Largest size in [min_size, size] at which text fits the box; one line preferred."""
    glyphs, missing = measure(text, font_key, use_fallback)
    if not glyphs:
        return TextFit(size, [], False, missing)
    has_break = any(g.char == "\n" for g in glyphs)
    one_line = _width(glyphs)
    if not has_break and one_line > 0:
        # Shrink first: a single line at a smaller size reads better than a broken name.
        s = min(size, w_pt / one_line, h_pt)
        if s >= min_size - 1e-9:
            s = max(min_size, math.floor(s / SIZE_STEP + 1e-9) * SIZE_STEP) if s < size else size
            return TextFit(s, [glyphs], False, missing)
    for s in _sizes(size, min_size):
        capacity = int((h_pt + 1e-6) // (s * LEADING)) or (1 if s <= h_pt else 0)
        if max_lines:
            capacity = min(capacity, max_lines)
        lines = wrap(glyphs, w_pt / s)
        if capacity and len(lines) <= capacity and all(_line_fits(line, w_pt / s) for line in lines):
            return TextFit(s, lines, False, missing)
    # Does not fit even at the minimum size: keep what fits and say so.
    s = min_size
    capacity = max(1, int((h_pt + 1e-6) // (s * LEADING)))
    if max_lines:
        capacity = min(capacity, max_lines)
    lines = wrap(glyphs, w_pt / s)[:capacity]
    return TextFit(s, lines, True, missing)
