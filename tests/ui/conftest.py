"""Fixtures for tests that build the real window: app services on a temp home, a runner, signed-in roles."""
from __future__ import annotations

import pytest
from accounts import add_ready_account

from dxdesk.app.composition import AppServices
from dxdesk.ui.tasks import TaskRunner
from signin import CHEAP, sign_in_clerk


@pytest.fixture
def services():
    svc = AppServices.open(with_card=False, with_sync=False)
    svc.auth.params = CHEAP
    yield svc
    svc.close()


@pytest.fixture
def signed_in_clerk(services):
    """A clerk account created by the administrator through the auth service, signed in."""
    session = sign_in_clerk(services.auth)
    services.bind_session(session)
    yield session
    services.bind_session(None)


@pytest.fixture
def runner():
    r = TaskRunner()
    yield r
    r.shutdown()


@pytest.fixture
def session_for():
    """session_for(services, role) -> a signed-in Session; the first call also creates the administrator."""

    def sign_in(services: AppServices, role: str):
        if services.auth.needs_first_admin():
            admin = services.auth.create_first_admin("admin", "管理者", "correct horse 1")
        else:
            admin = services.auth.sign_in("admin", "correct horse 1")
        if role == "administrator":
            return admin
        return add_ready_account(services.auth, admin, role, f"{role} さん", role, "correct horse 2")

    return sign_in
