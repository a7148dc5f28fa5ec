"""Drawing a filled form with ReportLab.

Two modes: ``plain`` draws the whole form on blank A4 (static frames and labels, comb
cells, checkbox squares, choice labels, table grids, then the data); ``overlay`` draws
the data only, for pre-printed stock or for merging onto a town's own PDF. A printer
calibration (mm offset and scale) moves everything so it lands in the pre-printed boxes.
Problems (text that cannot fit, characters no font has, unreadable values) are returned
as issues; nothing is clipped or dropped silently.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Callable

from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas

from dxdesk import training
from dxdesk.config import Calibration
from dxdesk.forms.data import FormData, as_text
from dxdesk.forms.layout import LEADING, TextFit, fit_text
from dxdesk.forms.pdfcanvas import new_canvas
from dxdesk.forms.template import Column, Field, FormTemplate, StaticItem
from dxdesk.wareki import format_wareki, format_wareki_short, parse_date, wareki_yymmdd

log = logging.getLogger(__name__)
MODES = ("plain", "overlay")
PAD_MM = 0.8  # inner padding between a box edge and its text
LABEL_GREY = 0.92
CENTER_SHIFT = 0.36  # baseline offset (x size) that centres a CJK em box on a line's middle
PAGE_NUMBER_SPACE_MM = 18.0  # the bottom band of a sheet that holds "1/2" (and the printer's margin)


@dataclass(frozen=True)
class FillIssue:
    kind: str  # "overflow", "missing_glyph", "bad_value", "missing" (a required field is empty)
    field: str
    message: str  # English; never contains the field's value (only a missing character)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass
class FillResult:
    pdf: bytes
    issues: list[FillIssue] = field(default_factory=list)


class _Page:
    """A ReportLab canvas addressed in template millimetres from the top-left."""

    def __init__(self, c: rl_canvas.Canvas, height_mm: float):
        self.c, self.h = c, height_mm

    def y(self, y_mm: float) -> float:
        return (self.h - y_mm) * mm

    def rect(self, x: float, y: float, w: float, h: float, width: float = 0.5, fill_grey: float | None = None,
             dash: bool = False) -> None:
        c = self.c
        c.saveState()
        c.setLineWidth(width)
        if dash:
            c.setDash(1.5, 1.5)
        if fill_grey is not None:
            c.setFillGray(fill_grey)
        c.rect(x * mm, self.y(y + h), w * mm, h * mm, stroke=1 if width > 0 else 0, fill=1 if fill_grey is not None else 0)
        c.restoreState()

    def line(self, x1: float, y1: float, x2: float, y2: float, width: float = 0.5, dash: bool = False) -> None:
        c = self.c
        c.saveState()
        c.setLineWidth(width)
        if dash:
            c.setDash(1.5, 1.5)
        c.line(x1 * mm, self.y(y1), x2 * mm, self.y(y2))
        c.restoreState()

    def fitted(self, fit: TextFit, x: float, y: float, w: float, h: float, align: str) -> None:
        """Draw fitted lines centred vertically in the box, aligned horizontally."""
        if not fit.lines:
            return
        s = fit.size
        block = len(fit.lines) * s * LEADING
        top = y * mm + (h * mm - block) / 2  # points from the page top
        for i, line in enumerate(fit.lines):
            width = sum(g.width for g in line) * s
            if align == "center":
                px = x * mm + (w * mm - width) / 2
            elif align == "right":
                px = (x + w - PAD_MM) * mm - width
            else:
                px = (x + PAD_MM) * mm
            middle = top + (i + 0.5) * s * LEADING
            baseline = self.h * mm - (middle + CENTER_SHIFT * s)
            text = self.c.beginText(px, baseline)
            current = None
            for g in line:
                if g.font != current:
                    text.setFont(g.font, s)
                    current = g.font
                text.textOut(g.char)
            self.c.drawText(text)


def _draw_static(page: _Page, item: StaticItem) -> None:
    if item.kind == "line":
        page.line(item.x, item.y, item.x2, item.y2, item.line_width, item.dash)
        return
    if item.kind == "rect":
        page.rect(item.x, item.y, item.w, item.h, item.line_width, LABEL_GREY if item.fill else None, item.dash)
        if item.label_w > 0:
            page.rect(item.x, item.y, item.label_w, item.h, item.line_width, LABEL_GREY)
        if item.text:
            lw = item.label_w or item.w
            fit = fit_text(item.text, item.font, (lw - 2 * PAD_MM) * mm, item.h * mm, item.size, item.size * 0.6)
            page.fitted(fit, item.x, item.y, lw, item.h, "center" if item.label_w else item.align)
        return
    # text: a label; with w/h it is aligned in that box, else it starts at (x, y) as a line's top
    w = item.w or (page.c._pagesize[0] / mm - item.x)  # type: ignore[attr-defined]  # set by ReportLab, not in its stubs
    h = item.h or item.size * LEADING / mm
    fit = fit_text(item.text, item.font, w * mm, h * mm, item.size, item.size * 0.6)
    if item.w:
        page.fitted(fit, item.x, item.y, w, h, item.align)
    else:
        page.fitted(fit, item.x - PAD_MM, item.y, w, h, "left")


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "いいえ")
    return bool(value)


class _FieldRenderer:
    def __init__(self, page: _Page | None, data: FormData, mode: str, use_fallback: bool,
                 sheet_rows: dict[str, tuple[int, int]] | None = None):
        self.page: _Page = page  # type: ignore[assignment]  # None only when measuring rows (_sheets)
        self.data, self.plain, self.use_fallback = data, mode == "plain", use_fallback
        self.sheet_rows = sheet_rows or {}  # continuing rows field → the rows [start, end) on this sheet
        self.issues: list[FillIssue] = []

    def issue(self, f: Field, kind: str, message: str) -> None:
        self.issues.append(FillIssue(kind, f.name, message))

    def value(self, f: Field) -> Any:
        v = self.data.get(f.source) if f.source else None
        return f.value if v in (None, "") and f.value is not None else v

    def text_box(self, f: Field, text: str, x: float, y: float, w: float, h: float, align: str,
                 size: float | None = None, min_size: float | None = None, max_lines: int | None = None) -> None:
        fit = fit_text(text, f.font, (w - 2 * PAD_MM) * mm, h * mm, size or f.size, min_size or f.min_size,
                       f.max_lines if max_lines is None else max_lines, self.use_fallback)
        for m in fit.missing:
            self.issue(f, "missing_glyph", f"character {m.code_point} ({m.char}) is in no available font; printed as 〓")
        if fit.overflow:
            self.issue(f, "overflow", f"text does not fit the {w:g}x{h:g} mm box even at {fit.size:g} pt")
        self.page.fitted(fit, x, y, w, h, align)

    def draw(self, f: Field) -> None:
        getattr(self, "_" + f.type)(f, self.value(f))

    def _text(self, f: Field, value: Any) -> None:
        if isinstance(value, (list, dict)):
            self.issue(f, "bad_value", f"expected text from {f.source}, got a {type(value).__name__}")
            return
        self.text_box(f, as_text(value), f.x, f.y, f.w, f.h, f.align)

    _furigana = _text

    def _date(self, f: Field, value: Any) -> None:
        if value in (None, ""):
            return
        text = self.date_text(f, value, f.format)
        if text is not None:
            self.text_box(f, text, f.x, f.y, f.w, f.h, f.align)

    def date_text(self, f: Field, value: Any, fmt: str) -> str | None:
        try:
            d = parse_date(value)
            formats: dict[str, Callable[[date], str]] = {
                "wareki": format_wareki, "wareki_short": format_wareki_short, "yymmdd": wareki_yymmdd,
                "gregorian": lambda d: f"{d.year}年{d.month}月{d.day}日"}
            return formats[fmt](d)
        except ValueError:
            self.issue(f, "bad_value", f"{f.source or 'value'} is not a date in 和暦 range (expected YYYY-MM-DD)")
            return None

    def _comb(self, f: Field, value: Any) -> None:
        cell = f.w / f.cells
        if self.plain and f.draw_frame:
            self.page.rect(f.x, f.y, f.w, f.h, 0.5)
            for i in range(1, f.cells):
                self.page.line(f.x + i * cell, f.y, f.x + i * cell, f.y + f.h, 0.3, dash=True)
        text = as_text(value)
        if f.digits_only:
            text = "".join(ch for ch in text if ch not in "-‐−ー－ 　()（）")
        if len(text) > f.cells:
            self.issue(f, "overflow", f"{len(text)} characters for {f.cells} boxes")
            text = text[: f.cells]
        start = f.cells - len(text) if f.align == "right" else 0
        size = min(f.size, f.h * mm * 0.8, cell * mm * 0.95)
        for i, ch in enumerate(text):
            self.text_box(f, ch, f.x + (start + i) * cell, f.y, cell, f.h, "center", size, min(size, f.min_size), 1)

    def _choice(self, f: Field, value: Any) -> None:
        chosen = {as_text(v) for v in value} if isinstance(value, (list, tuple, set)) else {as_text(value)}
        known = {o.value for o in f.options}
        if value not in (None, "") and not chosen <= known:
            self.issue(f, "bad_value", f"value of {f.source or 'field'} is not one of {', '.join(sorted(known))}")
        c = self.page.c
        for o in f.options:
            if self.plain and f.draw_frame and o.label:
                self.text_box(f, o.label, o.x, o.y, o.w, o.h, "center", max_lines=1)
            if o.value in chosen:
                c.saveState()
                c.setLineWidth(0.8)
                c.ellipse(o.x * mm, self.page.y(o.y + o.h), (o.x + o.w) * mm, self.page.y(o.y), stroke=1, fill=0)
                c.restoreState()

    def _checkbox(self, f: Field, value: Any) -> None:
        if self.plain and f.draw_frame:
            self.page.rect(f.x, f.y, f.w, f.h, 0.6)
        if _truthy(value):
            c, y = self.page.c, self.page.y
            c.saveState()
            c.setLineWidth(1.2)
            path = c.beginPath()  # a hand-drawn style ✓ that does not depend on a font glyph
            path.moveTo((f.x + f.w * 0.18) * mm, y(f.y + f.h * 0.52))
            path.lineTo((f.x + f.w * 0.42) * mm, y(f.y + f.h * 0.80))
            path.lineTo((f.x + f.w * 0.85) * mm, y(f.y + f.h * 0.18))
            c.drawPath(path, stroke=1, fill=0)
            c.restoreState()

    def _rows(self, f: Field, value: Any) -> None:
        header = any(col.title for col in f.columns)
        units = int((f.h + 1e-6) // f.row_h)
        capacity = units - (1 if header else 0)
        if isinstance(value, list) and f.name in self.sheet_rows:
            start, end = self.sheet_rows[f.name]  # this sheet's share of a list that continues
            value = value[start:end]
        rows = value if isinstance(value, list) else []
        spans = self._row_spans(f, rows, capacity)
        if self.plain and f.draw_frame:
            if header:
                self.page.rect(f.x, f.y, f.w, f.row_h, 0.5, LABEL_GREY)
                for col in f.columns:
                    self.text_box(f, col.title, f.x + col.x, f.y, col.w, f.row_h, "center", 9.0, 6.0, 1)
            self.page.rect(f.x, f.y, f.w, units * f.row_h, 0.6)
            # A line under the header and under each row; a wrapped row spans several row heights.
            at = 1 if header else 0
            bounds = [at]
            for span in spans:
                at += span
                bounds.append(at)
            for i in [*bounds, *range(at + 1, units)]:
                if 0 < i < units:
                    self.page.line(f.x, f.y + i * f.row_h, f.x + f.w, f.y + i * f.row_h, 0.3)
            for col in f.columns[1:]:
                self.page.line(f.x + col.x, f.y, f.x + col.x, f.y + units * f.row_h, 0.3)
        if value in (None, ""):
            return
        if not isinstance(value, list):
            self.issue(f, "bad_value", f"{f.source} must be a list of rows")
            return
        if len(spans) < len(value):
            self.issue(f, "overflow", f"{len(value)} rows for {capacity} lines; {len(value) - len(spans)} not printed")
        top = f.y + (f.row_h if header else 0)
        for row, span in zip(value, spans):
            cells = row if isinstance(row, dict) else {f.columns[0].key: row}
            for col in f.columns:
                cell = cells.get(col.key)
                text = as_text(cell) if not (col.format and cell) else (self.date_text(f, cell, col.format) or "")
                self.text_box(f, text, f.x + col.x, top, col.w, span * f.row_h, col.align,
                              min_size=col.min_size or None, max_lines=0 if col.wrap else 1)
            top += span * f.row_h

    def _row_spans(self, f: Field, rows: list[Any], capacity: int) -> list[int]:
        """Row heights (in row_h units) of the rows that fit: a wrapping column's long text takes as many
        lines as it needs at its minimum size or more; the rows after the last that fits are not printed."""
        spans: list[int] = []
        left = capacity
        for row in rows:
            cells = row if isinstance(row, dict) else {}
            span, fits = 1, True
            for col in f.columns:
                if not col.wrap or not cells.get(col.key):
                    continue
                text = as_text(cells[col.key])

                def cut(lines: int, col: Column = col, text: str = text) -> bool:
                    return fit_text(text, f.font, (col.w - 2 * PAD_MM) * mm, lines * f.row_h * mm, f.size,
                                    col.min_size or f.min_size, 0, self.use_fallback).overflow

                while span < left and cut(span):
                    span += 1
                fits = fits and not cut(span)
            if span > left or (not fits and spans):
                break  # not printed (an overflow issue); a first row too long for the table is printed cut
            spans.append(span)
            left -= span
        return spans


def apply_calibration(c: rl_canvas.Canvas, height_mm: float, cal: Calibration) -> None:
    """Move and scale the page so template point (x, y) mm lands at (x*sx+dx, y*sy+dy) mm from the
    top-left of the paper: positive dx moves right, positive dy moves down."""
    h = height_mm * mm
    c.translate(cal.dx_mm * mm, h * (1 - cal.scale_y) - cal.dy_mm * mm)
    c.scale(cal.scale_x, cal.scale_y)


def draw_form(c: rl_canvas.Canvas, template: FormTemplate, data: FormData, mode: str = "plain",
              calibration: Calibration | None = None, use_fallback: bool = True) -> list[FillIssue]:
    """Draw one filled form on the next page(s) of ``c`` (a ``continues`` table too long for one sheet
    goes on to more); return the issues found."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    from dxdesk.forms.checks import data_issues  # checks builds on FillIssue from this module

    issues = data_issues(template, data)
    sheets = _sheets(template, data, use_fallback)
    for number, rows in enumerate(sheets):
        for issue in _draw_sheet(c, template, data, mode, calibration, use_fallback, rows, number, len(sheets)):
            if issue not in issues:  # the fields repeated on a continuation sheet report once
                issues.append(issue)
    return issues


