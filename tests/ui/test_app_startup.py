"""The window's cold start: the first dialog drawn first, the store opened (or created) behind it.

What is checked is the order and what is loaded, never a duration (timings: docs/performance.md,
``python -m tools.bench startup --existing-home``):
- the sign-in dialog is on screen while the services are still opening, and a sign-in typed
  meanwhile waits for them and succeeds; cancelling closes what was opened;
- a second window on the same data, or a database that cannot open, is told in one sentence and
  no window stays open;
- when the first dialog has been drawn, none of the heavy libraries has been imported;
- a new desk draws its start choice while its store is created; a desk with history whose
  database is gone is refused before any dialog.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

import dxdesk.ui.app as app_module
from dxdesk.app.composition import AppServices
from dxdesk.config import load_settings
from dxdesk.paths import app_paths
from dxdesk.store import startprobe
from dxdesk.store.errors import DatabaseCorruptError
from dxdesk.store.instancelock import InstanceLock
from dxdesk.ui import crash_dialog
from runapp import drive_run_app, visible
from signin import CHEAP

ADMIN_PW = "correct horse 1"


@pytest.fixture
def desk_in_use():
    """A desk whose database holds its administrator (created through the account service)."""
    services = AppServices.open(with_card=False, with_sync=False)
    try:
        services.auth.params = CHEAP
        services.auth.create_first_admin("admin", "管理者", ADMIN_PW)
    finally:
        services.close()


@pytest.fixture
def quiet_app(monkeypatch):
    """run_app without the crash dialog hook (a failure must surface) and with its fatal box recorded."""
    fatal: list[str] = []
    monkeypatch.setattr(crash_dialog, "install_excepthook", lambda: None)
    monkeypatch.setattr(app_module, "install_excepthook", lambda: None)
    monkeypatch.setattr(app_module.QMessageBox, "critical", lambda _parent, _title, text: fatal.append(text))
    return fatal


@contextmanager
def windows_shown() -> Iterator[list[str]]:
    """The class names of the top-level windows seen visible while the block runs (looked at every 10 ms)."""
    shown: list[str] = []
    probe = QTimer()
    probe.setInterval(10)
    probe.timeout.connect(lambda: shown.extend(type(w).__name__ for w in QApplication.topLevelWidgets()
                                               if w.isVisible()))
    probe.start()
    try:
        yield shown
    finally:
        probe.stop()


def test_the_probe_knows_a_desk_in_use_from_a_new_one(desk_in_use):
    settings = load_settings(app_paths())
    assert startprobe.has_accounts(settings)
    startprobe.check_not_in_use(settings)  # nobody holds it: no error, and the lock is released again
    InstanceLock.acquire(app_paths().database_file).release()


def test_a_new_desk_is_told_from_an_empty_or_unreadable_file(tmp_path):
    settings = load_settings(app_paths())
    assert not startprobe.has_accounts(settings)
    assert startprobe.is_new_desk(settings)  # no database, no history: its start choice needs nothing from the store
    assert not app_paths().database_file.exists()  # asking created nothing
    app_paths().database_file.write_bytes(b"")  # the store is opened first and says what is wrong
    assert not startprobe.has_accounts(settings) and not startprobe.is_new_desk(settings)
    app_paths().database_file.write_bytes(b"not a database at all, but some bytes")
    assert not startprobe.has_accounts(settings) and not startprobe.is_new_desk(settings)


def test_a_new_desk_shows_its_start_choice_while_the_store_is_created(qapp, quiet_app, monkeypatch):
    release = threading.Event()
    seen: dict[str, object] = {}
    real_open = app_module._open_services

    def held_open(settings, relay):
        seen["choice_came_first"] = release.wait(timeout=30)  # created before the choice: waits in vain
        return real_open(settings, relay)

    monkeypatch.setattr(app_module, "_open_services", held_open)

    def start_alone_before_the_store_exists() -> bool:
        dialog = visible("StartChoiceDialog")
        if dialog is None:
            return False
        seen["database_while_choosing"] = app_paths().database_file.exists()
        release.set()
        dialog.alone_button.click()  # the first administrator's dialog waits for the store
        return True

    def first_administrator_then_cancel() -> bool:
        dialog = visible("FirstAdminDialog")
        if dialog is None:
            return False
        dialog.reject()
        return True

    assert drive_run_app([start_alone_before_the_store_exists, first_administrator_then_cancel]) == 0
    assert seen == {"choice_came_first": True, "database_while_choosing": False}
    assert quiet_app == []
    assert app_paths().database_file.exists()  # created behind the choice, and closed by run_app
    InstanceLock.acquire(app_paths().database_file).release()


def test_a_choice_made_before_the_store_is_ready_waits_in_the_dialog_and_goes_on_by_itself(
        qapp, quiet_app, monkeypatch):
    release = threading.Event()
    real_open = app_module._open_services

    def held_open(settings, relay):
        release.wait(timeout=30)
        return real_open(settings, relay)

    monkeypatch.setattr(app_module, "_open_services", held_open)
    seen: dict[str, object] = {}

    def choose_alone_at_once() -> bool:
        dialog = visible("StartChoiceDialog")
        if dialog is None:
            return False
        dialog.alone_button.click()  # the store is still being created
        return True

    def still_there_saying_so() -> bool:
        dialog = visible("StartChoiceDialog")
        assert dialog is not None  # not gone with nothing on screen
        seen["waiting"] = (dialog.preparing.isVisible(), dialog.alone_button.isEnabled(), dialog.join_button.isEnabled())
        release.set()  # the store is ready: the dialog goes on by itself
        return True

    def first_administrator_then_cancel() -> bool:
        dialog = visible("FirstAdminDialog")
        if dialog is None:
            return False
        assert visible("StartChoiceDialog") is None
        dialog.reject()
        return True

    assert drive_run_app([choose_alone_at_once, still_there_saying_so, first_administrator_then_cancel]) == 0
    assert seen == {"waiting": (True, False, False)}
    assert quiet_app == []
    InstanceLock.acquire(app_paths().database_file).release()


def test_a_desk_with_history_and_no_database_is_refused_before_any_dialog(qapp, desk_in_use, quiet_app):
    # The database deleted under a desk that has written audit events: never the start choice of a blank
    # desk (anyone could make themselves its first administrator); the reason at once, nothing created.
    database = app_paths().database_file
    for leftover in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        leftover.unlink(missing_ok=True)
    with windows_shown() as shown:
        assert app_module.run_app() == 1
    assert len(quiet_app) == 1 and "記録があります" in quiet_app[0] and "dxdesk db restore" in quiet_app[0]
    assert not {"StartChoiceDialog", "FirstAdminDialog", "SignInDialog"} & set(shown)
    assert not database.exists()


def test_sign_in_is_on_screen_while_the_store_opens(qapp, desk_in_use, quiet_app, monkeypatch):
    release = threading.Event()
    seen: dict[str, object] = {}
    real_open = app_module._open_services

    def held_open(settings, relay):
        # The store may only open once the test has seen the dialog: opened before it (the old
        # order), this waits in vain and the flag below says so.
        seen["dialog_came_first"] = release.wait(timeout=30)
        services = real_open(settings, relay)
        services.auth.params = CHEAP
        return services

    monkeypatch.setattr(app_module, "_open_services", held_open)

    def sign_in_before_the_store_is_open() -> bool:
        dialog = visible("SignInDialog")
        if dialog is None:
            return False
        dialog.login_edit.setText("admin")
        dialog.password_edit.setText(ADMIN_PW)
        dialog.ok_button.click()  # typed at once: the check waits for the store on its worker
        assert dialog.busy.isVisibleTo(dialog)
        release.set()
        return True

    def main_window_then_sign_out() -> bool:
        window = visible("MainWindow")
        if window is None:
            return False
        assert "管理者" in window.card_label.text()
        menu = window.menuBar().actions()[0].menu()
        next(a for a in menu.actions() if a.text() == "サインアウト").trigger()
        return True

    def next_clerk_cancels() -> bool:
        dialog = visible("SignInDialog")
        if dialog is None:
            return False
        dialog.reject()
        return True

    assert drive_run_app([sign_in_before_the_store_is_open, main_window_then_sign_out, next_clerk_cancels]) == 0
    assert seen["dialog_came_first"] is True
    assert quiet_app == []
    InstanceLock.acquire(app_paths().database_file).release()  # closed: the next start may open it


def test_cancelling_before_the_store_is_open_closes_it_afterwards(qapp, desk_in_use, quiet_app, monkeypatch):
    opened: list[AppServices] = []
    release = threading.Event()
    real_open = app_module._open_services

    def held_open(settings, relay):
        release.wait(timeout=30)
        opened.append(real_open(settings, relay))
        return opened[-1]

    monkeypatch.setattr(app_module, "_open_services", held_open)

    def cancel_at_once() -> bool:
        dialog = visible("SignInDialog")
        if dialog is None:
            return False
        dialog.reject()
        release.set()
        return True

    assert drive_run_app([cancel_at_once]) == 0
    assert len(opened) == 1 and not opened[0]._closers  # opened after the cancel, and closed by run_app
    InstanceLock.acquire(app_paths().database_file).release()


def test_a_second_window_is_refused_before_any_dialog(qapp, desk_in_use, quiet_app):
    with InstanceLock.acquire(app_paths().database_file), windows_shown() as shown:  # the first window holds the desk
        assert app_module.run_app() == 1
    assert len(quiet_app) == 1 and "既に" in quiet_app[0]
    assert "SignInDialog" not in shown


@pytest.mark.parametrize("desk, first_dialog", [("in use", "SignInDialog"), ("new", "StartChoiceDialog")])
def test_a_store_that_cannot_open_closes_the_dialog_and_says_why(qapp, quiet_app, monkeypatch, request, desk,
                                                                 first_dialog):
    if desk == "in use":
        request.getfixturevalue("desk_in_use")
    shown = threading.Event()

    def broken_open(_settings, _relay):
        shown.wait(timeout=30)  # fails once the test has seen the dialog (failing at once, it could close unseen)
        raise DatabaseCorruptError()

    monkeypatch.setattr(app_module, "_open_services", broken_open)

    def dialog_was_shown() -> bool:
        if visible(first_dialog) is None:
            return False
        shown.set()
        return True

    assert drive_run_app([dialog_was_shown]) == 1
    assert quiet_app == [DatabaseCorruptError().message.text()]
    assert visible(first_dialog) is None


HEAVY = ("sqlalchemy", "alembic", "keyring", "smartcard", "reportlab", "pypdf", "cryptography",
         "PySide6.QtTextToSpeech", "PySide6.QtPdf", "PySide6.QtMultimedia", "budoux", "dxdesk.store.models",
         "dxdesk.cardreader.service", "dxdesk.app.composition")

# A child process (this one has imported everything): the real start-up, stopped when the first
# dialog has been drawn, listing which heavy modules were loaded by then.
_CHILD = f"""
import json, os, sys
os.environ["DXDESK_STARTUP_PROBE"] = "1"
from dxdesk.ui import app, startup
real_start = startup.ServicesOpening.start

