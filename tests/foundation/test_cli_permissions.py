"""Every CLI command is in this table: what it may change, which permission that takes, which audit event it writes.

The test walks ``dxdesk.cli.build_parser()``; a new command that is not listed here
fails until someone decides what it is. Mutating commands are then run for real
(as a town would: accounts, passwords on the prompt): without ``--as`` they refuse
and leave no trace, as a role without the permission they are refused, and where a
sample run is cheap, the right role succeeds and the newest audit event is the one
the table names, with that person as the actor.
"""
from __future__ import annotations

import argparse
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from dxdesk.cli import build_parser, main
from dxdesk.paths import app_paths
from dxdesk.security.permissions import ROLE_PERMISSIONS, Permission, Role

P = Permission


@dataclass(frozen=True)
class Cmd:
    kind: str  # "read-only" | "signed-read" (signs in, changes nothing) | "mutating" | "desk-routine"
    permission: Permission | None = None
    event: str | None = None  # the audit event type a successful run writes
    output: bool = False  # writes a file the person names: refuses existing files without --force
    confirm: bool = False  # destroys or rolls back: asks, --yes for scripts
    sample: tuple[str, ...] | None = None  # argv (after the command) for a real run; {tmp} is a scratch folder
    runs: bool = False  # the sample succeeds for the right role (else only the refusals are exercised)


