"""The calibration applied is that of the printer the clerk actually chose, not the configured one."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from dxdesk.app.formpdf import FormsPayload, printer_job, render_visit_pdf
from dxdesk.config import Calibration, load_settings

DATA = Path(__file__).parents[1] / "forms" / "data" / "resident.json"


def _payload(calibration: Calibration | None) -> FormsPayload:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return FormsPayload(("juminhyo_request", "guide_sheet"), {"juminhyo_request": raw}, raw, date(2025, 4, 1),
                        calibration=calibration)


def test_the_chosen_printers_calibration_is_drawn_not_the_configured_one():
    settings = load_settings()
    settings.forms.printer = "窓口A"
    settings.forms.calibrations["窓口A"] = Calibration(dx_mm=3.0)
    settings.forms.calibrations["窓口B"] = Calibration(dy_mm=-2.0)
    payload = _payload(settings.forms.calibrations["窓口A"])  # what the print step previews
    shown = render_visit_pdf(payload)
    same = printer_job(settings, payload, shown, "窓口A", queue=False)
    assert same.document is shown and not same.to_cups
    other = printer_job(settings, payload, shown, "窓口B", queue=False)
    assert other.document.pdf == render_visit_pdf(replace(payload, calibration=Calibration(dy_mm=-2.0))).pdf
    assert other.document.pdf != shown.pdf
    uncalibrated = printer_job(settings, payload, shown, "窓口C", queue=False)  # none stored: no correction
    assert uncalibrated.document.pdf == render_visit_pdf(replace(payload, calibration=Calibration())).pdf
