"""`--json` on support list/report, db status and audit list: one JSON document on stdout, errors as objects."""
from __future__ import annotations

import json

from signin import PASSWORDS

from dxdesk.cli import main

SUPERVISOR = ["--as", "boss"]
ADD = ["support", "add", "--topics", "power,line", "--age", "75-79", "--device", "android", "--attendees", "2",
       "--helpers", "1", "--duration", "20", "--outcome", "resolved", "--venue", "中央公民館", "--venue-type", "community_hall", "--as", "helper"]


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    [line] = out.splitlines()
    return code, json.loads(line)


def test_support_list_and_report(desk_accounts, capsys) -> None:
    assert main(ADD) == 0
    capsys.readouterr()
    code, doc = run_json(capsys, "support", "list", *SUPERVISOR)
    assert code == 0 and doc["count"] == 1
    [session] = doc["items"]
    assert session["venue"] == "中央公民館" and session["topics"] == ["power", "line"] and session["attendees"] == 2
    assert "note" not in session and "follow_up_contact" not in session

    day = session["started_at"][:10]
    code, doc = run_json(capsys, "support", "report", "--from", day, "--to", day, *SUPERVISOR)
    assert code == 0 and (doc["from"], doc["to"]) == (day, day)
    assert (doc["summary"]["sessions"], doc["summary"]["attendees"]) == (1, 2) and doc["written"] == []


def test_db_status_and_audit_list(desk_accounts, capsys) -> None:
    code, doc = run_json(capsys, "db", "status")
    # A desk that never had a server keeps no queue (issue #17): nothing is "unsent" until a server is set.
    assert code == 0 and doc["schema"]["up_to_date"] is True and doc["unsent"] == 0 and doc["server"] is None

    code, doc = run_json(capsys, "audit", "list", "--type", "account.change", *SUPERVISOR)
    assert code == 0 and doc["count"] == len(doc["items"]) >= 4
    assert {e["event_type"] for e in doc["items"]} == {"account.change"}
    assert doc["items"][0]["details"]["action"] == "create_first_admin" and doc["items"][1]["actor"] == "admin"


def test_refusal_is_an_error_object(desk_accounts, capsys) -> None:
    code, doc = run_json(capsys, "audit", "list", "--as", "helper")  # a supporter may not read the audit log
    assert code == 2 and doc["error"] and "not allowed" in doc["message"] and doc["tries_left"] is None


def test_each_refusal_names_its_kind(desk_accounts, capsys, monkeypatch) -> None:
    # A robot tells "wrong password", "locked out", "not allowed" and "database busy" apart by the code
    # (README: permission_denied ...), not by parsing the English sentence.
    code, doc = run_json(capsys, "audit", "list", "--as", "helper")
    assert (code, doc["error"]) == (2, "permission_denied")
    code, doc = run_json(capsys, "support", "report", "--month", "2026-10", "--as", "admin")
    assert (code, doc["error"]) == (2, "permission_denied")
    code, doc = run_json(capsys, "support", "list", "--as", "nobody")
    assert (code, doc["error"], doc["message"]) == (2, "invalid_credentials", "Wrong login name or password.")
    monkeypatch.setitem(PASSWORDS, "helper", "not the password")
    for _ in range(10):
        code, doc = run_json(capsys, "support", "list", "--as", "helper")
        if doc["error"] != "invalid_credentials":
            break
    assert (code, doc["error"]) == (2, "account_locked") and "Too many failed sign-ins" in doc["message"]
    code, doc = run_json(capsys, "support", "report", "--month", "2026-10", "--pdf", "/", "--as", "boss")
    assert code == 2 and doc["error"] == "invalid_request"  # what the command line alone refuses stays so


def test_a_usage_error_with_json_is_also_the_error_object(capsys) -> None:
    # A robot reads stdout only: a mistyped date used to leave it empty (argparse wrote to stderr alone).
    try:
        main(["support", "list", "--from", "2026-13-45", "--json"])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("argparse must refuse the date")
    captured = capsys.readouterr()
    [line] = captured.out.splitlines()
    assert json.loads(line) == {"error": "invalid_request", "tries_left": None,
                                "message": "argument --from: '2026-13-45' is not a date (use YYYY-MM-DD)"}
    assert "usage: dxdesk support list" in captured.err  # the person at a terminal still sees the usage
