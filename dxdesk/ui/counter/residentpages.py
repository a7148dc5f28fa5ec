"""Pages of the resident's confirmation view: rows laid out in large type, split into screen-high pages.

Why pages and not a scroll area: a 75-year-old does not see that a list scrolls (at 1366×768 only 4
of about 20 rows showed, with no cue). Each page holds what fits; a section that goes on to the
next page repeats its heading with 「（つづき）」. Lines break only between phrases (BudouX) or
English words, never inside a word (「世帯主との続/柄」).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from dxdesk.counter.residentview import ResidentRow, ResidentSection, phrases
from dxdesk.i18n import current_language, tr
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.theme import NAVY
from dxdesk.wareki import format_wareki

LABEL_PT = 24
VALUE_PT = 28
NAME_PT = 32
RUBY_PT = 16  # furigana: the one text below 24 pt, as on a printed form (the issue asks ≥ 14)
HEADING_PT = 26
PAGE_MARGIN = 24
ROW_GAP = 10
RUBY_OBJECT_NAME = "furigana"


def wrap_phrases(text: str, font: QFont, width: int) -> str:
    """``text`` with newlines between phrases so that no line is wider than ``width`` (if a phrase allows)."""
    metrics = QFontMetrics(font)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for phrase in phrases(paragraph):
            if line and metrics.horizontalAdvance((line + phrase).rstrip()) > width:
                lines.append(line)  # a trailing space stays: without the newlines the text is unchanged
                line = ""
            line += phrase
        lines.append(line)
    return "\n".join(lines)


def display_value(row: ResidentRow, language: str) -> str:
    text = row.value.text(language)
    if row.is_date:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return text
        return format_wareki(day) if language != "en" else f"{day:%d %B %Y}".lstrip("0")
    return text


@dataclass
class Block:
    """One piece of a page: a section heading or a row; ``keys`` names the rows it shows."""

    widget: QWidget
    height: int
    keys: tuple[str, ...] = ()
    heading_of: ResidentSection | None = None


def heading_block(section: ResidentSection, width: int, continued: bool, parent: QWidget) -> Block:
    text = section.heading.text() + (tr("（つづき）") if continued else "")
    font = ui_font(HEADING_PT, bold=True)
    label = QLabel(wrap_phrases(text, font, width - 24), parent)
    label.setFont(font)
    label.setStyleSheet(f"background: {NAVY}; color: white; padding: 6px 12px;")
    label.setAccessibleName(text)
    return Block(label, label.sizeHint().height(), heading_of=section)


def row_block(row: ResidentRow, width: int, parent: QWidget) -> Block:
    """Label and value side by side on a wide screen, the label above the value on a narrow one."""
    language = current_language()
    side_by_side = width >= 900
    label_width = int(width * 0.38) if side_by_side else width
    value_width = width - label_width - 24 if side_by_side else width
    box = QWidget(parent)
    layout: QHBoxLayout | QVBoxLayout = QHBoxLayout(box) if side_by_side else QVBoxLayout(box)
    layout.setContentsMargins(0, 2, 0, 8)  # air above the rule under each row
    layout.setSpacing(24 if side_by_side else 2)
    label_font = ui_font(LABEL_PT)
    label = QLabel(wrap_phrases(row.label.text(), label_font, label_width), box)
    label.setFont(label_font)
    label.setStyleSheet("color: #222;")
    label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    if side_by_side:
        label.setFixedWidth(label_width)
    value_box = QWidget(box)
    values = QVBoxLayout(value_box)
    values.setContentsMargins(0, 0, 0, 0)
    values.setSpacing(0)
    if row.reading:
        ruby = QLabel(row.reading, value_box)  # furigana above the name, as on Japanese forms
        ruby.setObjectName(RUBY_OBJECT_NAME)
        ruby.setFont(ui_font(RUBY_PT))
        ruby.setStyleSheet("color: #000;")
        ruby.setAccessibleName(tr("ふりがな"))
        values.addWidget(ruby)
    value_font = ui_font(NAME_PT if row.reading else VALUE_PT, bold=True)
    value = QLabel(wrap_phrases(display_value(row, language), value_font, value_width), value_box)
    value.setFont(value_font)
    value.setStyleSheet("color: #000;")
    value.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    values.addWidget(value)
    layout.addWidget(label)
    layout.addWidget(value_box, 1)
    box.setStyleSheet("QWidget#row { border-bottom: 2px solid #c9d2dc; }")
    box.setObjectName("row")
    return Block(box, box.sizeHint().height(), keys=(row.key,))


def paginate(sections: list[ResidentSection], width: int, height: int, parent: QWidget) -> list[QWidget]:
    """Pages of ``parent`` (not shown yet), each no higher than ``height`` unless one row alone is."""
    inner = max(width - 2 * PAGE_MARGIN, 200)
    pages: list[list[Block]] = [[]]
    used = 0
    for section in sections:
        continued = False
        pending_heading: Block | None = heading_block(section, inner, False, parent)
        for row in section.rows:
            block = row_block(row, inner, parent)
            need = block.height + ROW_GAP + (pending_heading.height + ROW_GAP if pending_heading else 0)
            if pages[-1] and used + need > height:
                pages.append([])
                used = 0
                if pending_heading is None:  # the section goes on: say so at the top of the new page
                    continued = True
                    pending_heading = heading_block(section, inner, continued, parent)
            if pending_heading is not None:
                pages[-1].append(pending_heading)
                used += pending_heading.height + ROW_GAP
                pending_heading = None
            pages[-1].append(block)
            used += block.height + ROW_GAP
        if pending_heading is not None:  # a section without rows is not shown at all
            pending_heading.widget.deleteLater()
    out = []
    for blocks in pages:
        page = QWidget(parent)
        page.setObjectName("residentPage")
        # Laid out for the size it was given: it must never make the window grow (Ignored: no minimum).
        page.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(PAGE_MARGIN, 0, PAGE_MARGIN, 0)
        layout.setSpacing(ROW_GAP)
        keys: list[str] = []
        for block in blocks:
            block.widget.setParent(page)
            layout.addWidget(block.widget)
            keys.extend(block.keys)
        layout.addStretch(1)
        page.setProperty("rowKeys", keys)
        out.append(page)
    return out
