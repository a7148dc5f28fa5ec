"""The hand-off as a town runs it: an administrator turns it on, a clerk prints, a supervisor picks up and exports."""
from __future__ import annotations

import csv
import json
import stat

from dxdesk.app.composition import AppServices
from dxdesk.app.formpdf import render_visit_pdf, visit_form_payload
from dxdesk.cli import main
from dxdesk.handoff.record import HandoffRecord
from dxdesk.paths import app_paths
from dxdesk.security.audit import load_records
from dxdesk.timeutil import local_today
from signin import CLERK_PW

from .conftest import confirmed_visit

AS_BOSS = ("--as", "boss")


def run_visit_as_clerk(procedures: list[str]) -> str:
    """A clerk's whole visit through the app's services: identify, answer, print, close, store."""
    services = AppServices.open(with_card=False, with_sync=False)
    try:
        visits = services.visits
        clerk = services.auth.sign_in("clerk", CLERK_PW)
        visit = confirmed_visit(visits, clerk, procedures)
        document = render_visit_pdf(visit_form_payload(visit, local_today()))
        visits.record_printed(visit, document.forms, len(document.pages), filled=document.filled).result(10)
        record = visit.close()
        visits.store(clerk, record, visit.timeline).result(10)
        return visit.id
    finally:
        services.close()


def events(event_type: str):
    services = AppServices.open(with_card=False, with_sync=False, with_counter=False)
    try:
        with services.database.session() as orm:
            return load_records(orm, event_type=event_type)
    finally:
        services.close()


def test_set_print_pickup_and_export(desk_accounts, tmp_path, capsys) -> None:
    assert main(["handoff", "set", "--enabled", "on", "--retention-days", "7", "--as", "admin"]) == 0
    [change] = [e for e in events("settings.change") if e.details.get("setting") == "handoff"]
    assert change.details["enabled"] is True and change.details["retention_days"] == 7
    capsys.readouterr()

    visit_id = run_visit_as_clerk(["koseki_shomei", "zei_shomei"])
    assert main(["handoff", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["enabled"] is True and status["folder"] == str(app_paths().data_dir / "handoff")
    assert len(status["waiting"]) == 4  # a JSON file and a day's CSV for each of the two forms

    assert main(["handoff", "pickup", str(tmp_path / "picked"), *AS_BOSS, "--json"]) == 0
    picked = json.loads(capsys.readouterr().out)
    assert picked["count"] == 4 and list((app_paths().data_dir / "handoff").iterdir()) == []
    [pickup] = events("handoff.pickup")
    assert pickup.details == {"files": 4}

    day = local_today().isoformat()
    assert main(["visit", "export", "--from", day, "--to", day, "--format", "json", *AS_BOSS]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert exported["count"] == 2 and {r["form_id"] for r in exported["records"]} == {
        "koseki_request", "tax_certificate_request"}
    koseki = next(r for r in exported["records"] if r["form_id"] == "koseki_request")
    picked_doc = json.loads(next((tmp_path / "picked").glob("koseki_request_*.json")).read_text(encoding="utf-8"))
    assert koseki == picked_doc and HandoffRecord.from_document(koseki).visit_id == visit_id  # the same schema

    out = tmp_path / "bulk"
    assert main(["visit", "export", "--from", day, "--to", day, "--format", "csv", "--out", str(out), *AS_BOSS]) == 0
    koseki_csv = out / "koseki_request_v1.csv"
    assert stat.S_IMODE(koseki_csv.stat().st_mode) == 0o600
    header, row = list(csv.reader(koseki_csv.read_text(encoding="utf-8-sig").splitlines()))
    picked_header, picked_row = list(csv.reader(
        next((tmp_path / "picked").glob("koseki_request_*.csv")).read_text(encoding="utf-8-sig").splitlines()))
    assert (header, row) == (picked_header, picked_row)
    exports = [e for e in events("data.export") if e.details.get("what") == "visit_records"]
    assert [(e.details["format"], e.details["records"]) for e in exports] == [("json", 2), ("csv", 2)]


def test_export_refuses_a_clerk_and_an_existing_file(desk_accounts, tmp_path, capsys) -> None:
    day = local_today().isoformat()
    assert main(["visit", "export", "--from", day, "--to", day, "--as", "clerk"]) == 2
    assert "not allowed" in capsys.readouterr().err
    existing = tmp_path / "out.json"
    existing.write_text("keep me")
    assert main(["visit", "export", "--from", day, "--to", day, "--out", str(existing), *AS_BOSS]) == 2
    assert "already exists" in capsys.readouterr().err and existing.read_text() == "keep me"


def test_set_refuses_a_folder_that_cannot_hold_records_with_a_sentence(desk_accounts, tmp_path, capsys) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    for folder, said in ((tmp_path / "no" / "such" / "place", "does not exist"), (a_file, "is not a folder")):
        assert main(["handoff", "set", "--enabled", "on", "--folder", str(folder), "--as", "admin"]) == 2
        err = capsys.readouterr().err
        assert said in err and "Traceback" not in err
    assert not (tmp_path / "no").exists()  # a mistyped path grows no folders
    assert main(["handoff", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["enabled"] is False and status["folder"] == str(app_paths().data_dir / "handoff")
    assert [e for e in events("settings.change") if e.details.get("setting") == "handoff"] == []

    new = tmp_path / "town-share" / "handoff"  # only the last folder missing: created owner-only
    new.parent.mkdir()
    assert main(["handoff", "set", "--enabled", "on", "--folder", str(new), "--as", "admin"]) == 0
    assert stat.S_IMODE(new.stat().st_mode) == 0o700 and list(new.iterdir()) == []
    [change] = [e for e in events("settings.change") if e.details.get("setting") == "handoff"]
    assert change.details == {"setting": "handoff", "folder": "custom", "enabled": True}
