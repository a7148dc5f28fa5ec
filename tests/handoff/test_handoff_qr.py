"""The QR code on each bundled form, decoded from a 300 dpi rendering, is the record the folder got."""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from dxdesk.app.formpdf import render_visit_pdf, visit_form_payload
from dxdesk.forms import find_template
from dxdesk.handoff.qr import OMITTED_NOTE, PayloadError, decode, payloads
from dxdesk.handoff.record import HandoffRecord
from dxdesk.timeutil import local_today

from .conftest import BUNDLED_FORMS, confirmed_visit

pytestmark = pytest.mark.skipif(shutil.which("zbarimg") is None or shutil.which("pdftoppm") is None,
                                reason="zbarimg (zbar-tools) and pdftoppm (poppler-utils) are installed by "
                                       "scripts/bootstrap.sh")


def scan(pdf: bytes, page: int, tmp_path) -> list[str]:
    """The texts of every QR code zbarimg finds on a 300 dpi rendering of ``page``."""
    pdf_file = tmp_path / "page.pdf"
    pdf_file.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", "-f", str(page + 1), "-l",
                    str(page + 1), str(pdf_file), str(tmp_path / "page")], check=True)
    result = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", "-Sbinary",
                             str(tmp_path / "page.png")], capture_output=True)
    if result.returncode == 4:  # zbarimg: no symbol found
        return []
    result.check_returncode()
    # -Sbinary: the bytes as encoded (zbar 0.23's text and base64 modes mangle UTF-8), symbols back to back;
    # each of ours starts with its DXQR1 header line.
    raw = result.stdout.decode("utf-8").rstrip("\n")
    return [part for part in re.split(r"(?=DXQR1 \d+/\d+ )", raw) if part]


def test_every_bundled_form_carries_its_record_as_qr(handoff_desk, tmp_path) -> None:
    visits, _auth, clerk = handoff_desk
    visits.settings.handoff.qr = True
    visit = confirmed_visit(visits, clerk)
    payload = visit_form_payload(visit, local_today(), municipality="白老町", qr_codes=True)
    document = render_visit_pdf(payload)
    assert b"/Helvetica" not in document.pdf  # the codes are drawn without any font (no stray Helvetica)
    visits.record_printed(visit, document.forms, len(document.pages), filled=document.filled).result(10)
    folder = visits.handoff.folder.path
    decoded_forms = set()
    for form_id in sorted(BUNDLED_FORMS):
        record = HandoffRecord.from_document(
            json.loads(next(folder.glob(f"{form_id}_*.json")).read_text(encoding="utf-8")))
        texts = scan(document.pdf, document.pages[form_id], tmp_path)
        if payloads(record, find_template(form_id).qr) is None:
            assert texts == []  # too long even for two codes: left out, and the form says so
            out = subprocess.run(["pdftotext", "-f", str(document.pages[form_id] + 1), "-l",
                                  str(document.pages[form_id] + 1), "-", "-"], input=document.pdf,
                                 capture_output=True, check=True).stdout.decode("utf-8")
            assert OMITTED_NOTE in out.replace(" ", "")
            continue
        got = decode(texts)
        assert (got.form_id, got.form_version, got.visit_id) == (form_id, record.form_version, visit.id)
        assert got.fields == record.fields and got.checksum == record.checksum  # the folder's record, exactly
        decoded_forms.add(form_id)
    assert decoded_forms == BUNDLED_FORMS  # the bundled corners hold this visit's records (idou_todoke in two codes)


def test_a_record_too_long_for_two_codes_leaves_a_note(tmp_path) -> None:
    import dataclasses
    import io
    from datetime import datetime

    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from dxdesk.handoff.qr import draw_record_qr

    template = dataclasses.replace(find_template("koseki_request"),
                                   qr=dataclasses.replace(find_template("koseki_request").qr, size=15))
    record = HandoffRecord("koseki_request", "1", "", "v-1", "d", "窓口1", "clerk", datetime.now().astimezone(),
                           {"honseki": "北海道白老郡白老町大町１丁目１番地" * 8})
    assert payloads(record, template.qr) is None
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(210 * mm, 297 * mm))
    assert draw_record_qr(c, template, record) == 0
    c.showPage()
    c.save()
    out = subprocess.run(["pdftotext", "-", "-"], input=buf.getvalue(), capture_output=True, check=True)
    assert OMITTED_NOTE in out.stdout.decode("utf-8").replace(" ", "")
    assert scan(buf.getvalue(), 0, tmp_path) == []


def test_no_codes_unless_the_town_turns_them_on(handoff_desk, tmp_path) -> None:
    visits, _auth, clerk = handoff_desk
    visit = confirmed_visit(visits, clerk, ["koseki_shomei"])
    document = render_visit_pdf(visit_form_payload(visit, local_today()))
    assert scan(document.pdf, document.pages["koseki_request"], tmp_path) == []


def test_a_damaged_or_incomplete_scan_is_refused(handoff_desk) -> None:
    visits, _auth, clerk = handoff_desk
    visit = confirmed_visit(visits, clerk, ["koseki_shomei"])
    [(template, record)] = visits.handoff.records(visit, ["koseki_request"])
    codes, _level = payloads(record, template.qr)
    assert decode(codes).fields == record.fields
    with pytest.raises(PayloadError, match="checksum"):
        decode([c.replace("黒桐", "白桐") for c in codes])
    if len(codes) == 2:
        with pytest.raises(PayloadError, match="parts"):
            decode(codes[:1])
