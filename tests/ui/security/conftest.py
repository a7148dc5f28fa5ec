"""Fixtures for the sign-in, idle-lock and admin screens: a real store, a fake clock, cheap scrypt, a TaskRunner."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from dxdesk.config import SecuritySettings, load_settings
from dxdesk.security.audit import AuditLog
from dxdesk.security.auditview import AuditService
from dxdesk.security.auth import AuthService
from dxdesk.security.passwords import ScryptParams
from dxdesk.store.connectivity import ConnectivityState
from dxdesk.store.database import open_database
from dxdesk.ui.qtfonts import register_fonts
from dxdesk.ui.tasks import TaskRunner
from fakeclock import FakeClock

# Production uses n=2**15; the screens only need the same code path, not the cost.
FAST_PARAMS = ScryptParams(n=2**6, r=8, p=1)
PASSWORD = "correct horse 1"



class GatedSleep:
    """Stands in for the 1 s failure delay: returns at once unless a test closes the gate."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def __call__(self, _seconds: float) -> None:
        self.entered.set()
        assert self.gate.wait(10), "test never opened the gate"


@pytest.fixture(scope="session", autouse=True)
def _fonts(qapp):
    register_fonts()


@pytest.fixture
def clock() -> FakeClock:
    # "now" for the service is the real time: lockout messages show local HH:MM of it.
    return FakeClock(datetime.now(timezone.utc).replace(microsecond=0))


@pytest.fixture
def db():
    database = open_database()
    yield database
    database.close()


@pytest.fixture
def sleep() -> GatedSleep:
    return GatedSleep()


@pytest.fixture
def auth(db, clock, sleep) -> AuthService:
    settings = SecuritySettings(max_failed_signins=3, lockout_seconds=120, idle_lock_minutes=5)
    return AuthService(db, AuditLog(db, clock=clock), settings, clock=clock, params=FAST_PARAMS, sleep=sleep)


@pytest.fixture
def runner(sleep, db):  # after db: shut down before the database closes
    r = TaskRunner()
    yield r
    sleep.gate.set()  # never leave a worker parked at teardown
    r.shutdown()


@pytest.fixture
def admin(auth):
    return auth.create_first_admin("admin", "管理 太郎", PASSWORD)


@pytest.fixture
def make_page(qtbot, auth, db, runner):
    """The 管理 page for a signed-in ``session`` on this store (``settings``: the desk's shared Settings)."""
    from dxdesk.ui.admin import AdminPage

    def make(session, settings=None):
        settings = settings or load_settings()
        page = AdminPage(session, auth, AuditService(db, auth.audit), ConnectivityState(settings.store, db.pending_count),
                         settings, runner)
        qtbot.addWidget(page)
        page.resize(1100, 680)
        page.show()
        return page
    return make
