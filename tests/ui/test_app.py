"""The bootstrap builds the pages each role may use, on a real temporary database."""
import pytest

from dxdesk.security.passwords import ScryptParams
from dxdesk.app.composition import AppServices
from dxdesk.ui.app import build_main_window


@pytest.mark.parametrize(
    "role,expected",
    [
        ("clerk", ["home", "counter"]),
        ("supporter", ["home", "support"]),
        ("supervisor", ["home", "support", "admin"]),
        ("administrator", ["home", "admin"]),
    ],
)
def test_pages_follow_the_role(qtbot, services, runner, role, expected, session_for):
    session = session_for(services, role)
    window = build_main_window(services, session, runner)
    qtbot.addWidget(window)
    assert [p.key for p in window._pages] == expected
    # Straight to the role's first job; the home page has nothing to do.
    assert window.stack.currentWidget() is window._pages[min(1, len(expected) - 1)].widget
    assert session.display_name in window.card_label.text()
    qtbot.waitUntil(lambda: "サーバー未設定" in window.connection_label.text(), timeout=5000)
    for page in window.closables:
        page.shutdown()


def test_support_mode_shows_no_counter_page_even_to_a_clerk(qtbot, runner, session_for):
    from dxdesk.config import load_settings

    settings = load_settings()
    settings.general.mode = "support"
    services = AppServices.open(settings=settings, with_card=False, with_sync=False)

    services.auth.params = ScryptParams(n=2**6, r=8, p=1)
    try:
        session = session_for(services, "clerk")
        window = build_main_window(services, session, runner)
        qtbot.addWidget(window)
        assert [p.key for p in window._pages] == ["home"]
        assert services.journal is None
    finally:
        services.close()


def test_support_page_goes_through_the_checked_service(qtbot, services, runner, session_for):
    from dxdesk.support.service import SupportService

    session = session_for(services, "supporter")
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


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_role_fits_a_1366x768_screen(qtbot, services, runner, session_for, language):
    # Town-hall laptops are often 1366x768; a window whose minimum is wider cannot be used there.
    # Measured in the app's own font and theme (create_application), whatever ran before: the
    # app_look_restored fixture puts the session's look back afterwards.
    from dxdesk import i18n
    from dxdesk.ui.app import create_application

    i18n.set_language(language)
    create_application([])
    try:
        for role in ("clerk", "supporter", "supervisor", "administrator"):
            window = build_main_window(services, session_for(services, role), runner)
            qtbot.addWidget(window)
            hint = window.minimumSizeHint()
            assert hint.width() <= 1366 and hint.height() <= 700, (language, role, hint)
            window.status_poll.stop()  # its timer must not fire after the runner has shut down
            for page in window.closables:
                page.shutdown()
            window.status_poll.stop()  # else its timer fires after this test's runner has shut down
    finally:
        i18n.set_language("ja")
