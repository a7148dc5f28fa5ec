"""管理 → データ引き渡し on a real store, as a town runs it: the administrator turns the hand-off on in the window,
the CLI's status reads the same setting, a clerk's print then leaves a record in the folder; the change is audited;
a supervisor has no such tab and the use case refuses them; a folder that cannot hold records gives a sentence."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from accounts import add_ready_account
from handoff.conftest import confirmed_visit
from PySide6.QtWidgets import QFileDialog
from signin import sign_in_clerk

from dxdesk.app.formpdf import render_visit_pdf, visit_form_payload
from dxdesk.app.handoff import Handoff
from dxdesk.app.visits import CounterVisits
from dxdesk.cli import main
from dxdesk.config import load_settings
from dxdesk.counter import InMemoryKeyProvider, VisitJournal, load_catalogue
from dxdesk.paths import app_paths
from dxdesk.security.audit import load_records
from dxdesk.security.auditlabels import details_text
from dxdesk.security.permissions import Role
from dxdesk.timeutil import local_today
from dxdesk.ui.admin.handoff import HandoffTab
from dxdesk.ui.admin.page import TAB_HANDOFF

from .conftest import PASSWORD

pytestmark = pytest.mark.ui


@pytest.fixture
def folder_dialog(monkeypatch):
    """The administrator's answer to the folder dialog (set ``answer[0]`` before clicking)."""
    answer: list[Path] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda _parent, _title, _start: str(answer[0]))
    return answer


def _handoff_changes(db):
    with db.session() as orm:
        return [r for r in load_records(orm, event_type="settings.change") if r.details.get("setting") == "handoff"]


def _opened(qtbot, page) -> HandoffTab:
    assert page.show_tab(TAB_HANDOFF)
    tab = page.handoff_tab
    assert tab is not None and page.tabs.currentWidget() is tab
    if tab.calls.busy():  # the first count of the waiting files
        qtbot.waitSignal(tab.refreshed, timeout=10_000).wait()
    return tab


def test_turning_it_on_in_the_tab_is_what_the_cli_reads_and_a_print_leaves_a_record(
        qtbot, make_page, admin, auth, db, tmp_path, folder_dialog, capsys):
    settings = load_settings()
    page = make_page(admin, settings)
    tab = _opened(qtbot, page)
    assert tab.state_label.text() == "現在: 無効（書き出していません）"
    assert tab.waiting_label.text() == "受け取り待ちのファイル: 0 件"
    assert tab.folder_edit.text() == f"{app_paths().data_dir / 'handoff'}（既定）"

    share = tmp_path / "town-share"
    share.mkdir()
    folder_dialog.append(share)
    tab.choose_button.click()
    assert tab.folder_edit.text() == str(share)
    tab.enabled_check.setChecked(True)
    tab.retention_spin.setValue(14)
    with qtbot.waitSignal(tab.saved, timeout=10_000):
        tab.save_button.click()
    assert tab.state_label.text() == "現在: 有効（印刷した申請書のデータを書き出しています）"
    assert tab.status.text() == "データ引き渡しの設定を保存しました。"

    [change] = _handoff_changes(db)
    assert change.actor == admin.clerk_id
    assert change.details == {"setting": "handoff", "folder": "custom", "enabled": True, "retention_days": 14}
    # The supervisor's 監査ログ says it in the tab's words (no path: it could name a person).
    assert details_text(change.details, language="ja") == \
        "設定: データ引き渡し、使用: オン、フォルダー: 指定のフォルダー、保存日数: 14"
    capsys.readouterr()
    assert main(["handoff", "status", "--json"]) == 0  # the CLI reads the file the tab wrote
    status = json.loads(capsys.readouterr().out)
    assert (status["enabled"], status["folder"], status["retention_days"], status["waiting"]) == (
        True, str(share), 14, [])

    # A clerk's print on the desk that shares this Settings object now leaves its record in the chosen folder.
    clerk = sign_in_clerk(auth)
    visits = CounterVisits(db, auth.audit, load_catalogue(), VisitJournal(InMemoryKeyProvider(), tmp_path / "visits"),
                           settings, handoff=Handoff(settings, auth.audit))
    visit = confirmed_visit(visits, clerk, ["koseki_shomei"])
    document = render_visit_pdf(visit_form_payload(visit, local_today()))
    visits.record_printed(visit, document.forms, len(document.pages), filled=document.filled).result(10)
    assert sorted(p.suffix for p in share.iterdir()) == [".csv", ".json"]
    with qtbot.waitSignal(tab.refreshed, timeout=10_000):
        tab.refresh_button.click()
    assert tab.waiting_label.text() == "受け取り待ちのファイル: 2 件"

    # Nothing changed: nothing saved, no event.
    tab.save_button.click()
    assert tab.status.text() == "変更はありません。" and len(_handoff_changes(db)) == 1


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_a_folder_that_cannot_hold_records_is_a_sentence_and_nothing_is_saved(
        qtbot, make_page, admin, db, tmp_path, folder_dialog, kind):
    if kind == "missing":
        chosen, said = tmp_path / "gone" / "handoff", f"フォルダー「{tmp_path / 'gone'}」がありません。"
    else:
        chosen, said = tmp_path / "notes.txt", f"「{tmp_path / 'notes.txt'}」はフォルダーではありません。"
        chosen.write_text("not a folder")
    settings = load_settings()
    page = make_page(admin, settings)
    tab = _opened(qtbot, page)
    folder_dialog.append(chosen)
    tab.choose_button.click()
    tab.enabled_check.setChecked(True)
    with qtbot.waitSignal(tab.failed, timeout=10_000) as refused:
        tab.save_button.click()
    assert refused.args[0].startswith(said) and "Traceback" not in refused.args[0]
    assert tab.status.text() == refused.args[0]
    assert tab.folder_edit.text() == str(chosen) and tab.enabled_check.isChecked()  # the draft stays for a retry
    assert not settings.handoff.enabled and settings.handoff.folder == ""  # the printing desk's setting is untouched
    assert load_settings().handoff.enabled is False and _handoff_changes(db) == []
    assert not (tmp_path / "gone").exists()


def test_a_supervisor_has_no_handoff_tab_and_cannot_use_one(qtbot, make_page, auth, admin, db, runner):
    supervisor = add_ready_account(auth, admin, "boss", "課長", Role.SUPERVISOR, PASSWORD)
    clerk = add_ready_account(auth, admin, "clerk1", "窓口 一郎", Role.CLERK, PASSWORD)
    page = make_page(supervisor)
    assert TAB_HANDOFF not in page.tab_titles() and page.handoff_tab is None
    assert make_page(clerk).handoff_tab is None

    # Hiding the tab is convenience: the same tab in a supervisor's hands is refused by the use case.
    settings = load_settings()
    tab = HandoffTab(supervisor, Handoff(settings, auth.audit), runner)
    qtbot.addWidget(tab)
    if tab.calls.busy():
        qtbot.waitSignal(tab.refreshed, timeout=10_000).wait()
    tab.enabled_check.setChecked(True)
    with qtbot.waitSignal(tab.failed, timeout=10_000) as refused:
        tab.save_button.click()
    assert "設定の管理" in refused.args[0]  # the refusal names the missing right
    assert settings.handoff.enabled is False and load_settings().handoff.enabled is False
    assert _handoff_changes(db) == []
