"""The bootstrap builds the pages each role may use, on a real temporary database."""
import pytest

from dxdesk.security.passwords import ScryptParams
from dxdesk.services import AppServices
from dxdesk.ui.app import build_main_window
from dxdesk.ui.tasks import TaskRunner

CHEAP = ScryptParams(n=2**6, r=8, p=1)


@pytest.fixture
def services():
    svc = AppServices.open(with_card=False, with_sync=False)
    svc.auth.params = CHEAP
    yield svc
    svc.close()


@pytest.fixture
def runner():
    r = TaskRunner()
    yield r
    r.shutdown()


def _session(services, role):
    admin = services.auth.create_first_admin("admin", "管理者", "correct horse 1")
    if role == "administrator":
        return admin
    services.auth.create_account(admin, role, f"{role} さん", role, "correct horse 2")
    return services.auth.sign_in(role, "correct horse 2")


@pytest.mark.parametrize(
    "role,expected",
    [
        ("clerk", ["home", "counter"]),
        ("supporter", ["home", "support"]),
        ("supervisor", ["home", "support", "admin"]),
        ("administrator", ["home", "admin"]),
    ],
)
def test_pages_follow_the_role(qtbot, services, runner, role, expected):
    session = _session(services, role)
    window = build_main_window(services, session, runner)
    qtbot.addWidget(window)
    assert [p.key for p in window._pages] == expected
    # Straight to the role's first job; the home page has nothing to do.
    assert window.stack.currentWidget() is window._pages[min(1, len(expected) - 1)].widget
    assert session.display_name in window.card_label.text()
    qtbot.waitUntil(lambda: "サーバー未設定" in window.connection_label.text(), timeout=5000)
    for page in window.closables:
        page.shutdown()


def test_support_mode_shows_no_counter_page_even_to_a_clerk(qtbot, runner):
    from dxdesk.config import load_settings

    settings = load_settings()
    settings.general.mode = "support"
    services = AppServices.open(settings=settings, with_card=False, with_sync=False)
    services.auth.params = CHEAP
    try:
        session = _session(services, "clerk")
        window = build_main_window(services, session, runner)
        qtbot.addWidget(window)
        assert [p.key for p in window._pages] == ["home"]
        assert services.journal is None
    finally:
        services.close()


def test_support_page_goes_through_the_checked_service(qtbot, services, runner):
    from dxdesk.support.service import SupportService

    session = _session(services, "supporter")
    window = build_main_window(services, session, runner)
    qtbot.addWidget(window)
    support = next(p for p in window.closables if hasattr(p, "session_saved"))
    assert isinstance(support._repository, SupportService) and support._repository.session == session
    for page in window.closables:
        page.shutdown()


def test_a_second_app_on_the_same_data_is_refused():
    from dxdesk.store.errors import DatabaseInUseError

    first = AppServices.open(with_card=False, with_sync=False, exclusive=True)
    try:
        with pytest.raises(DatabaseInUseError) as info:
            AppServices.open(with_card=False, with_sync=False, exclusive=True)
        assert "既に" in info.value.message.ja
    finally:
        first.close()
    AppServices.open(with_card=False, with_sync=False, exclusive=True).close()  # released on close
