"""``dxdesk support ...`` end to end, against the real local store (temp DXDESK_HOME), signed in with ``--as``."""
from __future__ import annotations

import argparse
import sys
from datetime import date

import pytest
from accounts import add_ready_account

from dxdesk.cli import UserError, main
from dxdesk.config import load_settings
from dxdesk.security.audit import AuditLog, load_records
from dxdesk.security.auth import AuthService
from dxdesk.security.passwords import ScryptParams
from dxdesk.security.permissions import Role
from dxdesk.store.database import open_database
from dxdesk.support import cli as support_cli
from dxdesk.support.csvio import write_sessions_csv
from dxdesk.support.catalog import Catalog


PASSWORD = "correct horse 1"
SUPPORTER = ("--as", "vol")  # may log and fix recent records
SUPERVISOR = ("--as", "boss")  # may list everything, report and export


@pytest.fixture(autouse=True)
def accounts(monkeypatch):
    """An administrator, a supporter, a supervisor and a clerk; getpass answers the shared test password."""
    db = open_database()
    try:
        auth = AuthService(db, AuditLog(db), load_settings().security, params=ScryptParams(n=2**6, r=8, p=1))
        admin = auth.create_first_admin("admin", "管理者", PASSWORD)
        for login, role in (("vol", Role.SUPPORTER), ("boss", Role.SUPERVISOR), ("clerk", Role.CLERK)):
            add_ready_account(auth, admin, login, login, role, PASSWORD)
    finally:
        db.close()
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSWORD)


def audit_events(event_type: str):
    db = open_database()
    try:
        with db.session() as orm:
            return load_records(orm, event_type=event_type)
    finally:
        db.close()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["support", *argv])
    out, err = capsys.readouterr()
    return code, out, err


ADD = ["add", "--topics", "power,line", "--age", "75-79", "--device", "android", "--attendees", "1",
       "--helpers", "1", "--duration", "20", "--outcome", "resolved", "--venue", "中央公民館"]


def test_add_list_delete_and_follow_up(capsys):
    code, _, err = run(capsys, *ADD, *SUPPORTER)
    assert code == 2 and "new venue: give --venue-type" in err
    code, out, _ = run(capsys, *ADD, *SUPPORTER, "--venue-type", "community_hall", "--at", "2026-10-01T10:00")
    assert code == 0 and "logged session" in out
    # The venue is now known: its type is remembered.
    code, out, _ = run(capsys, *ADD, *SUPPORTER, "--at", "2026-10-02T10:00", "--follow-up")
    assert code == 0
    follow_up_id = out.split()[2]
    code, out, err = run(capsys, "list", *SUPERVISOR, "--from", "2026-10-01", "--to", "2026-10-31", "--topic", "line")
    assert code == 0 and out.count("中央公民館 (community_hall)") == 2 and "2 session(s)" in err
    code, out, _ = run(capsys, "list", *SUPPORTER, "--follow-ups")
    assert follow_up_id in out and out.count("\n") == 1
    assert run(capsys, "close-follow-up", follow_up_id, *SUPPORTER)[0] == 0
    code, out, _ = run(capsys, "list", *SUPPORTER, "--follow-ups")
    assert out == ""
    code, _, err = run(capsys, "delete", follow_up_id, *SUPPORTER)
    assert code == 2 and "older than 31 days" in err  # the test clock is "now", long after 2026-10
    # Each change with its event (the refused delete rolled back with its own); the CLI is audited like the window.
    changes = [e.details["kind"] for e in audit_events("support.change")]
    assert changes == ["added", "added", "follow_up_closed"]


def test_add_reports_every_validation_problem(capsys):
    argv = [a if a != "power,line" else "power,karaoke" for a in ADD]
    argv[argv.index("--attendees") + 1] = "0"
    code, _, err = run(capsys, *argv, *SUPPORTER, "--venue-type", "community_hall")
    assert code == 2
    assert "unknown topic 'karaoke'" in err and "attendees must be a whole number from 1 to 500 (got 0)" in err
    assert "Traceback" not in err