def start(self):
    print("MODULES=" + json.dumps([m for m in {HEAVY!r} if m in sys.modules]), flush=True)
    real_start(self)

startup.ServicesOpening.start = start
sys.exit(app.run_app())
"""


def _heavy_modules_when_drawn() -> list[str]:
    out = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=120, check=True)
    assert "dxdesk-window-shown" in out.stdout  # the probe saw the dialog painted
    line = next(line for line in out.stdout.splitlines() if line.startswith("MODULES="))
    return json.loads(line.removeprefix("MODULES="))


def test_nothing_heavy_is_loaded_before_the_sign_in_dialog_is_drawn(desk_in_use):
    assert _heavy_modules_when_drawn() == []


def test_a_new_desk_loads_only_the_keyring_before_its_start_choice_is_drawn():
    # The keyring answers whether this desk has history (then no start choice at all: the test above).
    assert _heavy_modules_when_drawn() in (["keyring"], ["keyring", "cryptography"])  # some keyring backends


# After sign-in: the administrator's window (home and 管理, landing on 管理) draws no PDF and reaches
# no server: ReportLab loads with the calibration page's button, the PostgreSQL driver with a sync.
_ADMIN_WINDOW = f"""
import json, os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from dxdesk.app.composition import AppServices
from dxdesk.ui.app import build_main_window, create_application
from dxdesk.ui.tasks import TaskRunner

