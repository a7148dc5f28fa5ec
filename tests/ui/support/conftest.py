"""Fixtures for the support-screen tests: a SupportPage over an in-memory repository and a fake clock."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for the shared `sample` module (also used by make_screenshots)

import support_ui_sample as sample  # noqa: E402

from dxdesk.config import Settings, SupportSettings  # noqa: E402
from dxdesk.support.repository import InMemoryRepository  # noqa: E402
from fakeclock import FakeClock



@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(sample.NOW)


@pytest.fixture
def settings() -> Settings:
    return Settings(support=SupportSettings(default_venue="中央公民館", default_helper_role="講師",
                                            default_helper_name="山田"))


@pytest.fixture
def empty_repo() -> InMemoryRepository:
    return InMemoryRepository(catalog=sample.catalog())


@pytest.fixture
def sample_repo() -> InMemoryRepository:
    return sample.repository()


@pytest.fixture
def as_supervisor():
    """as_supervisor(repo) -> the repository as a signed-in supervisor's SupportService (checked, audited)."""
    from dxdesk.security.audit import AuditLog
    from dxdesk.security.auth import AuthService
    from dxdesk.security.permissions import Role
    from dxdesk.store.database import open_database
    from dxdesk.support.service import SupportService
    from signin import CHEAP, sign_in_role

    db = open_database()
    audit = AuditLog(db)
    supervisor = sign_in_role(AuthService(db, audit, Settings().security, params=CHEAP), Role.SUPERVISOR)
    yield lambda repo: SupportService(repo, supervisor, audit)
    db.close()


@pytest.fixture
def make_page(qtbot, clock, settings):
    from dxdesk.ui.qtfonts import register_fonts
    from dxdesk.ui.support import SupportPage

    register_fonts()
    pages = []

    def make(repo, *, settings_=None):
        page = SupportPage(repo, repo.catalog(), settings_ or settings, clock=clock)
        qtbot.addWidget(page)
        page.resize(1060, 760)
        page.show()
        page.activateWindow()
        qtbot.waitUntil(lambda: page.isActiveWindow() and not page.jobs.busy)
        pages.append(page)
        return page

    yield make
    for page in pages:
        qtbot.waitUntil(lambda p=page: not p.jobs.busy)
        page.shutdown()
