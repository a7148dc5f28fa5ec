"""Closed visit → store rows (Visit, VisitStep, FormPrinted) and the counter's audit entries.

``store_record_rows`` runs inside a store writer job (:class:`dxdesk.app.visits.CounterVisits`
adds the ``visit.close`` audit event to the same transaction); the ``*_entry`` functions
build the audit entries for card reads, prints and stored visits (item names and ids only).
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session as OrmSession

from dxdesk.counter import IdentifyMethod, TimelineEvent, VisitRecord
from dxdesk.counter.timing import EventKind, VisitStep
from dxdesk.security.audit import AuditEntry, EventType, Item

# The store's CHECK constraints (dxdesk.store.models IDENTIFY_METHODS, VISIT_STATUSES) spell the
# methods and outcomes their own way. Renaming either side would change a migration or the journal
# format, so the translation lives here; tests/app/test_visit_records.py keeps it complete.
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


def store_record_rows(orm: OrmSession, record: VisitRecord, timeline: Sequence[TimelineEvent], print_mode: str,
                      printer: str | None) -> bool:
    """Add the visit, its steps and its printed forms to ``orm``; False if the visit was stored before."""
    from dxdesk.store import models

    if orm.get(models.Visit, record.visit_id) is not None:
        # Stored before, but the journal entry survived (the app closed before the answer came
        # back): storing it again must not fail forever on the primary key.
        return False
    retained = record.retained
    visit = models.Visit(
        id=record.visit_id, clerk_id=record.clerk_id, status=STORE_STATUS[record.outcome],
        started_at=record.started_at, closed_at=record.closed_at,
        identify_method=STORE_METHODS[record.identify_method] if record.identify_method else None,
        procedures=list(record.procedures),
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
    return True


def card_read_entry(clerk_id: str, visit_id: str, method: IdentifyMethod, items_read: Sequence[str],
                    simulated: bool, jimu_type: str = "", reason: str = "") -> AuditEntry:
    items = [Item.BASIC4]
    if "my_number" in items_read:
        items.append(Item.MY_NUMBER)
    if method is IdentifyMethod.CARD_MATCHING_B:
        items.append(Item.PINLESS)
    if "face_photo" in items_read:  # the clerk compared the chip's photo: named, never its content
        items.append(Item.FACE_PHOTO)
    return AuditEntry(
        event_type=EventType.CARD_READ, actor=clerk_id, jimu_type=jimu_type, reason=reason, items=tuple(items),
        details={"visit_id": visit_id, "method": method.value, "simulated": simulated},
    )


def print_entry(clerk_id: str, visit_id: str, forms: Sequence[str], pages: int) -> AuditEntry:
    return AuditEntry(event_type=EventType.PRINT, actor=clerk_id,
                      details={"visit_id": visit_id, "forms": list(forms), "pages": pages})


def visit_close_entry(actor: str, record: VisitRecord) -> AuditEntry:
    """The stored visit: outcome, procedures, method and counts; the retained fields by name only."""
    return AuditEntry(
        event_type=EventType.VISIT_CLOSE, actor=actor, items=tuple(sorted(record.retained)),
        details={"visit_id": record.visit_id, "outcome": STORE_STATUS[record.outcome],
                 "procedures": list(record.procedures), "method": record.identify_method or "",
                 "forms_printed": len(record.forms_printed), "clerk_id": record.clerk_id},
    )
