"""Printing with the town's hand-off on: each bundled form's record says what its page says."""
from __future__ import annotations

import csv
import json
import re
import shutil
import stat
import subprocess

import pytest
from sqlalchemy import select

from dxdesk.app.formpdf import render_visit_pdf, visit_form_payload
from dxdesk.forms import find_template
from dxdesk.handoff.printed import printed_values
from dxdesk.handoff.record import HandoffRecord, csv_header
from dxdesk.security.audit import load_records
from dxdesk.store import models
from dxdesk.timeutil import local_today

from .conftest import BUNDLED_FORMS, confirmed_visit

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")


MM = 72 / 25.4  # pdftotext's default 72 dpi: crop boxes in points


def box_text(pdf: bytes, page: int, f) -> str:
    """The text pdftotext finds in field ``f``'s box on ``page`` (through the fonts' ToUnicode maps), no whitespace."""
    crop = [round(v) for v in (f.x * MM - 1, f.y * MM - 1, f.w * MM + 2, f.h * MM + 2)]
    out = subprocess.run(["pdftotext", "-f", str(page + 1), "-l", str(page + 1), "-x", str(crop[0]), "-y",
                          str(crop[1]), "-W", str(crop[2]), "-H", str(crop[3]), "-enc", "UTF-8", "-", "-"],
                         input=pdf, capture_output=True, check=True).stdout.decode("utf-8")
    return re.sub(r"\s+", "", out)


def texts(value) -> list[str]:
    if isinstance(value, bool):
        return []
    if isinstance(value, list):
        return [cell for row in value for cell in row.values() if cell]
    return [value] if value else []


def print_visit(visits, visit):
    payload = visit_form_payload(visit, local_today(), municipality=visits.settings.general.municipality)
    document = render_visit_pdf(payload)
    visits.record_printed(visit, document.forms, len(document.pages), filled=document.filled).result(10)
    return document


def events(visits, event_type):
    with visits.database.session() as orm:
        return load_records(orm, event_type=event_type)


def test_every_bundled_form_hands_off_what_its_page_shows(handoff_desk):
    visits, _auth, clerk = handoff_desk
    visit = confirmed_visit(visits, clerk)
    document = print_visit(visits, visit)
    folder = visits.handoff.folder.path
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert BUNDLED_FORMS <= set(document.forms)
    for form_id in BUNDLED_FORMS:
        template = find_template(form_id)
        [json_file] = folder.glob(f"{form_id}_*.json")
        [csv_file] = folder.glob(f"{form_id}_*.csv")
        for f in (json_file, csv_file):
            assert stat.S_IMODE(f.stat().st_mode) == 0o600
        record = HandoffRecord.from_document(json.loads(json_file.read_text(encoding="utf-8")))  # checksum too
        assert list(record.fields) == [f.name for f in template.fields]
        assert record.fields == printed_values(template, document.filled[form_id])
        assert (record.visit_id, record.clerk, record.form_version) == (visit.id, clerk.login, template.version)
        for f in template.fields:
            if f.type in ("choice", "checkbox"):
                continue  # drawn as a circle / a tick, not text: their values are checked against the fill data above
            shown = box_text(document.pdf, document.pages[form_id], f)
            for text in texts(record.fields[f.name]):
                assert re.sub(r"\s+", "", text) in shown, f"{form_id}.{f.name} is not in its box as recorded"
        raw = csv_file.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw  # Excel's UTF-8 with BOM, CRLF
        header, row = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
        assert header == csv_header(template) and row == record.csv_row()
    todoke = json.loads(next(folder.glob("idou_todoke_*.json")).read_text(encoding="utf-8"))
    assert "537686677188" in json.dumps(todoke, ensure_ascii=False)  # 転入届 prints the number: so does its record
    koseki = next(folder.glob("koseki_request_*.json")).read_text(encoding="utf-8")
    assert "537686677188" not in koseki  # a form that does not print it never carries it
    [write] = events(visits, "handoff.write")
    assert write.result == "success" and write.details["records_written"] == len(BUNDLED_FORMS)
    assert write.items == ("my_number",) and write.actor == clerk.clerk_id
    assert "黒桐" not in str(write.details)
    with visits.database.session() as orm:
        assert len(orm.scalars(select(models.PrintedRecord)).all()) == len(BUNDLED_FORMS)


def test_the_record_rebuilt_from_the_visit_matches_the_drawn_one(handoff_desk):
    visits, _auth, clerk = handoff_desk
    visit = confirmed_visit(visits, clerk)
    payload = visit_form_payload(visit, local_today(), municipality=visits.settings.general.municipality)
    drawn = render_visit_pdf(payload)
    rebuilt = {t.id: r.fields for t, r in visits.handoff.records(visit, drawn.forms)}
    assert rebuilt == {f: printed_values(find_template(f), drawn.filled[f]) for f in BUNDLED_FORMS}


def test_a_second_form_of_the_day_adds_a_row(handoff_desk):
    visits, _auth, clerk = handoff_desk
    for _ in range(2):
        print_visit(visits, confirmed_visit(visits, clerk, ["koseki_shomei"]))
    [csv_file] = visits.handoff.folder.path.glob("koseki_request_*.csv")
    rows = list(csv.reader(csv_file.read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) == 3 and rows[1][3] != rows[2][3]  # header + one row per printed form (visit ids differ)


def test_hand_off_off_writes_nothing(handoff_desk):
    visits, _auth, clerk = handoff_desk
    visits.settings.handoff.enabled = False
    print_visit(visits, confirmed_visit(visits, clerk, ["koseki_shomei"]))
    assert not visits.handoff.folder.path.exists() and events(visits, "handoff.write") == []
    assert [e.event_type for e in events(visits, "form.print")] == ["form.print"]


def test_an_unwritable_folder_keeps_the_print_and_says_so(handoff_desk, tmp_path):
    visits, _auth, clerk = handoff_desk
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    visits.settings.handoff.folder = str(blocker / "handoff")
    print_visit(visits, confirmed_visit(visits, clerk, ["koseki_shomei"]))
    [write] = events(visits, "handoff.write")
    assert write.result == "failure" and write.details["error"]
    assert len(events(visits, "form.print")) == 1
    with visits.database.session() as orm:
        assert len(orm.scalars(select(models.PrintedRecord)).all()) == 1  # still there for visit export


def test_records_older_than_the_retention_are_purged_on_the_next_write(handoff_desk):
    import os

    visits, _auth, clerk = handoff_desk
    print_visit(visits, confirmed_visit(visits, clerk, ["koseki_shomei"]))
    old = list(visits.handoff.folder.path.iterdir())
    for f in old:
        os.utime(f, (0, 0))  # written in 1970
    print_visit(visits, confirmed_visit(visits, clerk, ["inkan_shomei"]))
    remaining = {f.name for f in visits.handoff.folder.path.iterdir()}
    assert not remaining & {f.name for f in old} and len(remaining) == 2
    assert events(visits, "handoff.write")[-1].details["purged"] == 2
