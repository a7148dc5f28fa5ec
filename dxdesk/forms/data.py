"""What a form is filled from: card, interview and computed values, addressed by source strings.

A source is ``namespace.key`` (``card.name``, ``interview.phone``, ``computed.today``);
keys may be dotted to reach into nested dicts (``interview.previous.address``).
``computed`` holds values derived here (today's date and its 和暦, birth date in 和暦,
age) plus anything the caller adds (desk name, municipality, counter number).
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from dxdesk.timeutil import local_today
from dxdesk.wareki import format_wareki, parse_date


MAX_DEPTH = 8  # card/interview/computed → a rows list → a row → a cell: real data is 4 deep
MAX_TEXT = 2000  # characters in one value: the longest box holds a few hundred
MAX_ITEMS = 500  # entries in one object or list (rows, keys)


def check_bounds(node: Any, path: str = "", depth: int = 0) -> None:
    """Refuse data no form could hold before any layout work: a ValueError naming the field."""
    where = path or "the data"
    if depth > MAX_DEPTH:
        raise ValueError(f"{where} is nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, str):
        if len(node) > MAX_TEXT:
            raise ValueError(f"{where} has {len(node)} characters; a form field holds at most {MAX_TEXT}")
    elif isinstance(node, (dict, list)):
        if len(node) > MAX_ITEMS:
            raise ValueError(f"{where} has {len(node)} entries; at most {MAX_ITEMS} are accepted")
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            check_bounds(value, f"{path}.{key}" if path else str(key), depth + 1)


def age_on(birth: _dt.date, today: _dt.date) -> int:
    """Completed years on ``today`` (満年齢); the birthday itself counts as the new age."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


@dataclass
class FormData:
    """card: family_name, given_name, name, address, birth_date (ISO), sex ('1' male, '2' female),
    my_number (only when the procedure requires it). interview: anything asked at the counter.
    computed: derived values; :meth:`with_computed` fills the standard ones."""

    card: dict[str, Any] = field(default_factory=dict)
    interview: dict[str, Any] = field(default_factory=dict)
    computed: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FormData":
        check_bounds(data)
        unknown = set(data) - {"card", "interview", "computed"}
        if unknown:
            raise ValueError(f"unknown section(s) {', '.join(sorted(unknown))}: use card, interview, computed")
        parts = {k: data.get(k) or {} for k in ("card", "interview", "computed")}
        for k, v in parts.items():
            if not isinstance(v, dict):
                raise ValueError(f"section '{k}' must be an object")
        return cls(**parts)

    def with_computed(self, today: _dt.date | None = None, **extra: Any) -> "FormData":
        """A copy with the standard computed values; explicit ``computed`` entries win."""
        today = today or local_today()  # the desk's calendar, not the PC's zone
        computed: dict[str, Any] = {"today": today, "today_wareki": format_wareki(today)}
        card = dict(self.card)
        if not card.get("name") and (card.get("family_name") or card.get("given_name")):
            card["name"] = f"{card.get('family_name', '')}\u3000{card.get('given_name', '')}".strip("\u3000")
        birth = card.get("birth_date")
        if birth:
            try:
                b = parse_date(birth)
                wareki = format_wareki(b)  # inside the try: a date before 明治 has no 和暦 (checks report it)
            except ValueError:
                pass  # reported by dxdesk.forms.checks and when a date field renders it
            else:
                computed["birth_date_wareki"] = wareki
                computed["age"] = age_on(b, today)
        computed.update(extra)
        computed.update(self.computed)
        return FormData(card, dict(self.interview), computed)

    def get(self, source: str) -> Any:
        """The value at a source string, or None when absent."""
        ns, _, key = source.partition(".")
        node: Any = {"card": self.card, "interview": self.interview, "computed": self.computed}.get(ns)
        for part in key.split("."):
            if not isinstance(node, dict):
                return None
            node = node.get(part)
        return node


def as_text(value: Any) -> str:
    """Display text for a scalar value: None -> '', True -> '1', 2.0 -> '2'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
