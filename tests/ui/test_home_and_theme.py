"""The shared theme, the home dashboard, role-filtered tabs, page focus and the crash wording."""
from __future__ import annotations

import threading
from datetime import date, timedelta, timezone

import pytest
from accounts import add_ready_account
from PySide6.QtWidgets import QWidget

from dxdesk.app.dashboard import load_home_summary
from dxdesk.counter import IdentifyMethod, Visit, VisitCardData, load_catalogue
from dxdesk.timeutil import local_midnight, local_today
from dxdesk.ui import crash_dialog
from dxdesk.ui.app import build_main_window, create_application
from dxdesk.ui.tasks import SingleCall
from dxdesk.ui.theme import APP_STYLE_SHEET, FOCUS_RING


def _store_visit(services, clerk, *, minutes: int, cancel: bool = False) -> None:
    now = [local_midnight(local_today()).astimezone(timezone.utc) + timedelta(hours=10)]
    visit = Visit.start(load_catalogue(), session=clerk, desk_id=services.database.desk_id, procedures=["juminhyo"],
                        clock=lambda: now[0])
    if not cancel:
        visit.identify(VisitCardData(IdentifyMethod.MANUAL, name="山田　花子", address="北海道白老町大町1丁目1番地",
                                     birth_date=date(1948, 3, 9), sex="2"))
        for qid, value in {"juminhyo_copies": 1, "scope": "household", "juminhyo_purpose": "pension",
                           "requester": "self"}.items():
            visit.answer(qid, value)
        visit.finish_interview()
        visit.confirm()
    now[0] += timedelta(minutes=minutes)
    record = visit.cancel("test") if cancel else visit.close()
    services.visits.store(clerk, record, visit.timeline).result(timeout=10)


def test_app_wide_theme_has_one_visible_focus_ring(qapp):
    app = create_application([])
    assert app.styleSheet() == APP_STYLE_SHEET
    assert f"border: 3px solid {FOCUS_RING}" in APP_STYLE_SHEET  # buttons and fields share the ring


def test_home_summary_counts_only_todays_closed_visits_of_this_desk(services, signed_in_clerk):
    from dxdesk.store.session import start_queuing

    services.database.writer.run(start_queuing)  # a town desk (db set-server does this): its records wait
    _store_visit(services, signed_in_clerk, minutes=10)
    _store_visit(services, signed_in_clerk, minutes=20)
    _store_visit(services, signed_in_clerk, minutes=5, cancel=True)
    summary = load_home_summary(services.database, visits=True, support=True)
    assert (summary.visits_closed, summary.visits_cancelled, summary.support_sessions) == (2, 1, 0)
    assert summary.mean_visit_seconds == pytest.approx(15 * 60, abs=2)
    assert summary.pending_sync >= 3
    tomorrow = load_home_summary(services.database, visits=True, support=False, day=local_today() + timedelta(days=1))
    assert (tomorrow.visits_closed, tomorrow.mean_visit_seconds, tomorrow.support_sessions) == (0, None, None)


def test_home_page_shows_the_role_figures_and_page_buttons(qtbot, services, runner, session_for):
    clerk = session_for(services, "clerk")
    _store_visit(services, clerk, minutes=12)
    window = build_main_window(services, clerk, runner)
    qtbot.addWidget(window)
    window.show()
    window.show_page("home")
    home = window._pages[0].widget
    qtbot.waitUntil(lambda: home.visits_value.text() == "1 件", timeout=5000)
    assert home.support_value is None  # a clerk does not see the support log's figures
    assert home.mean_value.text() == "12分00秒"
    assert set(home.page_buttons) == {"counter"}
    home.page_buttons["counter"].click()
    assert window.stack.currentWidget() is window._pages[1].widget
    window.status_poll.stop()
    for page in window.closables:
        page.shutdown()


def test_supporter_sees_no_report_tab_and_supervisor_no_entry_tab(qtbot, services, runner, session_for):
    from dxdesk.ui.support import SupportPage

    for role, visible in (("supporter", ["記録", "一覧"]), ("supervisor", ["一覧", "レポート"])):
        session = session_for(services, role) if role == "supporter" else services.auth.sign_in(
            *_add(services, role))
        repo = services.support_service(session)
        page = SupportPage(repo, repo.catalog(), services.settings, runner)
        qtbot.addWidget(page)
        assert page.tab_titles() == visible


def _add(services, role):
    admin = services.auth.sign_in("admin", "correct horse 1")
    add_ready_account(services.auth, admin, role, f"{role} さん", role, "correct horse 3")
    return role, "correct horse 3"


