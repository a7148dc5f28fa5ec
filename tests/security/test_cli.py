"""The account, audit and purge commands, end to end through dxdesk.cli.main."""
from __future__ import annotations

import re

import csv

import pytest

from dxdesk.cli import main

ADMIN_PW = "kanri pass 1"
SUP_PW = "supervisor pw 1"
ISSUED_PW = "issued pass 7"


@pytest.fixture
def answers(monkeypatch):
    """Feed getpass prompts from a list; fail loudly if a command asks more than expected."""
    queue: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        assert queue, f"unexpected password prompt: {prompt!r}"
        return queue.pop(0)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    return queue


def _setup(answers):
    answers[:] = [ADMIN_PW, ADMIN_PW]
    assert main(["account", "add", "admin", "--name", "管理者"]) == 0
    answers[:] = [ADMIN_PW, ISSUED_PW, ISSUED_PW]
    assert main(["account", "add", "sato", "--role", "supervisor", "--as", "admin"]) == 0
    # sato's first sign-in, whatever the command, must replace the password the administrator gave
    answers[:] = [ISSUED_PW, SUP_PW, SUP_PW]
    assert main(["audit", "list", "--as", "sato"]) == 0
    assert answers == []


def test_first_sign_in_of_a_new_or_reset_account_must_set_a_new_password(answers, capsys):
    _setup(answers)
    capsys.readouterr()
    answers[:] = [ISSUED_PW]
    assert main(["audit", "list", "--as", "sato"]) == 2  # the issued password is gone
    assert "Wrong login name or password" in capsys.readouterr().err
    answers[:] = [ADMIN_PW, "reset pass 22", "reset pass 22"]
    assert main(["account", "passwd", "sato", "--as", "admin"]) == 0
    assert "must set a new password" in capsys.readouterr().out
    answers[:] = [ADMIN_PW]
    assert main(["account", "list", "--as", "admin"]) == 0
    listing = capsys.readouterr().out
    assert "active*" in listing and "* must set a new password" in listing
    # the same password again is refused, and nothing else happens before a new one is set
    answers[:] = ["reset pass 22", "reset pass 22", "reset pass 22"]
    assert main(["audit", "list", "--as", "sato"]) == 2
    err = capsys.readouterr().err
    assert "must differ from the current one" in err and "auth.sign_in" not in err
    answers[:] = ["reset pass 22", "own river pass 3", "own river pass 3"]
    assert main(["audit", "list", "--as", "sato"]) == 0
    captured = capsys.readouterr()
    assert "choose your own now" in captured.err and "auth.password_change" in captured.out
    answers[:] = ["own river pass 3"]
    assert main(["audit", "verify", "--as", "sato"]) == 0  # no prompt for a new password any more
    assert answers == []


