"""The visit's forms as one PDF (Qt-free: runs on a worker thread).

``visit_form_payload`` is built on the GUI thread (the Visit is not thread-safe);
``render_visit_pdf`` then draws every form of the visit, the 手続き案内票 last, into
one document the clerk previews and prints in one go.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from dxdesk.config import Calibration, Settings
from dxdesk.counter import Visit, build_form_data, guide_sheet_data
from dxdesk.counter.visit import GUIDE_SHEET_FORM
from dxdesk.forms import FormData, FillIssue, find_template
from dxdesk.forms.calibration import calibration_for
from dxdesk.forms.pdfcanvas import new_canvas
from dxdesk.forms.printing import cups_available
from dxdesk.forms.template import FormTemplate
from dxdesk.forms.render import draw_form
from dxdesk.timeutil import to_desk


@dataclass
class FormsPayload:
    forms: tuple[str, ...]
    data: dict[str, dict[str, dict[str, Any]]]  # form id → that form's card/interview/computed
    guide: dict[str, dict[str, Any]]
    today: date
    mode: str = "plain"
    calibration: Calibration | None = None  # the printer's offset/scale (settings.forms.calibrations)
    municipality: str = ""
    visit_id: str = ""
    qr_codes: bool = False  # [handoff] qr: each form's record as a QR code in its template's [qr] corner


@dataclass(frozen=True)
class VisitPdf:
    pdf: bytes
    forms: tuple[str, ...]
    pages: dict[str, int]  # form id → first page (0-based)
    issues: tuple[FillIssue, ...]
    # form id → the data it was drawn from: what the hand-off record of that form says (CounterVisits.record_printed)
    filled: dict[str, FormData] = field(default_factory=dict)


@dataclass(frozen=True)
class PrinterJob:
    printer: str  # the queue the clerk chose ("" for a file printer)
    document: VisitPdf  # drawn with that printer's calibration
    to_cups: bool  # hand the PDF itself to CUPS (else Qt prints it in raster bands)


def printer_job(settings: Settings, payload: FormsPayload, shown: VisitPdf, printer: str, queue: bool) -> PrinterJob:
    """What goes to the printer the clerk actually chose.

    The preview was drawn with the configured printer's calibration; a different printer gets its
    own (or none), so the visit is drawn again for it. ``queue`` is False for a file printer
    (print to PDF), which has no spooler to hand the PDF to.
    """
    calibration = calibration_for(settings, printer) if printer else None
    if (calibration or Calibration()) == (payload.calibration or Calibration()):
        document = shown
    else:
        document = render_visit_pdf(replace(payload, calibration=calibration))
    return PrinterJob(printer, document, queue and bool(printer) and cups_available())


def _local_time(value: datetime | None) -> str:
    return to_desk(value).strftime("%H:%M") if value else ""


def visit_form_payload(visit: Visit, today: date, mode: str = "plain",
                       calibration: Calibration | None = None, municipality: str = "",
                       qr_codes: bool = False) -> FormsPayload:
    # Per form: each template reads its own interview keys (the procedures' [form_map] tables).
    forms = tuple(f for f in visit.forms_to_print if f != GUIDE_SHEET_FORM)
    data = {form_id: build_form_data(visit, form_id) for form_id in forms}
    base = build_form_data(visit)
    sheet = guide_sheet_data(visit)
    purposes = "、".join(p["name_ja"] for p in sheet["procedures"])
    # The 手続き案内票 is a printed Japanese document handed to the resident (like the forms themselves,
    # which use the core's *_ja fields): its texts stay Japanese whatever the UI language.
    guide_interview = {
        "procedures": [
            {"name": p["name_ja"], "status": "受付済", "next_window": p["counter_ja"].split("（")[-1].rstrip("）"),  # i18n: ja-only
             "note": p["counter_ja"]}
            for p in sheet["procedures"]
        ] + [
            {"name": s["name_ja"], "status": "ご案内", "next_window": "", "note": f"必要なら {s['counter_ja']} へ"}  # i18n: ja-only
            for s in sheet["suggested"]
        ],
        "card_items_read": [
            {"item": i["label_ja"], "purpose": purposes, "time": _local_time(sheet["card_read_at"])}
            for i in sheet["card_items_read"]
        ],
    }
    guide = {"card": {"name": base["card"]["name"]}, "interview": guide_interview,
             "computed": {**base["computed"], "contact": f"{visit.desk_name or visit.desk_id}（{sheet['identify_method_ja']}）"}}  # i18n: ja-only
    return FormsPayload(visit.forms_to_print, data, guide, today, mode, calibration, municipality, visit.id, qr_codes)


def form_fill_data(payload: FormsPayload, form_id: str) -> FormData:
    """The data one form of the payload is drawn from, computed values included (also the hand-off record's)."""
    raw = payload.guide if form_id == GUIDE_SHEET_FORM else payload.data[form_id]
    return FormData.from_dict(raw).with_computed(today=payload.today, municipality=payload.municipality)


def _draw_qr(c: Canvas, template: FormTemplate, data: FormData, visit_id: str) -> None:
    """The form's hand-off record as a QR code in its reserved corner (same fields and checksum as the folder's)."""
    from dxdesk.handoff.qr import draw_record_qr
    from dxdesk.handoff.record import build_record

    record = build_record(template, data, visit_id=visit_id, desk_id="", desk_name="", clerk="",
                          printed_at=datetime.now().astimezone())  # only form, version, visit and fields go in the code
    draw_record_qr(c, template, record)


def render_visit_pdf(payload: FormsPayload) -> VisitPdf:
    buf = io.BytesIO()
    c = new_canvas(buf)  # embedded fonts only, non-BMP text extractable
    c.setTitle("受付の帳票")  # i18n: ja-only (PDF metadata)
    c.setCreator("dxdesk")
    issues: list[FillIssue] = []
    pages: dict[str, int] = {}
    filled: dict[str, FormData] = {}
    for form_id in payload.forms:
        template = find_template(form_id)
        c.setPageSize((template.width_mm * mm, template.height_mm * mm))
        data = form_fill_data(payload, form_id)
        filled[form_id] = data
        # The guide sheet is always drawn whole: it goes on plain paper, never on pre-printed stock.
        mode = "plain" if form_id == GUIDE_SHEET_FORM else payload.mode
        pages[form_id] = c.getPageNumber() - 1  # a form may take more than one sheet (a continued table)
        if payload.qr_codes and template.qr is not None and form_id != GUIDE_SHEET_FORM:
            _draw_qr(c, template, data, payload.visit_id)
        # Calibration belongs to the printer, so every page of the job gets the same correction.
        issues.extend(draw_form(c, template, data, mode, payload.calibration))
    c.save()
    return VisitPdf(buf.getvalue(), payload.forms, pages, tuple(issues), filled)
