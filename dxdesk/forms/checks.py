"""Checking form data the way a clerk would before handing a form over (issues, never crashes).

The renderer reports what cannot be drawn (overflow, missing glyphs); these checks report what
should not be printed as it is: a required field left empty (the template says ``required = true``),
an individual number that is not 12 digits with a valid check digit, and a birth date in the
future or before 明治 (no 和暦 for it). Messages name the field and never hold the value.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from dxdesk.cardreader.model import is_valid_my_number
from dxdesk.forms.data import FormData, as_text
from dxdesk.forms.render import FillIssue
from dxdesk.forms.template import Field, FormTemplate
from dxdesk.timeutil import local_today
from dxdesk.wareki import parse_date, to_wareki

MY_NUMBER_SEPARATORS = "-‐−ー－ 　"


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not (value.strip() if isinstance(value, str) else value))


def _today(data: FormData) -> _dt.date:
    try:
        return parse_date(data.computed.get("today")) if data.computed.get("today") else local_today()
    except ValueError:
        return local_today()


def my_number_problem(value: Any) -> str | None:
    """Why a value cannot be printed as an individual number, or None when it can (English)."""
    digits = "".join(ch for ch in as_text(value) if ch not in MY_NUMBER_SEPARATORS)
    if not (len(digits) == 12 and digits.isascii() and digits.isdigit()):
        return "the individual number must be 12 digits"
    if not is_valid_my_number(digits):
        return "the individual number fails its check digit (a digit is mistyped)"
    return None


def birth_date_problem(value: Any, today: _dt.date) -> str | None:
    """Why a value is not a plausible birth date to print in 和暦, or None (English)."""
    try:
        born = parse_date(value)
        to_wareki(born)
    except ValueError:
        return "the birth date is not a date in the 和暦 table (明治 onwards, written YYYY-MM-DD)"
    if born > today:
        return "the birth date is in the future"
    return None


def _is_birth_date(source: str) -> bool:
    return source.rsplit(".", 1)[-1] == "birth_date"


def data_issues(template: FormTemplate, data: FormData) -> list[FillIssue]:
    """Required fields, individual numbers and birth dates of this template's fields."""
    issues: list[FillIssue] = []
    today = _today(data)
    for f in template.fields:
        value = data.get(f.source) if f.source else None
        if _empty(value):
            if f.required and f.value is None:
                issues.append(FillIssue("missing", f.name, f"{f.name} is required ({f.source}) but empty"))
            continue
        if f.allow_my_number:
            problem = my_number_problem(value)
            if problem:
                issues.append(FillIssue("bad_value", f.name, problem))
        if _is_birth_date(f.source):
            problem = birth_date_problem(value, today)
            if problem:
                issues.append(FillIssue("bad_value", f.name, problem))
        issues.extend(_row_issues(f, value, today))
    return issues


def _row_issues(f: Field, value: Any, today: _dt.date) -> list[FillIssue]:
    if f.type != "rows" or not isinstance(value, list):
        return []
    issues = []
    for i, row in enumerate(value, 1):
        if not isinstance(row, dict):
            continue
        for col in f.columns:
            if _is_birth_date(col.key) and not _empty(row.get(col.key)):
                problem = birth_date_problem(row[col.key], today)
                if problem:
                    issues.append(FillIssue("bad_value", f"{f.name}[{i}].{col.key}", problem))
    return issues
