"""Real accounts for tests: created through the auth service and signed in, as a town would.

Used by the window fixtures (tests/ui/conftest.py) and the counter harness, which also
serves the screenshot scripts; cheap scrypt parameters, same code path as production.
"""
from __future__ import annotations

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