RO = Cmd("read-only")
COMMANDS: dict[str, Cmd] = {
    "doctor": RO,
    "card readers": RO,
    "card status": RO,
    "card read": Cmd("mutating", P.READ_CARD, "card.read"),  # needs a reader: exercised in tests/cardreader
    "card identify": Cmd("mutating", P.READ_CARD, "card.read"),  # likewise: tests/cardreader/test_pcsc_identify.py
    "card sim": RO,  # serves a fictional card; no desk data
    "form list": RO,
    "form fill": Cmd("read-only", output=True),  # from a JSON file the person gives; no desk data read
    "form check": RO,
    # Prints a resident's data: signed in, PRINT_FORMS, audited; runs through a private CUPS in
    # tests/forms/test_cups_print.py (here only the refusals: no spooler needed for those).
    "form print": Cmd("mutating", P.PRINT_FORMS, "form.print",
                      sample=("juminhyo_request", "--data", str(Path(__file__).parents[1] / "forms/data/resident.json"),
                              "--printer", "no-such-queue")),
    "form calibration-page": Cmd("read-only", output=True),
    "db status": RO,
    "db bench-sync": RO,  # a temporary desk and scratch server databases; never this desk's data
    "db upgrade": Cmd("mutating", P.MANAGE_SETTINGS, "db.upgrade", sample=(), runs=True),
    "db backup": Cmd("mutating", P.MANAGE_KEYS, "db.backup", output=True, sample=("{tmp}/b.sqlite3",), runs=True),
    "db restore": Cmd("mutating", P.MANAGE_KEYS, "db.restore", confirm=True,
                      sample=("{tmp}/before.sqlite3", "--yes"), runs=True),
    "db rotate-key": Cmd("mutating", P.MANAGE_KEYS, "db.rotate_key", confirm=True, sample=("--yes",), runs=True),
    "db set-server": Cmd("mutating", P.MANAGE_KEYS, "db.set_server",
                         sample=("postgresql://dxdesk@server.example/dxdesk", "--no-password", "--insecure-no-tls"),
                         runs=True),
    # The town recovery key (docs/sync.md "Keys"): an administrator's, audited; refusals exercised here,
    # the runs themselves in tests/store/test_recovery.py.
    "db recovery-setup": Cmd("mutating", P.MANAGE_KEYS, "key.recovery_setup", sample=("--out", "{tmp}/r.txt")),
    "db recovery-accept": Cmd("mutating", P.MANAGE_KEYS, "key.recovery_accept", sample=("0000-0000",)),
    "db read-lost-desk": Cmd("mutating", P.MANAGE_KEYS, "data.recovery_read",
                             sample=("desk-x", "--recovery-sheet", "{tmp}/r.txt", "--out", "{tmp}/lost")),
    # Joining a town's server: the administrator signs in against the server's accounts (tests/store/
    # test_town_join_pg.py runs it); it is recorded as that administrator's db.set_server.
    "db join": Cmd("mutating", P.MANAGE_KEYS, "db.set_server"),
    "db work-offline": Cmd("mutating", P.MANAGE_SETTINGS, "db.work_offline", sample=("on",), runs=True),
    # The desk's routine sync to the server an administrator set: no person needed, recorded as the desk.
    "sync": Cmd("desk-routine", None, "sync.run"),
    "procedures list": RO,
    "procedures check": RO,
    "visit pending": RO,
    # The back-office hand-off (docs/handoff.md): the records of closed visits, streamed, a supervisor's export.
    "visit export": Cmd("signed-read", P.EXPORT_DATA, "data.export", output=True),
    "handoff status": RO,  # on/off, folder, file names waiting: no record contents
    "handoff set": Cmd("mutating", P.MANAGE_SETTINGS, "settings.change", sample=("--enabled", "on"), runs=True),
    "handoff pickup": Cmd("mutating", P.EXPORT_DATA, "handoff.pickup", sample=("{tmp}/picked",), runs=True),
    "support add": Cmd("mutating", P.LOG_SUPPORT, "support.change",
                       sample=("--topics", "power,line", "--age", "75-79", "--device", "android", "--attendees",
                               "1", "--helpers", "1", "--duration", "20", "--outcome", "resolved", "--venue",
                               "中央公民館", "--venue-type", "community_hall"), runs=True),
    "support list": Cmd("signed-read", P.LOG_SUPPORT),
    "support delete": Cmd("mutating", P.LOG_SUPPORT, "support.change", sample=("no-such-id",)),
    "support close-follow-up": Cmd("mutating", P.LOG_SUPPORT, "support.change", sample=("no-such-id",)),
    # --pdf is report.create; --csv and --classes-csv (per-class 講座・コマ CSV) are data.export and need EXPORT_DATA.
    "support report": Cmd("signed-read", P.VIEW_REPORTS, "report.create", output=True),
    "support rebuild-totals": Cmd("mutating", P.VIEW_REPORTS, "report.create", sample=(), runs=True),
    "support import": Cmd("mutating", P.LOG_SUPPORT, "support.change", sample=("{tmp}/one-session.csv",)),
    "support topics": Cmd("mutating", P.MANAGE_CATALOGUE, "support.change",  # listing needs no sign-in
                          sample=("--add", "town_topic", "--ja", "町の話題", "--en", "Town topic"), runs=True),
    "account add": Cmd("mutating", P.MANAGE_ACCOUNTS, "account.change", sample=("newbie", "--role", "clerk"),
                       runs=True),
    # Signs this desk's unsigned account changes with the town key (e.g. a clerk's own new password).
    "account sign-pending": Cmd("mutating", P.MANAGE_ACCOUNTS, "account.change", sample=()),
    "account list": Cmd("signed-read", P.MANAGE_ACCOUNTS),
    # Without --as, a person changes their own password (signing in with it): see SELF_SERVICE below.
    "account passwd": Cmd("mutating", P.MANAGE_ACCOUNTS, "account.change", sample=("clerk",), runs=True),
    "account deactivate": Cmd("mutating", P.MANAGE_ACCOUNTS, "account.change", sample=("clerk",), runs=True),
    "account unlock": Cmd("mutating", P.MANAGE_ACCOUNTS, "account.change", sample=("clerk",), runs=True),
    "audit verify": Cmd("signed-read", P.VIEW_AUDIT),
    "audit repair-triggers": Cmd("mutating", P.MANAGE_SETTINGS, "audit.repair_triggers", sample=(), runs=True),
    "audit list": Cmd("signed-read", P.VIEW_AUDIT),
    "audit export": Cmd("signed-read", P.EXPORT_DATA, "data.export", output=True),
    "purge": Cmd("mutating", P.MANAGE_SETTINGS, "data.purge", confirm=True, sample=("--yes",), runs=True),
    "self-test": RO,  # a temporary home, never the desk's data
}
LOGIN_FOR_ROLE = {Role.ADMINISTRATOR: "admin", Role.SUPERVISOR: "boss", Role.CLERK: "clerk",
                  Role.SUPPORTER: "helper"}