def _sheets(template: FormTemplate, data: FormData, use_fallback: bool) -> list[dict[str, tuple[int, int]]]:
    """For each sheet, the rows [start, end) of every ``continues`` field drawn on it (one sheet when all fit)."""
    measure = _FieldRenderer(None, data, "plain", use_fallback)  # _row_spans measures text, draws nothing
    ranges: dict[str, list[tuple[int, int]]] = {}
    for f in template.fields:
        rows = measure.value(f) if f.continues else None
        if not isinstance(rows, list):
            continue
        header = 1 if any(col.title for col in f.columns) else 0
        start, ranges[f.name] = 0, []
        while start < len(rows):
            table = _continued(f, template, len(ranges[f.name]))
            capacity = int((table.h + 1e-6) // table.row_h) - header
            # At least one row a sheet: a row too long for a whole table is printed cut (an overflow issue).
            end = start + max(1, len(measure._row_spans(table, rows[start:], capacity)))
            ranges[f.name].append((start, end))
            start = end
    count = max((len(r) for r in ranges.values()), default=1)
    return [{name: r[i] if i < len(r) else (0, 0) for name, r in ranges.items()} for i in range(count)]


def _continued(f: Field, template: FormTemplate, number: int) -> Field:
    """The table as drawn on sheet ``number``: from the second sheet on it runs down to the page number
    (nothing else is below it there), so a long list takes as few sheets as it can."""
    if number == 0 or not f.continues:
        return f
    units = int((template.height_mm - PAGE_NUMBER_SPACE_MM - f.y) // f.row_h)
    return replace(f, h=max(f.h, units * f.row_h))


def _draw_sheet(c: rl_canvas.Canvas, template: FormTemplate, data: FormData, mode: str,
                calibration: Calibration | None, use_fallback: bool, rows: dict[str, tuple[int, int]],
                number: int, count: int) -> list[FillIssue]:
    """One sheet. A continuation sheet repeats what is above the continuing table (title, name, date)
    and the table with its header; what is below the table (other tables, contact) is on the first only."""
    c.saveState()
    if calibration is not None:
        apply_calibration(c, template.height_mm, calibration)
    page = _Page(c, template.height_mm)
    top = min((f.y for f in template.fields if f.continues), default=template.height_mm)

    def on_sheet(y: float, continuing: bool = False) -> bool:
        return number == 0 or continuing or y < top

    if mode == "plain":
        for item in template.static:
            if on_sheet(min(item.y, item.y2) if item.kind == "line" else item.y):
                _draw_static(page, item)
    renderer = _FieldRenderer(page, data, mode, use_fallback, rows)
    for f in template.fields:
        if on_sheet(f.y, f.continues):
            renderer.draw(_continued(f, template, number))
    if count > 1:  # "1/2" in the bottom corner of every sheet: the resident knows there is more
        _draw_static(page, StaticItem("text", x=15, y=template.height_mm - PAGE_NUMBER_SPACE_MM + 4,
                                      w=template.width_mm - 30, h=6, text=f"{number + 1}/{count}", size=10,
                                      align="right"))
    c.restoreState()
    if training.active():  # 研修モード: every printed page says 見本 (also on pre-printed stock)
        training.draw_sample_mark(c, template.width_mm * mm, template.height_mm * mm)
    c.showPage()
    return renderer.issues


def render_form(template: FormTemplate, data: FormData, mode: str = "plain",
                calibration: Calibration | None = None, use_fallback: bool = True) -> FillResult:
    """Fill one template and return the PDF bytes with the issues (overflow, missing glyphs)."""
    buf = io.BytesIO()
    c = new_canvas(buf, (template.width_mm * mm, template.height_mm * mm))
    c.setTitle(template.title)
    c.setCreator("dxdesk")
    issues = draw_form(c, template, data, mode, calibration, use_fallback)
    c.save()
    log.info("filled form %s (%s mode): %d issue(s)", template.id, mode, len(issues))
    return FillResult(buf.getvalue(), issues)
