"""The step indicator across the top: 受付 → 本人確認 → 聞き取り → 確認 → 印刷 → 完了, with elapsed times."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from dxdesk.i18n import N_, tr
from dxdesk.counter import Visit
from dxdesk.counter.timing import VisitStep
from dxdesk.ui.qtfonts import ui_font

from dxdesk.ui.theme import ACCENT, MUTED

STEPS: tuple[tuple[str, str], ...] = (
    ("start", N_("受付")),
    (VisitStep.IDENTIFY.value, N_("本人確認")),
    (VisitStep.INTERVIEW.value, N_("聞き取り")),
    (VisitStep.CONFIRM.value, N_("確認")),
    (VisitStep.PRINT.value, N_("印刷")),
    (VisitStep.CLOSED.value, N_("完了")),
)


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class StepBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.current = "start"
        self.names: dict[str, QLabel] = {}
        self.times: dict[str, QLabel] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        for i, (key, text) in enumerate(STEPS):
            if i:
                arrow = QLabel("›", self)
                arrow.setFont(ui_font(18))
                arrow.setStyleSheet(f"color: {MUTED};")
                layout.addWidget(arrow)
            cell = QWidget(self)
            cl = QVBoxLayout(cell)
            cl.setContentsMargins(10, 4, 10, 4)
            cl.setSpacing(0)
            name = QLabel(f"{i + 1}. {tr(text)}", cell)
            name.setFont(ui_font(14, bold=True))
            name.setAlignment(Qt.AlignmentFlag.AlignCenter)
            time = QLabel("", cell)
            time.setFont(ui_font(11))
            time.setAlignment(Qt.AlignmentFlag.AlignCenter)
            time.setAccessibleName(tr("{step}の経過時間").format(step=tr(text)))
            cl.addWidget(name)
            cl.addWidget(time)
            layout.addWidget(cell, 1)
            self.names[key] = name
            self.times[key] = time
        self.total = QLabel("", self)
        self.total.setFont(ui_font(12))
        layout.addWidget(self.total)
        self.set_current("start")

    def set_current(self, key: str) -> None:
        self.current = key
        order = [k for k, _ in STEPS]
        at = order.index(key)
        for i, k in enumerate(order):
            label = self.names[k]
            if i == at:
                style = f"background: {ACCENT}; color: white; border-radius: 6px; padding: 4px 8px;"
            elif i < at:
                style = "color: #1b6e3a; padding: 4px 8px;"
            else:
                style = f"color: {MUTED}; padding: 4px 8px;"
            label.setStyleSheet(style)

    def update_times(self, visit: Visit | None) -> None:
        if visit is None:
            for t in self.times.values():
                t.setText("")
            self.total.setText("")
            return
        times = visit.times()
        for key, seconds in times.step_seconds.items():
            if key in self.times:
                self.times[key].setText(format_seconds(seconds) if seconds or key == self.current else "")
        suffix = tr("（中断中）") if visit.suspended else ""
        self.total.setText(tr("合計 {time}").format(time=format_seconds(times.total_seconds)) + suffix)
