"""Fixtures for the security tests: a real store, a controllable clock and cheap scrypt."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest

from dxdesk.config import SecuritySettings, load_settings
from dxdesk.security.audit import AuditLog
from dxdesk.security.auth import AuthService
from dxdesk.security.passwords import ScryptParams
from dxdesk.security.permissions import Role
from dxdesk.store.database import open_database
from accounts import add_ready_account
from fakeclock import FakeClock

# Production uses n=2**15; tests only need the same code path, not the cost.
FAST_PARAMS = ScryptParams(n=2**6, r=8, p=1)
PASSWORD = "correct horse 1"



@dataclass
class SleepRecorder:
    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc))


@pytest.fixture
def db():
    database = open_database()
    yield database
    database.close()


@pytest.fixture
def audit(db, clock) -> AuditLog:
    return AuditLog(db, clock=clock)


@pytest.fixture
def security_settings() -> SecuritySettings:
    return SecuritySettings(max_failed_signins=3, lockout_seconds=120, idle_lock_minutes=5)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def auth(db, audit, security_settings, clock, sleeps) -> AuthService:
    return AuthService(db, audit, security_settings, clock=clock, params=FAST_PARAMS, failure_delay_s=1.0,
                       sleep=sleeps)


@pytest.fixture
def sessions(auth):
    """A signed-in session for every role (the administrator is the first-run account)."""
    admin = auth.create_first_admin("admin", "管理 太郎", PASSWORD)
    result = {Role.ADMINISTRATOR: admin}
    for role in (Role.CLERK, Role.SUPPORTER, Role.SUPERVISOR):
        add_ready_account(auth, admin, role.value, f"{role.value} user", role, PASSWORD)
        result[role] = auth.sign_in(role.value, PASSWORD)
    return result


def raw_connection(db) -> sqlite3.Connection:
    """A plain sqlite3 connection, as someone with the database file would use."""
    return sqlite3.connect(db.path, isolation_level=None)


def drop_audit_triggers(conn: sqlite3.Connection) -> None:
    """An attacker with the file can drop the append-only triggers; the hash chain must still catch edits."""
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_events'"):
        conn.execute(f'DROP TRIGGER "{name}"')


def desk_id() -> str:
    return load_settings().general.desk_id
