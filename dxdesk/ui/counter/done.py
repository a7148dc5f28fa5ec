"""完了 step: what was done and how long each step took; then the next visit."""
from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from dxdesk.counter import Catalogue, VisitRecord
from dxdesk.ui.qtfonts import ui_font

from .stepbar import STEPS, format_seconds
from .style import OK, button, error_label, heading, note, set_error


class DoneStep(QWidget):
    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.title = heading("受付が完了しました")
        self.title.setStyleSheet(f"color: {OK};")
        self.summary = note("", 14, color="#1a1a1a")
        self.store_status = note("", 13)
        self.error = error_label(self)
        self.grid = QGridLayout()
        self.retry_button = button("保存をやり直す", self)
        self.retry_button.hide()
        self.next_button = button("次の受付へ（Ctrl+Enter）", self, primary=True, size=15)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addLayout(self.grid)
        layout.addWidget(self.store_status)
        layout.addWidget(self.error)
        layout.addStretch(1)
        row = QHBoxLayout()
        row.addWidget(self.retry_button)
        row.addStretch(1)
        row.addWidget(self.next_button)
        layout.addLayout(row)

    def show_record(self, record: VisitRecord) -> None:
        names = "、".join(self.catalogue.get(p).name.ja if p in self.catalogue else p for p in record.procedures)
        outcome = "完了" if record.outcome == "completed" else "中止"
        self.title.setText(f"受付を{outcome}しました")
        self.summary.setText(f"手続き: {names}\n印刷した帳票: {len(record.forms_printed)} 種類　"
                             "カードから読み取った情報はこの端末のメモリから消去しました。")
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        labels = dict(STEPS)
        for col, (key, seconds) in enumerate(record.step_seconds.items()):
            name = QLabel(labels.get(key, key), self)
            value = QLabel(format_seconds(seconds), self)
            value.setFont(ui_font(18, bold=True))
            self.grid.addWidget(name, 0, col)
            self.grid.addWidget(value, 1, col)
        total = QLabel(f"合計 {format_seconds(record.total_seconds)}", self)
        total.setFont(ui_font(18, bold=True))
        self.grid.addWidget(total, 1, len(record.step_seconds))
        set_error(self.error, "")
        self.store_status.setText("記録を保存しています…")
        self.retry_button.hide()

    def set_stored(self, ok: bool, message: str = "") -> None:
        if ok:
            self.store_status.setText(message or "記録を保存しました。")
            set_error(self.error, "")
            self.retry_button.hide()
        else:
            self.store_status.setText("")
            set_error(self.error, message + "　記録はこの端末に残っています（失われません）。")
            self.retry_button.show()

    def focus_first(self) -> None:
        self.next_button.setFocus()