def test_topics_add_and_retire(capsys):
    code, out, _ = run(capsys, "topics")
    assert code == 0 and out.count("[national]") == 11 and "マイナポイント" in out
    code, _, err = run(capsys, "topics", "--add", "bousai_app", "--ja", "防災アプリ", "--en", "Disaster app", *SUPPORTER)
    assert code == 2 and "not allowed" in err  # topics belong to the catalogue administrator
    code, out, _ = run(capsys, "topics", "--add", "bousai_app", "--ja", "防災アプリ", "--en", "Disaster app",
                       "--as", "admin")
    assert "bousai_app" in out and "[town]" in out
    code, out, _ = run(capsys, "topics", "--retire", "mynapoint", "--as", "admin")
    assert "[national, retired]" in out
    code, _, err = run(capsys, "topics", "--add", "Bad Code", "--ja", "x", "--en", "y", "--as", "admin")
    assert code == 2 and "topic code starts with a-z" in err


def test_import_then_report(capsys, tmp_path, dataset):
    src = tmp_path / "last-year.csv"
    write_sessions_csv(src, dataset, Catalog.seeded())
    code, out, _ = run(capsys, "import", str(src), *SUPPORTER)
    assert code == 0 and "12 row(s): 12 imported, 0 already present, 0 error(s)" in out
    code, out, _ = run(capsys, "import", str(src), *SUPPORTER)
    assert "0 imported, 12 already present" in out

    pdf, csv_out = tmp_path / "r.pdf", tmp_path / "r.csv"
    code, _, err = run(capsys, "report", "--fy", "2026", "--pdf", str(pdf), *SUPPORTER)
    assert code == 2 and "not allowed" in err and not pdf.exists()
    code, out, err = run(capsys, "report", "--fy", "2026", "--pdf", str(pdf), "--csv", str(csv_out), *SUPERVISOR)
    assert code == 0 and pdf.exists() and csv_out.exists() and (tmp_path / "r_summary.csv").exists()
    assert "12 session(s), 2026-04-01 to 2027-03-31" in err
    assert oct(pdf.stat().st_mode & 0o777) == oct(csv_out.stat().st_mode & 0o777) == "0o600"  # personal outputs
    code, _, err = run(capsys, "report", "--from", "2026-05-01", "--to", "2026-05-31", "--venue", "駅前ショップ",
                       "--csv", str(csv_out), "--english-headers", *SUPERVISOR)
    assert code == 2 and "already exists" in err and "--force" in err  # never replaced without asking
    code, _, err = run(capsys, "report", "--from", "2026-05-01", "--to", "2026-05-31", "--venue", "駅前ショップ",
                       "--csv", str(csv_out), "--english-headers", "--force", *SUPERVISOR)
    assert code == 0 and "3 session(s)" in err
    assert csv_out.read_text(encoding="utf-8-sig").startswith("id,started_at,venue")
    assert [e.result for e in audit_events("report.create")] == ["denied", "success"]
    assert [e.details["rows"] for e in audit_events("data.export")] == [12, 3]
    # The second import found every row present: nothing stored, nothing to audit.
    assert [e.details for e in audit_events("support.change")] == [{"kind": "imported", "added": 12, "already_present": 0}]


def test_import_reports_bad_rows(capsys, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "開始日時,会場,会場種別,トピック,端末,年齢層,参加者数,支援者数,所要時間(分),結果\r\n"
        "2026-10-01 10:00,中央公民館,community_hall,power,android,75-79,1,1,20,resolved\r\n"
        "yesterday,中央公民館,community_hall,power,android,75-79,1,1,20,resolved\r\n",
        encoding="utf-8-sig",
    )
    code, out, err = run(capsys, "import", str(bad), "--all-or-nothing", *SUPPORTER)
    assert code == 1 and "nothing imported" in out
    assert "row 3, column '開始日時': cannot read date/time 'yesterday'" in err
    code, out, _ = run(capsys, "import", str(bad), *SUPPORTER)
    assert code == 1 and "1 imported" in out and "1 error(s)" in out
    code, _, err = run(capsys, "import", str(tmp_path / "nope.csv"), *SUPPORTER)
    assert code == 2 and "cannot read" in err


