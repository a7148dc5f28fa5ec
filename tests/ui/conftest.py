"""Fixtures for tests that build the real window: app services on a temp home, a runner, signed-in roles."""
from __future__ import annotations

import pytest
from accounts import add_ready_account

from dxdesk.app.composition import AppServices
from dxdesk.ui.tasks import TaskRunner
from signin import CHEAP, sign_in_clerk


@pytest.fixture(autouse=True)
def app_look_restored(qapp):
    """Each test ends with the application's look and language as it found them.

    There is one QApplication per session: run_app (test_app_flow.py) and create_application set its
    font, palette and style sheet, and a later test measured its windows in that look instead of its
    own (test_app.py's 1366x768 check passed alone and failed after test_app_flow.py). A test that
    wants the app's real look sets it itself (create_application).
    """
    from dxdesk import i18n

    font, palette, sheet, language = qapp.font(), qapp.palette(), qapp.styleSheet(), i18n.current_language()
    yield
    if i18n.current_language() != language:
        i18n.set_language(language)
    if qapp.styleSheet() != sheet:
        qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)
    qapp.setFont(font)


@pytest.fixture
def english():
    """The UI in English for one test (app_look_restored puts the language back)."""
    from dxdesk import i18n

    i18n.set_language("en")
    yield


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