@pytest.mark.parametrize("weak", ["password", "12345678", "aaaaaaaa", "admin-2026-pass"])
def test_weak_passwords_are_refused_by_the_cli(answers, capsys, weak):
    answers[:] = [weak, weak]
    assert main(["account", "add", "admin", "--name", "管理者"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert ("commonly used" in err or "one character" in err or "contain the login" in err), err


def test_account_lifecycle(answers, capsys):
    _setup(answers)
    answers[:] = [ADMIN_PW]
    assert main(["account", "list", "--as", "admin"]) == 0
    out = capsys.readouterr().out
    assert "sato" in out and "supervisor" in out and "admin" in out
    answers[:] = [SUP_PW, "a new password", "a new password"]
    assert main(["account", "passwd", "sato"]) == 0
    answers[:] = [ADMIN_PW]
    assert main(["account", "deactivate", "sato", "--as", "admin"]) == 0
    answers[:] = [ADMIN_PW]
    assert main(["account", "list", "--as", "admin"]) == 0
    assert "inactive" in capsys.readouterr().out


def test_errors_are_one_line_without_traceback(answers, capsys):
    _setup(answers)
    capsys.readouterr()
    answers[:] = [SUP_PW]
    assert main(["account", "list", "--as", "sato"]) == 2  # a supervisor may not manage accounts
    err = capsys.readouterr().err
    assert "not allowed" in err and "Traceback" not in err
    answers[:] = ["wrong"]
    assert main(["account", "list", "--as", "admin"]) == 2
    assert "Wrong login name or password" in capsys.readouterr().err
    assert main(["account", "list"]) == 2
    assert "--as LOGIN" in capsys.readouterr().err
    answers[:] = [ADMIN_PW, "short", "short"]
    assert main(["account", "add", "bob", "--role", "clerk", "--as", "admin"]) == 2
    assert "at least 8 characters" in capsys.readouterr().err


def test_audit_verify_list_export(answers, capsys, tmp_path, dxdesk_home):
    _setup(answers)
    answers[:] = [SUP_PW]
    assert main(["audit", "verify", "--as", "sato"]) == 0
    assert "audit chain intact" in capsys.readouterr().out
    answers[:] = [SUP_PW]
    assert main(["audit", "list", "--as", "sato"]) == 0
    assert "auth.sign_in" in capsys.readouterr().out
    out = tmp_path / "audit.csv"
    answers[:] = [SUP_PW]
    assert main(["audit", "export", "--from", "2000-01-01", "--to", "2099-12-31", "--csv", str(out),
                 "--as", "sato"]) == 0
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][0] == "seq" and len(rows) > 3
    answers[:] = [SUP_PW]
    assert main(["audit", "list", "--from", "2026-13-01", "--as", "sato"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_audit_verify_names_the_tampered_event(answers, capsys, dxdesk_home):
    from .conftest import drop_audit_triggers
    import sqlite3

    _setup(answers)
    conn = sqlite3.connect(dxdesk_home / "data" / "dxdesk.sqlite3", isolation_level=None)
    drop_audit_triggers(conn)
    event_id, seq = conn.execute("SELECT id, seq FROM audit_events ORDER BY seq LIMIT 1 OFFSET 1").fetchone()
    conn.execute("UPDATE audit_events SET result = 'failure' WHERE id = ?", (event_id,))
    conn.close()
    capsys.readouterr()
    answers[:] = [SUP_PW]
    assert main(["audit", "verify", "--as", "sato"]) == 1
    out = capsys.readouterr().out
    assert f"seq {seq}" in out and event_id in out and "hash mismatch" in out


def test_purge_dry_run(answers, capsys):
    _setup(answers)
    capsys.readouterr()
    answers[:] = [ADMIN_PW]
    assert main(["purge", "--dry-run", "--as", "admin"]) == 0
    assert "would clear personal data of 0 visit(s)" in capsys.readouterr().out
    assert main(["purge", "--as", "admin"]) == 2  # erasing for good: no terminal to confirm on, no --yes
    assert "--yes" in capsys.readouterr().err
    answers[:] = [SUP_PW]
    assert main(["purge", "--yes", "--as", "sato"]) == 2
    assert "not allowed" in capsys.readouterr().err


def test_account_list_says_until_when_an_account_is_locked_and_how_to_lift_it(answers, capsys):
    from dxdesk.config import Settings

    _setup(answers)
    for _ in range(Settings().security.max_failed_signins):
        answers[:] = ["not the password"]
        assert main(["audit", "list", "--as", "sato"]) == 2
    capsys.readouterr()
    answers[:] = [ADMIN_PW]
    assert main(["account", "list", "--as", "admin"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("sato "))
    assert "locked" in row
    assert re.search(r"^sato is locked until \d\d:\d\d JST \(to lift it now: dxdesk account unlock sato --as admin\)$",
                     out, re.MULTILINE), out
    answers[:] = [ADMIN_PW]
    assert main(["account", "unlock", "sato", "--as", "admin"]) == 0
    answers[:] = [ADMIN_PW]
    assert main(["account", "list", "--as", "admin"]) == 0
    assert "is locked until" not in capsys.readouterr().out