def test_switching_pages_focuses_the_first_control_not_the_container(qtbot, services, runner, session_for):
    admin = session_for(services, "administrator")
    window = build_main_window(services, admin, runner)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    page = window._pages[1].widget
    qtbot.waitUntil(lambda: not page.accounts_tab.calls.busy(), timeout=5000)  # inputs are locked while loading
    window.show_page("admin")
    focused = window.focusWidget()  # the widget holding the window's focus (offscreen: window may be inactive)
    assert focused is not None and page.isAncestorOf(focused)
    assert focused is page.accounts_tab.table  # the tab's first control, not the page container
    window.show_page("home")
    assert window.focusWidget() is window._pages[0].widget.page_buttons["admin"]
    window.status_poll.stop()
    for p in window.closables:
        p.shutdown()


def test_crash_text_promises_autosave_only_with_an_open_visit():
    crash_dialog.set_open_visit_probe(None)
    assert "自動保存" not in crash_dialog.crash_message()
    crash_dialog.set_open_visit_probe(lambda: False)
    assert "自動保存" not in crash_dialog.crash_message()
    crash_dialog.set_open_visit_probe(lambda: True)
    assert "受付中の内容は自動保存されています" in crash_dialog.crash_message()
    crash_dialog.set_open_visit_probe(lambda: 1 / 0)  # a broken probe must not stop the dialog
    assert "自動保存" not in crash_dialog.crash_message()
    crash_dialog.set_open_visit_probe(None)


def test_single_call_drops_the_answer_for_a_deleted_owner(qtbot, runner):
    owner = QWidget()
    busy: list[bool] = []
    call = SingleCall(owner, runner, busy.append)
    release = threading.Event()
    answers: list[object] = []
    handle = call.start(lambda: release.wait(5) and "late", answers.append, answers.append)
    assert handle is not None and call.busy() and busy == [True]
    assert call.start(lambda: "second", answers.append, answers.append) is None  # one at a time
    owner.deleteLater()
    qtbot.waitUntil(lambda: handle.cancelled, timeout=2000)
    release.set()
    done = runner.run(lambda _c: "after", owner=None)
    with qtbot.waitSignal(done.finished, timeout=5000):
        pass
    assert answers == []


def test_supervisor_home_shows_a_failing_purge_and_set_aside_records(qtbot, services, runner, session_for):
    from dxdesk.store.models import Outbox
    from dxdesk.store.problems import PURGE, note_problem

    note_problem(services.database, PURGE, "retention purge failed (OSError)")
    services.database.writer.run(lambda s: s.add(Outbox(table_name="support_sessions", record_id="r1",
                                                        op="upsert", set_aside_at=local_midnight(local_today()),
                                                        set_aside_reason="check failed (ck_x, SQLSTATE 23514)")))
    supervisor = session_for(services, "supervisor")
    window = build_main_window(services, supervisor, runner)
    qtbot.addWidget(window)
    window.show()
    window.show_page("home")
    home = window._pages[0].widget
    qtbot.waitUntil(lambda: home.error.isVisible(), timeout=5000)
    assert "定期削除が失敗" in home.error.text()
    assert "保留 1 件" in home.sync_value.text()
    window.status_poll.stop()
    for page in window.closables:
        page.shutdown()


def test_a_sync_outcome_reaches_the_status_bar_at_once_and_a_failure_is_not_online(qtbot, services, runner,
                                                                                 session_for):
    import threading

    from dxdesk.i18n import Msg, set_language
    from dxdesk.ui.app import SyncResultRelay

    set_language("ja")
    services.settings.store.server_url = "postgresql://dxdesk@server.example/dxdesk"  # the status's own settings
    relay = SyncResultRelay()
    window = build_main_window(services, session_for(services, "clerk"), runner, relay)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.connection_label.text().startswith("オフライン"), timeout=5000)
    services.connectivity.report_failure(Msg("x", "x"), reachable=True,
                                         problem=Msg("同期エラー: サーバーの認証に失敗", "Sync error: server sign-in refused"))
    window.status_poll._timer.stop()  # no periodic refresh: only the relayed outcome can update the label now
    # As the sync thread does: the outcome comes from another thread, the label follows on the GUI thread.
    threading.Thread(target=relay, args=(None, None)).start()
    qtbot.waitUntil(lambda: window.connection_label.text().startswith("同期エラー: サーバーの認証に失敗"), timeout=10000)
    assert "オンライン" not in window.connection_label.text()
    window.status_poll.stop()
    for page in window.closables:
        page.shutdown()


def test_a_desk_with_no_server_shows_no_amber_waiting_count(qtbot, services, runner, session_for):
    """A desk that works alone has nothing late to send: no 「未送信 N 件」 warning for records kept here."""
    supervisor = session_for(services, "supervisor")
    _store_visit(services, session_for(services, "clerk"), minutes=5)  # an outbox entry exists
    assert not services.settings.store.server_url
    window = build_main_window(services, supervisor, runner)
    qtbot.addWidget(window)
    window.show()
    window.show_page("home")
    home = window._pages[0].widget
    qtbot.waitUntil(lambda: home.sync_value.text() == "サーバー未設定", timeout=5000)
    assert home.sync_value.property("role") == "value"
    window.status_poll.stop()
    for page in window.closables:
        page.shutdown()
