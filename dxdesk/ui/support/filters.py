"""Period and filter pickers shared by the list and the reports tab."""
from __future__ import annotations

from datetime import date
from typing import Callable

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from dxdesk.i18n import N_, tr
from dxdesk.support import periods
from dxdesk.support.periods import DateRange
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.support.widgets import TabOutDateTimeEdit

# Preset key -> (label msgid, range for "today"); "custom" keeps whatever the date boxes say.
PRESETS: tuple[tuple[str, str, Callable[[date], DateRange] | None], ...] = (
    ("this_month", N_("今月"), periods.this_month),
    ("last_month", N_("先月"), periods.last_month),
    ("this_fy", N_("今年度"), periods.this_fiscal_year),
    ("last_fy", N_("前年度"), periods.last_fiscal_year),
    ("custom", N_("期間を指定"), None),
)


def _date_edit() -> TabOutDateTimeEdit:
    edit = TabOutDateTimeEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy/MM/dd")
    edit.setFont(ui_font(13))
    return edit


class PeriodPicker(QWidget):
    """Preset combo + from/to dates. Editing a date switches the preset to 期間を指定."""

    changed = Signal()

    def __init__(self, today: Callable[[], date], default: str = "this_month", parent: QWidget | None = None):
        super().__init__(parent)
        self._today = today
        self.preset = QComboBox()
        self.preset.setObjectName("periodPreset")
        self.preset.setFont(ui_font(13))
        self.preset.setAccessibleName(tr("期間"))
        for key, label, _ in PRESETS:
            self.preset.addItem(tr(label), key)
        self.date_from = _date_edit()
        self.date_from.setObjectName("dateFrom")
        self.date_from.setAccessibleName(tr("開始日"))
        self.date_to = _date_edit()
        self.date_to.setObjectName("dateTo")
        self.date_to.setAccessibleName(tr("終了日"))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(self.preset)
        row.addWidget(self.date_from)
        tilde = QLabel("〜")
        tilde.setFont(ui_font(13))
        row.addWidget(tilde)
        row.addWidget(self.date_to)
        self._applying = False
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.date_from.dateChanged.connect(self._dates_edited)
        self.date_to.dateChanged.connect(self._dates_edited)
        self.set_preset(default)

    def set_preset(self, key: str) -> None:
        index = self.preset.findData(key)
        if index == self.preset.currentIndex():
            self._preset_changed(index)
        else:
            self.preset.setCurrentIndex(index)

    def preset_key(self) -> str:
        return str(self.preset.currentData())

    def _preset_changed(self, index: int) -> None:
        fn = PRESETS[index][2]
        if fn is not None:
            first, last = fn(self._today())
            self._applying = True
            try:
                self.date_from.setDate(QDate(first.year, first.month, first.day))
                self.date_to.setDate(QDate(last.year, last.month, last.day))
            finally:
                self._applying = False
        self.changed.emit()

    def _dates_edited(self, _d: QDate) -> None:
        if self._applying:
            return
        custom = self.preset.findData("custom")
        if self.preset.currentIndex() != custom:
            self.preset.blockSignals(True)
            self.preset.setCurrentIndex(custom)
            self.preset.blockSignals(False)
        self.changed.emit()

    def set_range(self, first: date, last: date) -> None:
        self.date_from.setDate(QDate(first.year, first.month, first.day))
        self.date_to.setDate(QDate(last.year, last.month, last.day))

    def range(self) -> DateRange:
        first: date = self.date_from.date().toPython()  # type: ignore[assignment]
        last: date = self.date_to.date().toPython()  # type: ignore[assignment]
        return (first, last) if first <= last else (last, first)  # a reversed range is a slip, not an error


def choice_combo(name: str, any_label: str, items: list[tuple[str, str]]) -> QComboBox:
    """A filter combo whose first entry means "any" (data None)."""
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setFont(ui_font(13))
    # Long topic names must not widen the filter row past the window.
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(9)
    combo.addItem(any_label, None)
    for code, label in items:
        combo.addItem(label, code)
    return combo


def set_combo_items(combo: QComboBox, any_label: str, items: list[tuple[str, str]]) -> None:
    """Replace the entries, keeping the current selection if it is still offered."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(any_label, None)
    for code, label in items:
        combo.addItem(label, code)
    index = combo.findData(current) if current is not None else 0
    combo.setCurrentIndex(max(0, index))
    combo.blockSignals(False)
