"""#14 item 8: a signed-in supervisor lands on the support 一覧, loaded, with its count on screen; Enter on a row
opens the record read-only (a supervisor reads, the editor would only be refused)."""
from __future__ import annotations

from PySide6.QtCore import Qt

from dxdesk.ui.app import build_main_window
from dxdesk.ui.detail_dialog import DetailDialog
from dxdesk.ui.support.page import TAB_LIST
from supervisor_data import LONG_NOTE, add_people, add_support_records


def test_the_supervisor_lands_on_the_loaded_list_with_a_count(qtbot, services, runner):
    people = add_people(services)
    stored = add_support_records(services, people["supporter"])
    window = build_main_window(services, people["supervisor"], runner)
    qtbot.addWidget(window)
    support = window.stack.currentWidget()
    assert support is window._pages[1].widget and window._pages[1].key == "support"
    assert support.tabs.currentIndex() == TAB_LIST
    with qtbot.waitSignal(support.list.refreshed, timeout=10_000) as shown:
        window.show()
    assert shown.args == [stored]
    assert support.list.count_label.isVisible() and support.list.count_label.text() == f"該当 {stored} 件"
    assert support.list.model.rowCount() == stored

    # Read-only for a supervisor: no edit/delete; Enter opens the whole record, the long note included.
    lst = support.list
    assert not lst.edit_button.isVisible() and not lst.delete_button.isVisible()
    row = next(r for r in range(stored) if lst.model.session_at(r).note == LONG_NOTE)
    lst.table.selectRow(row)
    lst.table.setFocus()
    qtbot.keyClick(lst.table, Qt.Key.Key_Return)
    dialog = lst.detail_dialog
    assert isinstance(dialog, DetailDialog) and dialog.isVisible()
    assert LONG_NOTE in dialog.text() and lst.edit_dialog is None
    dialog.close()
    window.status_poll.stop()
    for page in window.closables:
        page.shutdown()
