"""プリンタ調整 tab: per-printer offset/scale for pre-printed stock, with the test page.

Workflow (the same as on the page itself): print the calibration page, measure the
crosshairs with a ruler, enter the differences, save, print again to check. The preview
is regenerated from the values in the spin boxes, so the second print uses them even
before they are saved.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dxdesk.app.settings import SettingsChanges
from dxdesk.config import Calibration, Settings
from dxdesk.forms.calibration import calibration_for, calibration_page
from dxdesk.i18n import Msg, tr
from dxdesk.security.permissions import PermissionDeniedError, Session
from dxdesk.ui.admin.common import BackgroundCalls
from dxdesk.ui.forms_preview import FormPreview
from dxdesk.ui.security.widgets import message_label

OFFSET_RANGE_MM = 30.0  # beyond this the paper is in the wrong tray, not miscalibrated
SCALE_RANGE = (0.90, 1.10)

MSG_NEED_NAME = Msg(ja="プリンタ名を入力または選択してください。", en="Enter or choose a printer name.")


def _spin(minimum: float, maximum: float, decimals: int, step: float, suffix: str, parent: QWidget) -> QDoubleSpinBox:
    spin = QDoubleSpinBox(parent)
    spin.setRange(minimum, maximum)
    spin.setDecimals(decimals)
    spin.setSingleStep(step)
    spin.setSuffix(suffix)
    spin.setKeyboardTracking(False)
    return spin


class CalibrationTab(QWidget):
    saved = Signal(str, object)  # printer name, Calibration

    def __init__(self, session: Session, settings: Settings, runner: Any, *, changes: SettingsChanges,
                 printers: list[str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.changes = changes

        self.printer = QComboBox(self)
        self.printer.setEditable(True)
        self.printer.setMinimumWidth(240)
        printer_edit = self.printer.lineEdit()
        assert printer_edit is not None  # an editable combo box always has its line edit
        printer_edit.setPlaceholderText(tr("プリンタ名"))
        names = printers if printers is not None else QPrinterInfo.availablePrinterNames()
        for name in sorted(set(names) | set(settings.forms.calibrations)):
            self.printer.addItem(name)
        preferred = settings.forms.printer or QPrinterInfo.defaultPrinterName()
        if preferred:
            if self.printer.findText(preferred) < 0:
                self.printer.addItem(preferred)
            self.printer.setCurrentText(preferred)

        self.dx = _spin(-OFFSET_RANGE_MM, OFFSET_RANGE_MM, 1, 0.1, " mm", self)
        self.dy = _spin(-OFFSET_RANGE_MM, OFFSET_RANGE_MM, 1, 0.1, " mm", self)
        self.scale_x = _spin(*SCALE_RANGE, 3, 0.001, "", self)
        self.scale_y = _spin(*SCALE_RANGE, 3, 0.001, "", self)
        self.save_button = QPushButton(tr("保存"), self)
        self.save_button.setProperty("kind", "primary")
        self.reset_button = QPushButton(tr("初期値に戻す"), self)
        self.preview_button = QPushButton(tr("調整ページを表示"), self)
        self.status = message_label(self)
        self.preview = FormPreview(self)

        title = QLabel(tr("プリンタ調整（位置合わせ）"), self)
        title.setProperty("role", "title")
        steps = QLabel(tr(
            "1. 調整ページを「実際のサイズ（100%）」で印刷します。\n"
            "2. 十字の中心が表示の位置からどれだけずれたか定規で測ります。\n"
            "3. 右にずれたら dx をマイナス、下にずれたら dy をマイナスにして保存します。\n"
            "4. もう一度印刷して、十字が正しい位置に来ることを確かめます。"), self)
        steps.setProperty("role", "hint")
        steps.setWordWrap(True)
        form = QFormLayout()
        form.addRow(tr("プリンタ:"), self.printer)
        form.addRow(tr("横のずれ dx:"), self.dx)
        form.addRow(tr("縦のずれ dy:"), self.dy)
        form.addRow(tr("横の倍率:"), self.scale_x)
        form.addRow(tr("縦の倍率:"), self.scale_y)
        buttons = QHBoxLayout()
        buttons.addWidget(self.reset_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        left = QVBoxLayout()
        left.addWidget(title)
        left.addWidget(steps)
        left.addLayout(form)
        left.addLayout(buttons)
        left.addWidget(self.preview_button)
        left.addWidget(self.status)
        left.addStretch(1)
        left_box = QWidget(self)
        left_box.setLayout(left)
        left_box.setFixedWidth(460)  # the English form labels and the 240-px printer box need 447
        layout = QHBoxLayout(self)
        layout.addWidget(left_box)
        layout.addWidget(self.preview, 1)

        self.calls = BackgroundCalls(self, runner, self.status, [self.save_button])
        self.printer.currentTextChanged.connect(self.load_printer)
        self.save_button.clicked.connect(self.save)
        self.reset_button.clicked.connect(lambda: self.set_values(Calibration()))
        self.preview_button.clicked.connect(self.show_test_page)
        self.load_printer(self.printer.currentText())

    def printer_name(self) -> str:
        return self.printer.currentText().strip()

    def values(self) -> Calibration:
        return Calibration(dx_mm=round(self.dx.value(), 2), dy_mm=round(self.dy.value(), 2),
                           scale_x=round(self.scale_x.value(), 4), scale_y=round(self.scale_y.value(), 4))

    def set_values(self, cal: Calibration) -> None:
        self.dx.setValue(cal.dx_mm)
        self.dy.setValue(cal.dy_mm)
        self.scale_x.setValue(cal.scale_x)
        self.scale_y.setValue(cal.scale_y)

    def load_printer(self, name: str) -> None:
        self.set_values(calibration_for(self.settings, name.strip()))

    def show_test_page(self) -> bool:
        """Render the calibration page through the current values into the preview (print from there)."""
        return self.preview.load_pdf(calibration_page(self.values(), self.printer_name()))

    def save(self) -> None:
        name = self.printer_name()
        if not name:
            self.calls.error(MSG_NEED_NAME.text())
            return
        try:
            self.changes.check(self.session)
        except PermissionDeniedError as exc:
            self.calls.error(exc.message.text())
            return
        cal = self.values()
        self.settings.forms.calibrations[name] = cal
        # The printer name is not put in the audit event: a name like "3F-0312345678" would trip
        # the personal-data guard and lose the whole event.
        self.calls.call(
            lambda: self.changes.save(self.session, "forms.calibrations"),
            lambda _r: self._saved(name, cal),
        )

    def _saved(self, name: str, cal: Calibration) -> None:
        self.calls.info(tr("「{name}」の調整値を保存しました。調整ページをもう一度印刷して確かめてください。").format(name=name))
        self.saved.emit(name, cal)

