"""完了 step: the visit summary the clerk tells the resident, then the next visit.

Two cards side by side (the screen is wide; a single column left most of a 1920×1080
screen empty): on the left where the resident goes next and what was printed, on the
right how long each step took. Nothing personal is shown: the record keeps names of
procedures and forms only.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from dxdesk.i18n import tr
from dxdesk.counter import Catalogue, VisitRecord
from dxdesk.forms.registry import find_template
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.theme import (
    LARGE_PT,
    SECTION_PT,
    button,
    error_label,
    heading,
    note,
    set_error,
    show_message,
)

from .stepbar import STEPS, format_seconds


def form_title(form_id: str) -> str:
    try:
        return find_template(form_id).title
    except Exception:  # noqa: BLE001 - a template removed since printing: its id still says which form
        return form_id


def next_counters(catalogue: Catalogue, procedure_ids: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """(counter name, procedure names) in order of first appearance: where the resident goes next."""
    grouped: dict[str, tuple[str, list[str]]] = {}
    for pid in procedure_ids:
        if pid not in catalogue:
            grouped.setdefault("?", (tr("（窓口不明）"), []))[1].append(pid)
            continue
        p = catalogue.get(pid)
        grouped.setdefault(p.counter.id, (p.counter.name.text(), []))[1].append(p.name.text())
    return list(grouped.values())


def _card(title: str) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setProperty("panel", True)
    col = QVBoxLayout(frame)
    col.setContentsMargins(20, 16, 20, 16)
    col.setSpacing(10)
    col.addWidget(heading(title, SECTION_PT))
    return frame, col


def _clear(layout: QGridLayout | QVBoxLayout) -> None:
    while layout.count():
        taken = layout.takeAt(0)
        old = taken.widget() if taken is not None else None
        if old is not None:
            old.deleteLater()


class DoneStep(QWidget):
    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.title = heading(tr("受付が完了しました"))
        self.title.setProperty("role", "ok")
        self.summary = note("", LARGE_PT, role="body")
        self.store_status = note("", 13)
        self.error = error_label(self)
        self.retry_button = button(tr("保存をやり直す"), self)
        self.retry_button.hide()
        self.next_button = button(tr("次の受付へ（Ctrl+Enter）"), self, kind="primary", size=15)

        where_card, where_col = _card(tr("ご案内する窓口"))
        self.counters = QVBoxLayout()
        self.counters.setSpacing(8)
        where_col.addLayout(self.counters)
        where_col.addWidget(heading(tr("印刷した帳票"), SECTION_PT))
        self.forms_label = note("", SECTION_PT, role="body")
        where_col.addWidget(self.forms_label)


        time_card, time_col = _card(tr("所要時間"))
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(24)
        self.grid.setVerticalSpacing(8)
        time_col.addLayout(self.grid)

        cards = QHBoxLayout()
        cards.setSpacing(16)
        cards.addWidget(where_card, 3)
        cards.addWidget(time_card, 2)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addLayout(cards)
        layout.addStretch(1)
        layout.addWidget(self.store_status)
        layout.addWidget(self.error)
        row = QHBoxLayout()
        row.addWidget(self.retry_button)
        row.addStretch(1)
        row.addWidget(self.next_button)
        layout.addLayout(row)

    def show_record(self, record: VisitRecord) -> None:
        completed = record.outcome == "completed"
        self.title.setText(tr("受付を完了しました") if completed else tr("受付を中止しました"))
        show_message(self.title, self.title.text(), "ok" if completed else "title")
        self.summary.setText(tr("カードから読み取った情報はこの端末のメモリから消去しました。"))
        _clear(self.counters)
        for counter, names in next_counters(self.catalogue, record.procedures):
            where = QLabel(counter)
            where.setFont(ui_font(22, bold=True))
            where.setProperty("role", "value")
            what = note("\n".join(tr("・{item}").format(item=n) for n in names), SECTION_PT, role="body")
            self.counters.addWidget(where)
            self.counters.addWidget(what)
        printed = [form_title(f) for f in record.forms_printed]
        self.forms_label.setText(tr("、").join(printed) if printed else tr("なし"))
        _clear(self.grid)
        labels = dict(STEPS)
        for row, (key, seconds) in enumerate(record.step_seconds.items()):
            self._time_row(row, tr(labels[key]) if key in labels else key, seconds, bold=False)
        self._time_row(len(record.step_seconds), tr("合計"), record.total_seconds, bold=True)
        if record.suspensions:
            self.grid.addWidget(note(tr("うち中断 {count} 回・{time}").format(count=record.suspensions, time=format_seconds(record.suspended_seconds))),
                                len(record.step_seconds) + 1, 0, 1, 2)
        set_error(self.error, "")
        self.store_status.setText(tr("記録を保存しています…"))
        self.retry_button.hide()

    def _time_row(self, row: int, name: str, seconds: float, *, bold: bool) -> None:
        label = QLabel(name)
        label.setFont(ui_font(SECTION_PT, bold=bold))
        value = QLabel(format_seconds(seconds))
        value.setFont(ui_font(22, bold=True))
        value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if bold:
            value.setProperty("role", "value")
        self.grid.addWidget(label, row, 0)
        self.grid.addWidget(value, row, 1)

    def set_stored(self, ok: bool, message: str = "") -> None:
        if ok:
            self.store_status.setText(message or tr("記録を保存しました。"))
            set_error(self.error, "")
            self.retry_button.hide()
        else:
            self.store_status.setText("")
            set_error(self.error, message + tr("　記録はこの端末に残っています（失われません）。"))
            self.retry_button.show()

    def focus_first(self) -> None:
        self.next_button.setFocus()