app = create_application([])
services = AppServices.open(with_sync=False)
session = services.auth.sign_in("admin", {ADMIN_PW!r})
runner = TaskRunner()
window = build_main_window(services, session, runner)
window.show()
app.processEvents()
print("PAGE=" + type(window.stack.currentWidget()).__name__)
print("MODULES=" + json.dumps([m for m in ("reportlab", "pypdf", "psycopg") if m in sys.modules]), flush=True)
window.status_poll.stop()
for page in window.closables:
    page.shutdown()
runner.shutdown()
services.close()
"""


def test_the_administrators_window_loads_no_pdf_drawing_and_no_server_driver(desk_in_use):
    out = subprocess.run([sys.executable, "-c", _ADMIN_WINDOW], capture_output=True, text=True, timeout=120,
                         check=True)
    assert "PAGE=AdminPage" in out.stdout.splitlines()  # the page the administrator lands on was built
    line = next(line for line in out.stdout.splitlines() if line.startswith("MODULES="))
    assert json.loads(line.removeprefix("MODULES=")) == []


def test_the_services_open_once_whoever_asks_first(qapp, runner):
    """The paint, the fallback timer and a sign-in on a worker may all ask: one opening, one close."""
    from dxdesk.ui.startup import ServicesOpening

    opened: list[AppServices] = []

    def open_services() -> AppServices:
        opened.append(AppServices.open(with_card=False, with_sync=False, exclusive=True))  # a second open would fail
        return opened[-1]

    opening = ServicesOpening(runner, open_services)
    answers: list[AppServices] = []
    for _ in range(2):  # sign-in calls on workers
        runner.run(lambda _cancel: answers.append(opening.services()))
    opening.start()  # the first paint
    opening.start()  # the fallback timer
    services = opening.services()  # the GUI thread after the dialog
    runner.shutdown()  # waits for the workers' calls
    assert len(opened) == 1 and services is opened[0]
    assert answers == [services, services]
    opening.close()
    assert not services._closers  # closed


def test_a_broken_settings_file_stops_the_start_and_says_so(qapp, desk_in_use, quiet_app, monkeypatch):
    # It used to start "with defaults": no desk_id, so the database key and the audit chain were
    # looked up (or made) under an empty desk id, and the clerk was told to restore the key.
    settings_file = app_paths().settings_file
    settings_file.write_text("[general\n", encoding="utf-8")
    opened: list[object] = []
    monkeypatch.setattr(app_module, "_open_services", lambda *args: opened.append(args))
    assert app_module.run_app() == 1
    assert len(quiet_app) == 1 and "settings.toml" in quiet_app[0] and "設定ファイル" in quiet_app[0]
    assert opened == [] and settings_file.read_text(encoding="utf-8") == "[general\n"
