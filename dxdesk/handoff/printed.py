"""A filled form's values as printed: the same resolution and formatting the renderer applies.

Per field type: text and furigana as their text; a date in the field's format (令和…年…月…日);
a comb's characters after its digit filter, cut to its boxes; a choice as the label(s) circled;
a checkbox as true/false; rows as the cells of the lines that fit. The individual number
appears only through a field allowed to print it (``allow_my_number``), and only when the
data holds it, like on paper.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from dxdesk.forms.data import FormData, as_text
from dxdesk.forms.render import _truthy  # the renderer's own test: the record ticks what the page ticks
from dxdesk.forms.template import MY_NUMBER_SOURCE, Field, FormTemplate
from dxdesk.wareki import format_wareki, format_wareki_short, parse_date, wareki_yymmdd

def _gregorian(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


_DATE_FORMATS: dict[str, Callable[[date], str]] = {
    "wareki": format_wareki, "wareki_short": format_wareki_short, "yymmdd": wareki_yymmdd, "gregorian": _gregorian}
_COMB_DROPPED = "-‐−ー－ 　()（）"  # what a digits-only comb leaves out (dxdesk.forms.render)


def field_value(f: Field, data: FormData) -> Any:
    """The raw value a field draws: its source, else its constant (render.py's _FieldRenderer.value)."""
    v = data.get(f.source) if f.source else None
    return f.value if v in (None, "") and f.value is not None else v


def _date_text(value: Any, fmt: str) -> str:
    if value in (None, ""):
        return ""
    try:
        return _DATE_FORMATS[fmt](parse_date(value))
    except ValueError:
        return ""  # not printed either (reported as a fill issue)


def printed_value(f: Field, data: FormData) -> Any:
    """The value of one field as it appears on the page (str, bool, or a list of row dicts for ``rows``)."""
    value = field_value(f, data)
    if f.type in ("text", "furigana"):
        return "" if isinstance(value, (list, dict)) else as_text(value)
    if f.type == "date":
        return _date_text(value, f.format)
    if f.type == "comb":
        text = as_text(value)
        if f.digits_only:
            text = "".join(ch for ch in text if ch not in _COMB_DROPPED)
        return text[: f.cells]
    if f.type == "choice":
        chosen = {as_text(v) for v in value} if isinstance(value, (list, tuple, set)) else {as_text(value)}
        return "、".join(o.label or o.value for o in f.options if o.value in chosen)
    if f.type == "checkbox":
        return _truthy(value)
    if f.type == "rows":
        if not isinstance(value, list):
            return []
        header = any(col.title for col in f.columns)
        capacity = int((f.h + 1e-6) // f.row_h) - (1 if header else 0)
        rows = []
        for row in value[:capacity]:
            cells = row if isinstance(row, dict) else {f.columns[0].key: row}
            rows.append({col.key: (_date_text(cells.get(col.key), col.format) if col.format and cells.get(col.key)
                                   else as_text(cells.get(col.key))) for col in f.columns})
        return rows
    raise ValueError(f"unknown field type {f.type!r}")


def printed_values(template: FormTemplate, data: FormData) -> dict[str, Any]:
    """Every field of ``template`` in template order: name -> value as printed."""
    return {f.name: printed_value(f, data) for f in template.fields}


def prints_my_number(template: FormTemplate, data: FormData) -> bool:
    """True when this form, filled from ``data``, printed the individual number."""
    return any(f.allow_my_number and f.source == MY_NUMBER_SOURCE and printed_value(f, data)
               for f in template.fields)
