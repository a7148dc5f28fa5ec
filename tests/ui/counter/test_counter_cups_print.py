"""The counter's 「すべて印刷」 on a CUPS printer: the PDF itself goes to a private cupsd, with the calibration
of the printer the clerk chose (not the configured one), and what the queue captures is what was filled."""
from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication

from dxdesk.config import Calibration
from dxdesk.counter import VisitStep
from tools.cupsd import PrivateCups, missing_reason

from test_counter_visit import choose, ctrl_enter, enter_pin_on_pad, show, start_juminhyo, type_and_enter

from printcompare import assert_same_print

pytestmark = pytest.mark.skipif(missing_reason() is not None, reason=f"no private CUPS: {missing_reason()}")
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def cups():
    with PrivateCups() as server:
        yield server


def test_print_step_hands_the_visit_to_cups_with_the_chosen_printers_calibration(qtbot, make_kit, cups, tmp_path):
    kit = make_kit()
    page = kit.page
    settings = kit.services.settings
    settings.forms.printer = "窓口プリンタ"  # configured; the clerk picks the CUPS queue instead
    settings.forms.calibrations["窓口プリンタ"] = Calibration(dx_mm=4.0)
    settings.forms.calibrations[cups.queue] = Calibration(dy_mm=1.0)

    def queue_printer() -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPrinterName(cups.queue)
        return printer

    kit.services.printer_factory = queue_printer
    assert queue_printer().outputFormat() == QPrinter.OutputFormat.NativeFormat
    show(qtbot, kit)
    start_juminhyo(qtbot, kit)
    qtbot.waitUntil(lambda: "残り回数: 3 回" in page.identify.tries_label.text())
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F2)
    enter_pin_on_pad(qtbot, kit)
    qtbot.waitUntil(lambda: page.current_step() == VisitStep.INTERVIEW.value)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is page.interview.kana)
    type_and_enter(qtbot, page.interview.kana, "こくとう　たろう")
    fields = page.interview.fields
    copies = fields["juminhyo_copies"].focus_widget()
    qtbot.keyClick(copies, Qt.Key.Key_Up)
    qtbot.keyClick(copies, Qt.Key.Key_Return)
    choose(qtbot, fields["scope"].combo, "世帯全員")
    choose(qtbot, fields["juminhyo_purpose"].combo, "銀行・金融機関")
    choose(qtbot, fields["requester"].combo, "本人")
    ctrl_enter(qtbot, kit)
    ctrl_enter(qtbot, kit)
    assert page.current_step() == VisitStep.PRINT.value
    qtbot.waitUntil(lambda: page.printing.print_button.isEnabled(), timeout=15000)

    with qtbot.waitSignal(page.printing.printed, timeout=15000) as printed:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_P, CTRL)
    assert printed.args[1] == 2  # 住民票の写し等交付請求書 + 手続き案内票
    assert not kit.printed_pdf.exists()  # nothing went through Qt's raster path
    [captured] = cups.wait_for_pdfs([f"{cups.queue}-1"])
    from dxdesk.app.formpdf import render_visit_pdf

    payload = page.printing.payload
    assert payload is not None and payload.calibration == Calibration(dx_mm=4.0)  # the preview: configured
    expected = render_visit_pdf(replace(payload, calibration=Calibration(dy_mm=1.0)))  # printed: the chosen one
    assert_same_print(expected.pdf, captured.read_bytes(), tmp_path)