def test_import_refuses_a_bad_file_before_asking_the_password(capsys, tmp_path, monkeypatch):
    # A volunteer who mistyped the name learns it before typing the password; nothing is opened or recorded.
    asked: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": asked.append(prompt) or PASSWORD)
    folder = tmp_path / "2026.csv"
    folder.mkdir()
    undecodable = tmp_path / "book.csv"
    undecodable.write_bytes(b"\x81\x7f\xef\x81 not text")  # neither UTF-8 nor Shift_JIS (a spreadsheet's own format)
    wrong_headings = tmp_path / "names.csv"
    wrong_headings.write_text("氏名,年齢\r\n山田,80\r\n", encoding="utf-8-sig")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    before = audit_events(None)
    for path, message in ((tmp_path / "nope.csv", "cannot read"), (folder, "this is a folder, not a CSV file"),
                          (undecodable, "cannot decode the file"), (wrong_headings, "missing columns: started_at"),
                          (empty, "the file is empty")):
        code, out, err = run(capsys, "import", str(path), *SUPPORTER)
        assert (code, out) == (2, ""), err
        assert f"{path}: {message}" in err, err
        assert "Traceback" not in err
    assert asked == []
    assert audit_events(None) == before  # no sign-in, no import event: the database was not even opened
    code, _, err = run(capsys, "import", str(tmp_path / "nope.csv"))
    assert code == 2 and "importing sessions needs --as LOGIN" in err  # the options first, then the file
    wrong_headings.write_text("開始日時,会場,会場種別,トピック,端末,年齢層,参加者数,支援者数,所要時間(分),結果\r\n"
                              "2026-10-01 10:00,中央公民館,community_hall,power,android,75-79,1,1,20,resolved\r\n",
                              encoding="utf-8-sig")  # the volunteer fixes the file: now the password is asked
    code, out, _ = run(capsys, "import", str(wrong_headings), *SUPPORTER)
    assert code == 0 and "1 imported" in out and asked == ["Password for vol: "]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--fy", "2026", "--month", "2026-10"], "choose one period"),
        (["--from", "2026-10-01"], "give both --from and --to"),
        (["--from", "2026-10-31", "--to", "2026-10-01"], "is after"),
    ],
)
def test_report_period_errors(argv, message):
    ns = argparse.Namespace(fy=None, month=None, date_from=None, date_to=None)
    parser = argparse.ArgumentParser()
    parser.add_argument("--fy", type=int)
    parser.add_argument("--month", type=support_cli._month)
    parser.add_argument("--from", dest="date_from", type=support_cli._date)
    parser.add_argument("--to", dest="date_to", type=support_cli._date)
    ns = parser.parse_args(argv)
    with pytest.raises(UserError, match=message):
        support_cli.report_period(ns, date(2026, 11, 25))


def test_report_defaults_to_last_month():
    ns = argparse.Namespace(fy=None, month=None, date_from=None, date_to=None)
    assert support_cli.report_period(ns, date(2026, 11, 25)) == (date(2026, 10, 1), date(2026, 10, 31))


def test_report_needs_an_output(capsys):
    code, _, err = run(capsys, "report", "--month", "2026-10", *SUPERVISOR)
    assert code == 2 and "--pdf" in err


def test_a_full_disk_while_writing_the_report_is_one_sentence(capsys, monkeypatch, tmp_path):
    # What a full disk raises while the PDF is written: ENOSPC without a file name.
    import errno

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("dxdesk.support.service.SupportService.write_report_pdf", disk_full)
    code, _, err = run(capsys, "report", "--month", "2026-10", "--pdf", str(tmp_path / "r.pdf"), *SUPERVISOR)
    assert code == 2
    assert "The disk is full, so nothing was saved. Free some disk space" in err and "None" not in err


def test_a_report_into_a_missing_folder_names_the_chosen_file(capsys, tmp_path):
    out = tmp_path / "missing" / "r.pdf"
    code, _, err = run(capsys, "report", "--month", "2026-10", "--pdf", str(out), *SUPERVISOR)
    assert code == 2
    assert f"Cannot read or write {out}: No such file or directory" in err and ".part" not in err


def test_storage_unavailable_is_reported(capsys, monkeypatch):
    # A trimmed build without dxdesk.store: importing it fails with ModuleNotFoundError.
    monkeypatch.setitem(sys.modules, "dxdesk.store.database", None)
    code, _, err = run(capsys, "list")
    assert code == 2 and "storage is unavailable" in err and "Traceback" not in err


def test_commands_sign_in_and_check_the_role(capsys):
    code, _, err = run(capsys, *ADD, "--venue-type", "community_hall")
    assert code == 2 and "needs --as LOGIN" in err
    code, _, err = run(capsys, *ADD, "--venue-type", "community_hall", "--as", "clerk")
    assert code == 2 and "not allowed" in err and "Traceback" not in err
    code, _, err = run(capsys, "list", "--as", "admin")
    assert code == 2 and "not allowed" in err


def test_wrong_password_is_one_line(capsys, monkeypatch):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "wrong password 9")
    code, _, err = run(capsys, "list", *SUPERVISOR)
    assert code == 2 and "Traceback" not in err and err.strip().count("\n") == 0