def _leaves(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> dict[str, argparse.ArgumentParser]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return {" ".join(prefix): parser}
    found: dict[str, argparse.ArgumentParser] = {}
    for action in subs:
        for name, sub in action.choices.items():
            found.update(_leaves(sub, (*prefix, name)))
    return found


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {opt for action in parser._actions for opt in action.option_strings}


def test_every_command_is_listed_and_no_listed_command_is_gone():
    leaves = set(_leaves(build_parser()))
    assert leaves - set(COMMANDS) == set(), "new command(s): add them to COMMANDS with what they change"
    assert set(COMMANDS) - leaves == set(), "listed command(s) no longer exist"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_parser_offers_what_the_table_requires(name):
    cmd, options = COMMANDS[name], _options(_leaves(build_parser())[name])
    if cmd.kind in ("mutating", "signed-read", "desk-routine"):
        assert "--as" in options, f"{name} changes or shows desk data: it must sign in with --as"
    if cmd.output:
        assert "--force" in options, f"{name} writes a file: it must refuse an existing one without --force"
    if cmd.confirm:
        assert "--yes" in options, f"{name} destroys or rolls back: it must ask, or take --yes"
    if cmd.kind == "mutating":
        assert cmd.permission is not None and cmd.event, f"{name}: say which permission and audit event"


def test_the_maintenance_rows_are_the_use_cases_rows():
    from dxdesk.app.maintenance import USE_CASES

    for name, case in USE_CASES.items():
        cmd = COMMANDS["sync" if name == "sync" else f"db {name.replace('_', '-')}"]
        assert (cmd.permission, cmd.event) == (case.permission, case.event.value)


def _events() -> list[tuple[int, str, str | None, str]]:
    # closing(): a sqlite3 connection's own ``with`` only commits; left open, it makes ``db restore`` see the
    # database in use (it was closed only by a garbage collection that importing every command set off).
    with closing(sqlite3.connect(app_paths().database_file)) as conn:
        return conn.execute("SELECT seq, event_type, actor, result FROM audit_events ORDER BY seq").fetchall()


def _clerk_id(login: str) -> str:
    with closing(sqlite3.connect(app_paths().database_file)) as conn:
        return conn.execute("SELECT id FROM clerks WHERE login = ?", (login,)).fetchone()[0]


def _argv(name: str, cmd: Cmd, tmp: Path) -> list[str]:
    assert cmd.sample is not None
    return [*name.split(), *(arg.replace("{tmp}", str(tmp)) for arg in cmd.sample)]


MUTATING = sorted(n for n, c in COMMANDS.items() if c.kind == "mutating" and c.sample is not None)


@pytest.fixture
def desk(desk_accounts, tmp_path):
    """Accounts for every role (signin.create_accounts), a backup to restore and a CSV to import."""
    from dxdesk.store.backup import backup_sqlite

    backup_sqlite(app_paths().database_file, tmp_path / "before.sqlite3")
    # One session in the export's format: a file the import refuses (empty, wrong headings) is refused before sign-in.
    (tmp_path / "one-session.csv").write_text(
        "開始日時,会場,会場種別,トピック,端末,年齢層,参加者数,支援者数,所要時間(分),結果\r\n"
        "2026-10-01 10:00,中央公民館,community_hall,power,android,75-79,1,1,20,resolved\r\n", encoding="utf-8")
    return tmp_path


SELF_SERVICE = {"account passwd"}


@pytest.mark.parametrize("name", sorted(set(MUTATING) - SELF_SERVICE))
def test_a_mutating_command_without_a_person_refuses_and_leaves_no_trace(name, desk, capsys):
    before = _events()
    assert main(_argv(name, COMMANDS[name], desk)) == 2
    assert "--as" in capsys.readouterr().err
    assert _events() == before


@pytest.mark.parametrize("name", MUTATING)
def test_a_mutating_command_refuses_a_role_without_its_permission(name, desk, capsys):
    cmd = COMMANDS[name]
    role = next(r for r in (Role.SUPPORTER, Role.CLERK, Role.SUPERVISOR, Role.ADMINISTRATOR)
                if cmd.permission not in ROLE_PERMISSIONS[r])
    login = LOGIN_FOR_ROLE[role]
    before = len(_events())
    assert main([*_argv(name, cmd, desk), "--as", login]) == 2
    assert "not allowed" in capsys.readouterr().err
    successes = [e for e in _events()[before:] if e[1] == cmd.event and e[3] == "success"]
    assert successes == [], f"{name} as a {role.value} changed something"


RUNS = sorted(n for n in MUTATING if COMMANDS[n].runs)


@pytest.mark.parametrize("name", RUNS)
def test_a_mutating_command_run_by_the_right_role_writes_its_event(name, desk, capsys):
    cmd = COMMANDS[name]
    role = next(r for r in (Role.SUPPORTER, Role.CLERK, Role.SUPERVISOR, Role.ADMINISTRATOR)
                if cmd.permission in ROLE_PERMISSIONS[r])
    login = LOGIN_FOR_ROLE[role]
    before = len(_events())
    assert main([*_argv(name, cmd, desk), "--as", login]) == 0, capsys.readouterr().err
    mine = [e for e in _events()[before:] if e[1] == cmd.event and e[3] == "success"]
    assert mine and mine[-1][2] == _clerk_id(login)
