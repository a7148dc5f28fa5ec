"""Printing through a real spooler: a private cupsd (own config, spool and socket) with a CUPS-PDF queue.

What the queue captures is compared with what dxdesk filled: same pages and page size, the same
picture when rasterised, and a calibration crosshair within 0.5 mm of where it belongs (true size:
no fit-to-page anywhere in the chain).
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
from datetime import date

import pytest
from PIL import Image

from dxdesk.app.formpdf import FormsPayload, printer_job, render_visit_pdf
from dxdesk.cli import main
from dxdesk.config import Calibration, load_settings, save_settings
from dxdesk.forms.calibration import CROSSHAIRS, calibration_page
from dxdesk.forms.printing import cups_status, submit_pdf
from dxdesk.paths import app_paths
from tools.cupsd import CUPS_PDF_PPD, PrivateCups, missing_reason

from printcompare import assert_same_print, pages, raster

from .helpers import DATA

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=f"no private CUPS: {missing_reason()}")
MM_PER_INCH = 25.4


@pytest.fixture(scope="module")
def cups():
    with PrivateCups() as server:
        yield server


def _payload(today: date = date(2025, 4, 1)) -> FormsPayload:
    raw = json.loads((DATA / "resident.json").read_text(encoding="utf-8"))
    raw["card"].update({"family_name": "𠮷田", "given_name": "𩸽子", "name": "𠮷田\u3000𩸽子"})
    forms = ("juminhyo_request", "inkan_request", "guide_sheet")
    data = {f: raw for f in forms if f != "guide_sheet"}
    return FormsPayload(forms, data, raw, today)


def test_a_visits_forms_reach_the_spooler_as_they_were_filled(cups, tmp_path):
    settings = load_settings()
    settings.forms.calibrations[cups.queue] = Calibration(dx_mm=1.0, dy_mm=0.5)
    payload = _payload()
    shown = render_visit_pdf(payload)  # the preview: no printer configured, no calibration
    job = printer_job(settings, payload, shown, cups.queue, queue=True)
    assert job.to_cups and job.document is not shown  # the chosen printer's calibration, drawn again
    request = submit_pdf(job.document.pdf, cups.queue)
    [captured] = cups.wait_for_pdfs([request])
    assert len(pages(captured.read_bytes())) == 3
    assert_same_print(job.document.pdf, captured.read_bytes(), tmp_path)


def _crosshair_centre(page: Image.Image, x_mm: float, y_mm: float, dpi: int) -> tuple[float, float]:
    """The darkest column and row (the crosshair's lines) within 10 mm of the expected centre, in mm."""
    px = dpi / MM_PER_INCH
    box = (round((x_mm - 10) * px), round((y_mm - 10) * px), round((x_mm + 10) * px), round((y_mm + 10) * px))
    crop = page.crop(box)
    w, h = crop.size
    data = crop.load()
    cols = [sum(255 - data[x, y] for y in range(h)) for x in range(w)]
    rows = [sum(255 - data[x, y] for x in range(w)) for y in range(h)]
    cx = max(range(w), key=lambda i: cols[i])
    cy = max(range(h), key=lambda i: rows[i])
    return (box[0] + cx + 0.5) / px, (box[1] + cy + 0.5) / px


def test_calibration_mark_lands_within_half_a_millimetre(cups, tmp_path):
    cal = Calibration(dx_mm=2.0, dy_mm=-1.5)
    request = submit_pdf(calibration_page(cal, cups.queue), cups.queue)
    [captured] = cups.wait_for_pdfs([request])
    dpi = 300
    [page] = raster(captured.read_bytes(), tmp_path, "cal", dpi)
    for x, y in CROSSHAIRS:
        want = (x + cal.dx_mm, y + cal.dy_mm)
        got = _crosshair_centre(page, *want, dpi)
        assert abs(got[0] - want[0]) <= 0.5 and abs(got[1] - want[1]) <= 0.5, (want, got)


def test_form_print_cli_prints_signed_in_and_audited(cups, desk_accounts, tmp_path, capsys):
    settings = load_settings()
    settings.forms.calibrations[cups.queue] = Calibration(dx_mm=-1.0)
    save_settings(settings)
    argv = ["form", "print", "juminhyo_request", "--data", str(DATA / "resident.json"), "--printer", cups.queue]
    assert main(argv) == 2 and "--as" in capsys.readouterr().err  # a resident's data: someone signs in
    assert main([*argv, "--as", "helper"]) == 2 and "not allowed" in capsys.readouterr().err
    assert main([*argv, "--as", "clerk", "--copies", "2"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    request = out.rsplit(": ", 1)[1].strip()
    [captured] = cups.wait_for_pdfs([request])
    from dxdesk.forms import fill_form
    from dxdesk.forms.cli import _data

    expected = fill_form("juminhyo_request", _data(DATA / "resident.json"), settings.forms.default_mode,
                         Calibration(dx_mm=-1.0))
    assert_same_print(expected.pdf, captured.read_bytes(), tmp_path)
    with sqlite3.connect(app_paths().database_file) as conn:
        event = conn.execute("SELECT event_type, details FROM audit_events WHERE event_type = 'form.print'").fetchall()
    assert len(event) == 1 and cups.queue in event[0][1] and '"copies": 2' in event[0][1]
    assert main([*argv, "--as", "clerk", "--copies", "0"]) == 2
    assert "copies must be between 1 and 99" in capsys.readouterr().err


def test_a_printer_name_that_looks_like_a_number_is_withheld_from_the_audit_log(cups, desk_accounts, capsys):
    from dxdesk.app.formprint import FormPrinting
    from dxdesk.security.audit import AuditLog
    from dxdesk.security.auth import AuthService
    from dxdesk.store.database import open_database
    from signin import CLERK_PW

    subprocess.run(["lpadmin", "-p", "EPSON-1234567", "-E", "-v", f"cups-pdf:/{cups.queue}", "-P",
                    str(CUPS_PDF_PPD)], check=True, capture_output=True)
    db = open_database()
    try:
        auth = AuthService(db, AuditLog(db))
        session = auth.sign_in("clerk", CLERK_PW)
        pdf = calibration_page()
        request = FormPrinting(auth.audit, load_settings()).print_pdf(session, pdf, "EPSON-1234567",
                                                                      forms=("calibration",), pages=1)
    finally:
        db.close()
    assert request.startswith("EPSON-1234567-")
    cups.wait_for_pdfs([request])
    with sqlite3.connect(app_paths().database_file) as conn:
        [details] = conn.execute("SELECT details FROM audit_events WHERE event_type = 'form.print'").fetchone()
    assert '"printer": "(withheld)"' in details and "1234567" not in details


def test_a_refused_job_is_a_sentence_and_not_audited(cups, desk_accounts, capsys):
    argv = ["form", "print", "juminhyo_request", "--data", str(DATA / "resident.json"), "--printer", "no-such-queue",
            "--as", "clerk"]
    assert main(argv) == 2
    assert "CUPS refused the job for printer 'no-such-queue'" in capsys.readouterr().err
    with sqlite3.connect(app_paths().database_file) as conn:
        assert conn.execute("SELECT count(*) FROM audit_events WHERE event_type = 'form.print'").fetchone()[0] == 0


def test_cups_status_and_doctor_are_truthful(cups):
    from dxdesk.doctor import Status, check_printer

    status = cups_status()
    assert status.running and cups.queue in status.printers and status.default == cups.queue
    result = check_printer(app_paths())
    assert result.status is Status.OK and cups.queue in result.detail
