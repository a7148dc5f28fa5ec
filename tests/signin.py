"""Real accounts for tests, created through the auth service as a town would (cheap scrypt, same code path).

``admin_session`` / ``sign_in_clerk`` / ``sign_in_role``: signed-in sessions for the window fixtures
(tests/ui/conftest.py) and the counter harness, which also serves the screenshot scripts.

``desk_accounts``: one account per role (admin, boss, clerk, helper) in the desk database of the
test's DXDESK_HOME, for tests that drive signed-in CLI commands; it answers the CLI's hidden
password prompts by login, as the person would.
"""
from __future__ import annotations

import re

import pytest
from accounts import add_ready_account

from dxdesk.security.auth import AuthService
from dxdesk.security.passwords import ScryptParams
from dxdesk.security.permissions import Role, Session

CHEAP = ScryptParams(n=2**6, r=8, p=1)
ADMIN_PASSWORD = "correct horse 1"
CLERK_PASSWORD = "correct horse 2"


def admin_session(auth: AuthService) -> Session:
    """The first administrator (created on first use) signed in."""
    if auth.needs_first_admin():
        return auth.create_first_admin("admin", "管理者", ADMIN_PASSWORD)
    return auth.sign_in("admin", ADMIN_PASSWORD)


def sign_in_clerk(auth: AuthService, login: str = "clerk", display_name: str = "窓口 花子") -> Session:
    """A new clerk account (created by the administrator, first password replaced) signed in."""
    return add_ready_account(auth, admin_session(auth), login, display_name, Role.CLERK, CLERK_PASSWORD)


def sign_in_role(auth: AuthService, role: Role, login: str | None = None) -> Session:
    """A new account with ``role`` (created by the administrator) signed in."""
    login = login or role.value
    return add_ready_account(auth, admin_session(auth), login, f"{role.value} user", role, CLERK_PASSWORD)


ADMIN_PW = "blue harbour 41"
SUPERVISOR_PW = "green valley 52"
CLERK_PW = "red maple 63"
SUPPORTER_PW = "gold river 74"
NEW_PW = "silver cloud 85"
ISSUED_PW = "issued by admin 96"  # what the administrator hands out; each holder replaces it at once
SERVER_PW = "s3cret-pw"
PASSWORDS = {"admin": ADMIN_PW, "boss": SUPERVISOR_PW, "clerk": CLERK_PW, "helper": SUPPORTER_PW}
AS_ADMIN = ("--as", "admin")


def create_accounts() -> None:
    from dxdesk.security.audit import AuditLog
    from dxdesk.store.database import open_database

    db = open_database()
    try:
        auth = AuthService(db, AuditLog(db), params=CHEAP)
        admin = auth.create_first_admin("admin", "管理者", ADMIN_PW)
        for login, name, role, own in (("boss", "監督者", "supervisor", SUPERVISOR_PW),
                                       ("clerk", "職員", "clerk", CLERK_PW),
                                       ("helper", "支援員", "supporter", SUPPORTER_PW)):
            auth.create_account(admin, login, name, role, ISSUED_PW)
            auth.change_password(auth.sign_in(login, ISSUED_PW), ISSUED_PW, own)  # as a town does
    finally:
        db.close()


@pytest.fixture
def prompts(monkeypatch) -> list[str]:
    """Answer ``Password for LOGIN:``, new-password and ``server password:`` prompts; the prompts are recorded."""
    asked: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        asked.append(prompt)
        if prompt.startswith("server password"):
            return SERVER_PW
        if "new password" in prompt.lower() or "new account" in prompt:
            return NEW_PW
        match = re.match(r"Password for (\S+):", prompt)
        assert match, f"unexpected prompt {prompt!r}"
        return PASSWORDS.get(match.group(1), "not the password")

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    return asked


@pytest.fixture
def desk_accounts(prompts) -> list[str]:
    create_accounts()
    return prompts
