"""The closed-visit record handed to the store: plain data, no card data unless a procedure keeps it."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


# How a visit ends (Visit.close / Visit.cancel). The store spells them its own way
# (closed / abandoned): dxdesk/app/visit_records.py maps them.
OUTCOMES: tuple[str, ...] = ("completed", "cancelled")


@dataclass(frozen=True)
class VisitRecord:
    """What remains of a visit once it is closed.

    ``retained`` holds personal values (card field → text) only for fields some chosen
    procedure lists in ``retain``; ``my_number`` only if one of them requires it.
    The store must encrypt ``retained``; everything else is non-personal.
    """

    visit_id: str
    clerk_id: str
    desk_id: str
    outcome: str  # one of OUTCOMES
    procedures: tuple[str, ...]
    identify_method: str | None  # IdentifyMethod value; None if cancelled before identification
    started_at: datetime
    closed_at: datetime
    step_seconds: dict[str, float]
    total_seconds: float  # wall clock, start → close
    active_seconds: float  # sum of step_seconds (suspensions excluded)
    suspended_seconds: float
    suspensions: int
    forms_printed: tuple[str, ...]
    card_items_read: tuple[str, ...]  # names such as "name", "my_number": never values
    retained: dict[str, str] = field(default_factory=dict)
    cancel_reason: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["closed_at"] = self.closed_at.isoformat()
        for key in ("procedures", "forms_printed", "card_items_read"):
            data[key] = list(data[key])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "VisitRecord":
        values = dict(data)
        values["started_at"] = datetime.fromisoformat(values["started_at"])
        values["closed_at"] = datetime.fromisoformat(values["closed_at"])
        for key in ("procedures", "forms_printed", "card_items_read"):
            values[key] = tuple(values[key])
        return cls(**values)