def test_add_warns_when_the_note_looks_personal(capsys):
    code, out, err = run(capsys, *ADD, *SUPPORTER, "--venue-type", "community_hall", "--note",
                         "山田様 090-1234-5678")
    assert code == 0 and "logged session" in out  # a warning, not a refusal
    assert "warning: The note seems to contain a person's name / a phone number" in err
    code, out, err = run(capsys, *ADD, *SUPPORTER, "--note", "LINE の友だち追加")
    assert code == 0 and "warning" not in err


def test_list_pages_in_sql_and_filters_topics_exactly(capsys, tmp_path, dataset):
    """--limit/--offset give pages of the same oldest-first order; --topic line is not line_works."""
    code, _, _ = run(capsys, "topics", "--add", "line_works", "--ja", "LINE WORKS", "--en", "LINE WORKS", "--as", "admin")
    assert code == 0
    src = tmp_path / "sessions.csv"
    write_sessions_csv(src, dataset, Catalog.seeded())
    assert run(capsys, "import", str(src), *SUPPORTER)[0] == 0
    argv = [a if a != "power,line" else "line_works" for a in ADD]
    assert run(capsys, *argv, *SUPPORTER, "--venue-type", "community_hall", "--at", "2026-06-30T09:00")[0] == 0
    code, everything, err = run(capsys, "list", *SUPERVISOR)
    assert code == 0 and "13 session(s)" in err  # 12 live imported + the added one
    rows = everything.splitlines()
    pages = [run(capsys, "list", *SUPERVISOR, "--limit", "5", "--offset", str(n))[1].splitlines() for n in (0, 5, 10)]
    assert [len(p) for p in pages] == [5, 5, 3] and sum(pages, []) == rows
    code, out, err = run(capsys, "list", *SUPERVISOR, "--topic", "line")
    assert "4 session(s)" in err and "line_works" not in out  # #3 #4 #11 #12 only
    code, out, err = run(capsys, "list", *SUPERVISOR, "--topic", "line_works")
    assert "1 session(s)" in err and "2026-06-30 09:00" in out
    with pytest.raises(SystemExit) as exited:
        run(capsys, "list", *SUPERVISOR, "--limit", "-1")
    assert exited.value.code == 2 and "not a number of sessions" in capsys.readouterr().err


def test_report_classes_csv_and_the_pdf_class_table(capsys, tmp_path):
    """``--classes-csv``: one row per class (2+ attendees) with the staffing check; audited as an export."""
    base = ["add", "--topics", "line", "--age", "75-79", "--device", "android", "--duration", "90",
            "--outcome", "resolved", "--venue", "中央公民館", "--venue-type", "community_hall", *SUPPORTER]
    for when, attendees, helpers in (("2026-10-01T10:00", "9", "2"), ("2026-10-02T10:00", "8", "3"),
                                     ("2026-10-03T10:00", "1", "1")):
        assert run(capsys, *base, "--at", when, "--attendees", attendees, "--helpers", helpers)[0] == 0
    out = tmp_path / "classes.csv"
    code, _, err = run(capsys, "report", "--month", "2026-10", "--classes-csv", str(out), *SUPPORTER)
    assert code == 2 and "not allowed" in err and not out.exists()
    code, stdout, _ = run(capsys, "report", "--month", "2026-10", "--classes-csv", str(out), *SUPERVISOR)
    assert code == 0 and f"wrote {out}" in stdout
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("ID,開始日時,会場") and len(lines) == 3  # the 1-attendee session is no class
    assert [line.split(",")[6:11] for line in lines[1:]] == [["9", "2", "", "4", "1"],
                                                            ["8", "3", "", "3", "0"]]
    code, _, err = run(capsys, "report", "--month", "2026-10", "--classes-csv", str(out), *SUPERVISOR)
    assert code == 2 and "already exists" in err  # never replaced without --force
    exports = [e.details for e in audit_events("data.export")
               if e.details.get("kind") == "support_classes_csv" and e.result == "success"]
    assert [d["rows"] for d in exports] == [2]
    denied = [e for e in audit_events("data.export") if e.result == "denied"]
    assert [e.details["kind"] for e in denied] == ["support_classes_csv"]
    code, stdout, _ = run(capsys, "report", "--month", "2026-10", "--json", *SUPERVISOR)
    assert code == 0 and '"classes":{"total":{"classes":2,"participants":17,"staff":5,"below_ratio":1}' in stdout
