"""Duration of a session: quick buttons, a minutes box, and a start/stop timer.

The timer reads the page's injectable clock rather than counting ticks, so it stays
right if the GUI is busy and tests can move time without sleeping; the 1-second
QTimer only refreshes the label.
"""
from __future__ import annotations

import math
from datetime import datetime
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from dxdesk.i18n import Msg, tr
from dxdesk.support.model import MAX_DURATION_MINUTES
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.support.widgets import MIN_TARGET_PX, ChoiceGroup, big_button

QUICK_MINUTES: tuple[int, ...] = (5, 10, 15, 20, 30, 45, 60)
# A Msg, not tr(): it must fit the 110 px box, and other screens translate 未入力 longer.
NO_MINUTES = Msg("未入力", "Not set")


def elapsed_minutes(start: datetime, stop: datetime) -> int:
    """Whole minutes, rounded up, at least 1: a 20-second question is still a session."""
    seconds = max(0.0, (stop - start).total_seconds())
    return max(1, min(MAX_DURATION_MINUTES, math.ceil(seconds / 60)))


class DurationPicker(QWidget):
    timer_started = Signal(object)  # datetime the timer started (becomes the session start)
    changed = Signal(int)

    def __init__(self, clock: Callable[[], datetime], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._started: datetime | None = None
        self.quick = ChoiceGroup([(str(m), tr("{minutes}分").format(minutes=m)) for m in QUICK_MINUTES], columns=4)
        self.quick.setObjectName("quickDurations")
        self.spin = QSpinBox()
        self.spin.setRange(0, MAX_DURATION_MINUTES)
        self.spin.setSuffix(tr(" 分"))
        self.spin.setSpecialValueText(NO_MINUTES.text())
        self.spin.setFont(ui_font(16, bold=True))
        self.spin.setMinimumHeight(MIN_TARGET_PX)
        self.spin.setFixedWidth(110)
        self.spin.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.spin.setAccessibleName(tr("所要時間（分）"))
        self.timer_button = big_button(tr("▶ タイマー開始"), "secondary", 13)
        self.timer_button.setObjectName("timerButton")
        self.timer_button.setToolTip(tr("Alt+S で開始・停止"))
        self.elapsed_label = QLabel("")
        self.elapsed_label.setFont(ui_font(16, bold=True))
        self.elapsed_label.setMinimumWidth(70)

        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(8)
        col.addWidget(self.quick)
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.spin)
        row.addWidget(self.timer_button)
        row.addWidget(self.elapsed_label)
        row.addStretch(1)
        col.addLayout(row)

        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._refresh_elapsed)
        self.quick.changed.connect(self._quick_chosen)
        self.spin.valueChanged.connect(self._spin_changed)
        self.timer_button.clicked.connect(self.toggle_timer)

    # --- value -----------------------------------------------------------
    def minutes(self) -> int:
        return self.spin.value()

    def set_minutes(self, minutes: int) -> None:
        self.spin.setValue(minutes)

    def _quick_chosen(self, code: str) -> None:
        if code:
            self.spin.setValue(int(code))

    def _spin_changed(self, value: int) -> None:
        # Keep the quick buttons honest: highlight one only when it equals the box.
        wanted = str(value) if value in QUICK_MINUTES else ""
        if self.quick.value() != wanted:
            self.quick.blockSignals(True)
            self.quick.set_value(wanted)
            self.quick.blockSignals(False)
        self.changed.emit(value)

    # --- timer -----------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._started is not None

    def toggle_timer(self) -> None:
        if self._started is None:
            self._started = self._clock()
            self._tick.start()
            self.timer_button.setText(tr("■ タイマー停止"))
            self._refresh_elapsed()
            self.timer_started.emit(self._started)
        else:
            self.spin.setValue(elapsed_minutes(self._started, self._clock()))
            self.stop_timer()

    def stop_timer(self) -> None:
        self._started = None
        self._tick.stop()
        self.timer_button.setText(tr("▶ タイマー開始"))
        self.elapsed_label.setText("")

    def _refresh_elapsed(self) -> None:
        if self._started is None:
            return
        seconds = int(max(0.0, (self._clock() - self._started).total_seconds()))
        self.elapsed_label.setText(f"{seconds // 60:02d}:{seconds % 60:02d}")

    def reset(self) -> None:
        self.stop_timer()
        self.spin.setValue(0)
