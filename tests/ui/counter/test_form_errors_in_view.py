"""#14: an error the clerk cannot see is no help. On a short screen the manual-entry and 照合番号B forms sit
below the card panels: opening one scrolls it up, and a failed check focuses the first field to fix with
its message and the summary inside the visible part of the step."""
from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from dxdesk.counter import VisitStep
from test_counter_visit import ctrl_enter, show, start_juminhyo


def in_view(widget: QWidget) -> bool:
    """Shown, and inside the visible viewport of every scroll area around it."""
    if not widget.isVisible():
        return False
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            viewport = parent.viewport()
            rect = QRect(widget.mapTo(viewport, widget.rect().topLeft()), widget.size())
            if not viewport.rect().contains(rect):
                return False
        parent = parent.parentWidget()
    return True


def _identify_on_a_short_page(qtbot, make_kit):
    """A visit at 本人確認 on a page as short as a 1366x728 desk leaves it (less the side list and menus)."""
    kit = make_kit()
    kit.page.resize(1100, 560)
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.waitUntil(lambda: kit.page.identify.tries_left == 3)
    return kit


def test_manual_entry_errors_are_scrolled_to_and_focused(qtbot, make_kit):
    kit = _identify_on_a_short_page(qtbot, make_kit)
    page = kit.page
    page.identify.show_manual()
    form = page.identify.manual_form
    scroll = page._scrolls[page.identify]
    qtbot.waitUntil(lambda: in_view(form.family))
    assert scroll.verticalScrollBar().maximum() > 0  # the step really is taller than the room
    form.family.setText("窓口")
    form.kana.setText("まどぐち")
    form.address.setText("北海道白老町大町1丁目1番地")
    scroll.verticalScrollBar().setValue(0)  # the clerk looked back up at the card panel
    assert not in_view(form.sex)
    ctrl_enter(qtbot, kit)  # birth date and sex missing
    assert page.current_step() == VisitStep.IDENTIFY.value
    assert form.summary.text().startswith("直すところが 2 か所あります: ")
    assert form.errors[form.birth].text().startswith("生年月日を入力してください")
    assert form.errors[form.sex].text() == "性別を選んでください"
    assert form.errors[form.family].text() == ""
    assert QApplication.focusWidget() is form.birth
    qtbot.waitUntil(lambda: in_view(form.birth) and in_view(form.errors[form.birth]) and in_view(form.summary))


def test_code_b_errors_are_scrolled_to_and_focused(qtbot, make_kit):
    kit = _identify_on_a_short_page(qtbot, make_kit)
    page = kit.page
    page.identify.show_code_b()
    form = page.identify.code_b_form
    qtbot.waitUntil(lambda: in_view(form.birth_date))
    assert QApplication.focusWidget() is form.birth_date
    form.yymmdd.setText("550217")
    page._scrolls[page.identify].verticalScrollBar().setValue(0)
    form.submit()
    assert QApplication.focusWidget() is form.expiry
    qtbot.waitUntil(lambda: in_view(form.error) and in_view(form.expiry))
