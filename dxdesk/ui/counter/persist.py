"""Closed visit → store rows (Visit, VisitStep, FormPrinted) and audit events. Qt-free.

The functions here run on the store's writer thread (``store_record_job``) or on a
worker (audit appends wait for the writer), never on the GUI thread.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from dxdesk.counter import IdentifyMethod, TimelineEvent, VisitRecord
from dxdesk.counter.timing import EventKind, VisitStep

# The store's CHECK constraints (dxdesk.store.models IDENTIFY_METHODS, VISIT_STATUSES) spell the
# methods and outcomes their own way. Renaming either side would change a migration or the journal
# format, so the translation lives here; tests/ui/counter/test_persist.py keeps it complete.
STORE_METHODS = {IdentifyMethod.CARD_PIN.value: "pin", IdentifyMethod.CARD_MATCHING_B.value: "code_b",
                 IdentifyMethod.MANUAL.value: "manual"}
STORE_STATUS = {"completed": "closed", "cancelled": "abandoned"}  # VisitRecord.outcome (counter.record.OUTCOMES)


def step_spans(timeline: Sequence[TimelineEvent], record: VisitRecord) -> list[tuple[str, datetime, datetime, int]]:
    """(step, first entered, last left, active seconds) for each step the visit went through."""
    spans: dict[str, list[datetime]] = {}
    current: str | None = None
    for event in timeline:
        if event.kind in (EventKind.ENTER, EventKind.CLOSE) and current is not None:
            spans[current][1] = event.at
        if event.kind is EventKind.ENTER:
            current = event.step.value
            spans.setdefault(current, [event.at, event.at])
        elif event.kind is EventKind.CLOSE:
            current = None
    return [(step, start, end, round(record.step_seconds.get(step, 0.0))) for step, (start, end) in spans.items()
            if step != VisitStep.CLOSED.value]


def store_record_job(record: VisitRecord, timeline: Sequence[TimelineEvent], print_mode: str, printer: str | None):
    """A DbWriter job (one transaction) writing the visit, its steps and its printed forms."""

    def job(orm: Any) -> str:
        from dxdesk.store import models

        if orm.get(models.Visit, record.visit_id) is not None:
            # Stored before, but the journal entry survived (the app closed before the answer came
            # back): storing it again must not fail forever on the primary key.
            return record.visit_id
        retained = record.retained
        visit = models.Visit(
            id=record.visit_id, clerk_id=record.clerk_id, status=STORE_STATUS[record.outcome],
            started_at=record.started_at, closed_at=record.closed_at,
            identify_method=STORE_METHODS[record.identify_method] if record.identify_method else None, procedures=list(record.procedures),
            resident_name=retained.get("name"), resident_kana=retained.get("name_kana"),
            address=retained.get("address"), birth_date=retained.get("birth_date"),
            my_number=retained.get("my_number"), answers=None, total_seconds=round(record.total_seconds),
        )
        orm.add(visit)
        for step, start, end, seconds in step_spans(timeline, record):
            orm.add(models.VisitStep(visit_id=record.visit_id, step=step, started_at=start, ended_at=end, seconds=seconds))
        for form_id in record.forms_printed:
            orm.add(models.FormPrinted(visit_id=record.visit_id, form_id=form_id, mode=print_mode,
                                       printed_at=record.closed_at, printer=printer))
        return record.visit_id

    return job


def card_read_entry(clerk_id: str, visit_id: str, method: IdentifyMethod, items_read: Sequence[str],
                    simulated: bool, jimu_type: str = "", reason: str = ""):
    from dxdesk.security.audit import AuditEntry, EventType, Item

    items = [Item.BASIC4]
    if "my_number" in items_read:
        items.append(Item.MY_NUMBER)
    if method is IdentifyMethod.CARD_MATCHING_B:
        items.append(Item.PINLESS)
    return AuditEntry(
        event_type=EventType.CARD_READ, actor=clerk_id, jimu_type=jimu_type, reason=reason, items=tuple(items),
        details={"visit_id": visit_id, "method": method.value, "simulated": simulated},
    )


def print_entry(clerk_id: str, visit_id: str, forms: Sequence[str], pages: int):
    from dxdesk.security.audit import AuditEntry, EventType

    return AuditEntry(event_type=EventType.PRINT, actor=clerk_id,
                      details={"visit_id": visit_id, "forms": list(forms), "pages": pages})
