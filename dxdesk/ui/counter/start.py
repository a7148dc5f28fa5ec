"""受付 step: pick the procedures (type to search, Space/Enter to tick), and the resume-a-visit dialog."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget,
)

from dxdesk.i18n import tr
from dxdesk.counter import Catalogue, PendingVisit
from dxdesk.counter.procsearch import ProcedureSearch, load_search_words
from dxdesk.ui.qtfonts import ui_font

from .stepbar import STEPS
from dxdesk.ui.theme import button, error_label, heading, note, set_error
from dxdesk.timeutil import to_desk


class _SearchEdit(QLineEdit):
    """Down arrow moves into the list, so the clerk never needs the mouse."""

    down = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Down:
            self.down.emit()
        else:
            super().keyPressEvent(event)


class StartStep(QWidget):
    start_requested = Signal(list)  # procedure ids

    def __init__(self, catalogue: Catalogue, parent: QWidget | None = None,
                 finder: ProcedureSearch | None = None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        self.finder = finder or ProcedureSearch(catalogue, load_search_words())
        self.search = _SearchEdit(self)
        self.search.setPlaceholderText(tr("手続き名・読み・言葉で検索（例: てんにゅう、引っ越し、国保）→ Enter で選択中の行をチェック"))
        self.search.setAccessibleName(tr("手続きの検索"))
        self.search.setMinimumHeight(38)
        self.search.setFont(ui_font(14))
        self.list = QListWidget(self)
        self.list.setFont(ui_font(14))
        self.list.setAccessibleName(tr("手続きの一覧"))
        self.list.setSpacing(2)
        for procedure in (catalogue.get(pid) for pid in self.finder.all_ids()):  # most-used first
            item = QListWidgetItem(f"{procedure.name.text()}　—　{procedure.counter.name.text()}")
            item.setData(Qt.ItemDataRole.UserRole, procedure.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            tips = [procedure.description.text()] if procedure.description else []
            if procedure.requires_my_number:
                tips.append(tr("この手続きでは個人番号を読み取ります。"))
            item.setToolTip("\n".join(tips))
            self.list.addItem(item)
        self.chosen_label = note("", 14, role="value")
        self.no_match = note("", 14)  # 「該当なし」: an empty list must say so, not look like a bug
        self.no_match.setWordWrap(True)
        self.no_match.hide()
        self.error = error_label(self)
        self.start_button = button(tr("受付開始（Ctrl+Enter）"), self, kind="primary", size=15)
        self.start_button.clicked.connect(self.request_start)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._tick_highlighted)
        self.search.down.connect(self._into_list)
        self.list.itemChanged.connect(lambda *_: self._update_chosen())
        self.list.itemActivated.connect(self._toggle)

        layout = QVBoxLayout(self)
        layout.addWidget(heading(tr("受付: 今日の手続きを選んでください")))
        layout.addWidget(note(tr("文字を入力すると絞り込めます。Enter でチェック、↓ で一覧へ、Space でチェックの切り替えです。")))
        layout.addWidget(self.search)
        layout.addWidget(self.no_match)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.chosen_label)
        layout.addWidget(self.error)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.start_button)
        layout.addLayout(row)
        self._update_chosen()

    def chosen(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def reset(self) -> None:
        self.search.clear()
        for i in range(self.list.count()):
            self.list.item(i).setCheckState(Qt.CheckState.Unchecked)
        set_error(self.error, "")

    def focus_first(self) -> None:
        self.search.setFocus()

    def show_error(self, text: str) -> None:
        set_error(self.error, text)

    def request_start(self) -> None:
        chosen = self.chosen()
        if not chosen:
            set_error(self.error, tr("手続きを1つ以上選んでください"))
            self.search.setFocus()
            return
        set_error(self.error, "")
        self.start_requested.emit(chosen)

    def _filter(self, text: str) -> None:
        """Show the matches best first and highlight the first: Enter ticks exactly that row."""
        if not text.strip():
            order = self.finder.all_ids()
        else:
            order = self.finder.ids(text)
        rows = {self.list.item(i).data(Qt.ItemDataRole.UserRole): i for i in range(self.list.count())}
        items = {pid: self.list.item(row) for pid, row in rows.items()}
        for position, pid in enumerate(order):  # reorder in place; check states travel with the items
            current = self.list.row(items[pid])
            if current != position:
                self.list.insertItem(position, self.list.takeItem(current))
        shown = set(order)
        for pid, item in items.items():
            item.setHidden(pid not in shown)
        if order:
            self.list.setCurrentItem(items[order[0]])
            self.list.scrollToItem(items[order[0]])
        else:
            self.list.setCurrentRow(-1)  # nothing highlighted: Enter must tick nothing
        self.no_match.setVisible(not order)
        self.no_match.setText(tr("該当なし: 「{text}」に合う手続きはありません。読み方（てんにゅう）や、ふだんの言葉（引っ越し、国保）でも探せます。")
                              .format(text=text.strip()) if not order else "")

    def _visible_items(self) -> list[QListWidgetItem]:
        return [self.list.item(i) for i in range(self.list.count()) if not self.list.item(i).isHidden()]

    def highlighted_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None and not item.isHidden() else None

    def _tick_highlighted(self) -> None:
        """Enter in the search box ticks the highlighted row only; with nothing found it does nothing."""
        item = self.list.currentItem()
        if not self.search.text().strip() or item is None or item.isHidden():
            return
        item.setCheckState(Qt.CheckState.Checked)
        self.search.clear()

    def _into_list(self) -> None:
        items = self._visible_items()
        if items:
            if self.highlighted_id() is None:
                self.list.setCurrentItem(items[0])
            self.list.setFocus()

    def _toggle(self, item: QListWidgetItem) -> None:
        checked = item.checkState() == Qt.CheckState.Checked
        item.setCheckState(Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked)

    def _update_chosen(self) -> None:
        names = [self.catalogue.get(pid).name.text() for pid in self.chosen()]
        self.chosen_label.setText(tr("選んだ手続き: ") + (tr("、").join(names) if names else tr("（まだありません）")))
        if names:  # 「1つ以上選んでください」 is answered once something is ticked: it must not stay red (#14)
            set_error(self.error, "")


_STEP_NAMES = {k: v for k, v in STEPS}


class ResumeDialog(QDialog):
    """Unfinished visits from the journal (no personal data in the list): 再開 or 破棄."""

    resume_requested = Signal(str)
    discard_requested = Signal(str)

    def __init__(self, pending: list[PendingVisit], catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("中断中の受付があります"))
        self.list = QListWidget(self)
        self.list.setFont(ui_font(13))
        for p in pending:
            names = tr("、").join(catalogue.get(pid).name.text() if pid in catalogue else pid for pid in p.procedures)
            started = to_desk(p.started_at).strftime("%m/%d %H:%M")
            step = tr(_STEP_NAMES[p.step.value]) if p.step.value in _STEP_NAMES else p.step.value
            suspended = tr("（中断）") if p.suspended else ""
            item = QListWidgetItem(tr("{started} 開始　段階: {step}{suspended}　手続き: {names}").format(
                started=started, step=step, suspended=suspended, names=names))
            item.setData(Qt.ItemDataRole.UserRole, p.visit_id)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.error = error_label(self)
        self.resume_button = button(tr("再開（Enter）"), self, kind="primary")
        self.discard_button = button(tr("破棄（Del）"), self)
        self.later_button = button(tr("後で"), self)
        self.resume_button.setDefault(True)
        self.resume_button.clicked.connect(lambda: self._emit(self.resume_requested))
        self.discard_button.clicked.connect(lambda: self._emit(self.discard_requested))
        self.later_button.clicked.connect(self.reject)
        self.list.itemActivated.connect(lambda *_: self._emit(self.resume_requested))
        layout = QVBoxLayout(self)
        layout.addWidget(heading(tr("前回終わっていない受付があります"), 16))
        layout.addWidget(QLabel(tr("再開すると、途中から続けられます。破棄すると、その受付は中止として記録されます。"), self))
        layout.addWidget(self.list)
        layout.addWidget(self.error)
        row = QHBoxLayout()
        row.addWidget(self.discard_button)
        row.addStretch(1)
        row.addWidget(self.later_button)
        row.addWidget(self.resume_button)
        layout.addLayout(row)
        self.resize(760, 360)
        self.list.setFocus()

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else None

    def _emit(self, signal) -> None:
        visit_id = self.current_id()
        if visit_id:
            signal.emit(visit_id)

    def remove(self, visit_id: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == visit_id:
                self.list.takeItem(i)
                break
        if self.list.count() == 0:
            self.accept()

    def show_error(self, text: str) -> None:
        set_error(self.error, text)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Delete:
            self._emit(self.discard_requested)
        else:
            super().keyPressEvent(event)
