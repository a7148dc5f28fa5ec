"""#14: a destructive key asks first, messages belong to their step, a printed visit can print again."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from dxdesk.counter import VisitStep
from dxdesk.ui.counter.printstep import PrintStep
from test_counter_paths import press_pin, wait_for_pad
from test_counter_visit import show, start_juminhyo

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def test_ctrl_shift_del_asks_and_enter_keeps_the_visit(qtbot, make_kit):
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Delete, CTRL_SHIFT)
    qtbot.waitUntil(lambda: page.cancel_question is not None and page.cancel_question.isVisible())
    question = page.cancel_question
    qtbot.keyClick(question, Qt.Key.Key_Return)  # the default answer keeps the visit
    qtbot.waitUntil(lambda: page.cancel_question is None)
    assert page.visit is not None and not page.visit.closed
    assert page.current_step() == VisitStep.IDENTIFY.value

    cancel_the_visit(qtbot, page)
    assert page.current_step() == VisitStep.CLOSED.value


def cancel_the_visit(qtbot, page):
    """Ctrl+Shift+Del, then 「中止する」: the visit ends as cancelled and its record is stored."""
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Delete, CTRL_SHIFT)
    qtbot.waitUntil(lambda: page.cancel_question is not None and page.cancel_question.isVisible())
    with qtbot.waitSignal(page.visit_stored, timeout=15000) as stored:
        page.cancel_question.button(page.cancel_question.StandardButton.Yes).click()
    assert stored.args[0].outcome == "cancelled"


def identified(qtbot, page) -> None:
    """A 住民票 visit identified with the card's PIN: at the interview."""
    page.start_visit(["juminhyo"])
    qtbot.waitUntil(lambda: page.identify.tries_left == 3)
    page.identify.read_with_pin()
    press_pin(qtbot, wait_for_pad(qtbot, page.identify), "1234")
    qtbot.waitUntil(lambda: page.current_step() == VisitStep.INTERVIEW.value)


def answer_the_interview(page) -> None:
    """Every answer the 住民票 needs, then on to the confirmation."""
    page.interview.kana.setText("コクトウ　ミキヤ")
    for qid, value in {"juminhyo_copies": 1, "scope": "household", "juminhyo_purpose": "bank",
                       "requester": "self"}.items():
        page.interview.fields[qid].set_value(value)
    page.next()


def test_an_error_does_not_follow_the_clerk_to_the_next_step_and_print_can_be_repeated(qtbot, make_kit):
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    identified(qtbot, page)
    page.next()  # nothing answered: refused, in red under the form (once: not again in the status line)
    assert page.current_step() == VisitStep.INTERVIEW.value and page.interview.error.text()
    assert page.status.text() == ""
    answer_the_interview(page)
    assert page.current_step() == VisitStep.CONFIRM.value
    assert page.status.text() == ""  # the interview's refusal is gone
    page.next()
    qtbot.waitUntil(lambda: page.printing.print_button.isEnabled(), timeout=15000)
    assert page.printing.print_button.text() == "すべて印刷（Ctrl+P）"
    with qtbot.waitSignal(page.printing.printed, timeout=15000):
        page.printing.print_all()
    assert page.printing.print_button.text() == "もう一度印刷（Ctrl+P）"
    assert page.printing.print_button.isEnabled()
    with qtbot.waitSignal(page.printing.printed, timeout=15000):
        page.printing.print_all()


def test_forms_drawn_after_the_visit_was_cancelled_are_not_shown_nor_kept(qtbot, make_kit, slow_forms, monkeypatch):
    """The clerk cancels while the forms are still being drawn: the late forms are dropped, not loaded
    into the preview (or printable with Ctrl+P) after the visit ended."""
    drawing, release = slow_forms
    kit = make_kit()
    page = kit.page
    show(qtbot, kit)
    identified(qtbot, page)
    answer_the_interview(page)
    page.next()
    assert page.current_step() == VisitStep.PRINT.value
    qtbot.waitUntil(drawing.is_set)
    cancel_the_visit(qtbot, page)
    delivered = []
    on_rendered = PrintStep._on_rendered
    monkeypatch.setattr(PrintStep, "_on_rendered",
                        lambda step, document, payload: (delivered.append(document), on_rendered(step, document, payload)))
    release.set()
    qtbot.waitUntil(lambda: bool(delivered), timeout=15000)  # the late forms reached the print step
    assert page.printing.document is None and page.printing.payload is None
    assert page.printing.preview.page_count() == 0 and page.printing.preview.bands_ahead() is None
    assert page.printing.print_all() == 0  # Ctrl+P on the done screen prints nothing
