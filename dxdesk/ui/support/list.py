"""一覧: search recent sessions, edit or delete them, and work through open follow-ups."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from dxdesk.i18n import tr
from dxdesk.support.catalog import OUTCOME_LABELS, OUTCOMES, Catalog
from dxdesk.support.model import SupportSession
from dxdesk.support.repository import SessionQuery, SupportRepository
from dxdesk.ui.detail_dialog import DetailDialog
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.support.entry import EntryForm
from dxdesk.ui.support.importer import ImportPanel
from dxdesk.ui.support.filters import PeriodPicker, choice_combo, set_combo_items
from dxdesk.ui.errors import error_text
from dxdesk.ui.support.jobs import Jobs, ask_confirmation, field_errors
from dxdesk.ui.support.tablemodel import SessionTableModel
from dxdesk.ui.support.widgets import Banner, ToggleButton, big_button, section_title

ConfirmFn = Callable[[QWidget, str, str], bool]
PAGE_SIZE = 200  # rows per query: one screen is ~15; the table asks for the next page as it scrolls


class EditDialog(QDialog):
    """The entry form, pre-filled, for fixing one record. Saving calls ``repository.update``."""

    saved = Signal(object)  # the updated SupportSession

    def __init__(self, session: SupportSession, repository: SupportRepository, catalog: Catalog, jobs: Jobs,
                 clock: Callable[[], datetime], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("支援記録の編集"))
        self.setObjectName("supportEditDialog")
        self.resize(1100, 760)
        self._repository = repository
        self._jobs = jobs
        self._clock = clock
        self.form = EntryForm(catalog, clock)
        self.form.load(session)
        self.form.save_button.setText(tr("変更を保存 (Ctrl+Enter)"))
        self.form.cancel_button.setText(tr("変更を元に戻す"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.form)
        self.form.submitted.connect(self._save)

    def _save(self, session: SupportSession) -> None:
        self._jobs.run(
            "update session",
            lambda: self._repository.update(session, by=session.logged_by, now=self._clock()),
            self._saved,
            lambda exc: self.form.save_failed(error_text(exc), field_errors(exc)),
        )

    def _saved(self, session: SupportSession) -> None:
        self.form.save_succeeded(session, tr("変更を保存しました。"))
        self.saved.emit(session)
        self.accept()


class SessionListTab(QWidget):
    refreshed = Signal(int)  # number of rows shown
    changed = Signal()  # a record was edited, deleted or its follow-up closed

    def __init__(self, repository: SupportRepository, catalog: Catalog, jobs: Jobs,
                 clock: Callable[[], datetime], who: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._repository = repository
        self._catalog = catalog
        self._jobs = jobs
        self._clock = clock
        self._who = who
        self._venues_seen: set[str] = {v.name for v in catalog.venues}
        self.confirm: ConfirmFn = ask_confirmation  # replaced in tests
        # Each refresh has a number; answers of an older one (filters changed meanwhile) are dropped.
        self._generation = 0
        self._page_shown = False
        self._pending_count: int | None = None
        self.edit_dialog: EditDialog | None = None
        self.detail_dialog: DetailDialog | None = None
        self.editable = True  # False for a supervisor: Enter opens the record read-only (set_editable)

        self.period = PeriodPicker(lambda: clock().date())
        self.venue = choice_combo("venueFilter", tr("すべての会場"), [])
        self.topic = choice_combo(
            "topicFilter", tr("すべての相談内容"), [(t.code, t.label.text()) for t in catalog.sorted_topics()]
        )
        self.outcome = choice_combo("outcomeFilter", tr("すべての結果"), [(o, OUTCOME_LABELS[o].text()) for o in OUTCOMES])
        self.follow_ups_only = ToggleButton(tr("フォローアップ待ちだけ表示"))
        self.follow_ups_only.setObjectName("followUpsOnly")
        self.follow_ups_only.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.follow_ups_only.setToolTip(tr("期間などの条件にかかわらず、完了していないフォローアップをすべて表示します"))
        self.follow_ups_only.setMinimumWidth(self.follow_ups_only.sizeHint().width() + 24)

        self.model = SessionTableModel(catalog, self)
        self.table = QTableView()
        self.table.setObjectName("sessionTable")
        self.table.setModel(self.model)
        self.table.setFont(ui_font(12))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(40)
        self.table.horizontalHeader().setFont(ui_font(12, bold=True))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)  # topics get the spare width
        for column, width in ((1, 140), (3, 110)):  # venue, device: elided when longer
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.horizontalHeader().setMinimumSectionSize(48)
        self.note_label = QLabel("")
        self.note_label.setObjectName("noteLabel")
        self.note_label.setFont(ui_font(12))
        self.note_label.setWordWrap(True)

        self.count_label = QLabel("")
        self.count_label.setFont(ui_font(13))
        self.edit_button = big_button(tr("編集 (Enter)"))
        self.edit_button.setMinimumWidth(150)
        self.edit_button.setObjectName("editButton")
        self.delete_button = big_button(tr("削除 (Delete)"), "danger")
        self.delete_button.setObjectName("deleteButton")
        self.close_button = big_button(tr("フォローアップ完了"))
        self.close_button.setObjectName("closeFollowUpButton")
        self.close_button.setToolTip(tr("完了にすると、記録していた連絡先は削除されます"))
        self.detail_button = big_button(tr("詳細を見る"))
        self.detail_button.setObjectName("detailButton")
        self.banner = Banner()
        self.importer = ImportPanel(repository, jobs, who, self.banner)
        self.importer.imported.connect(self._after_import)

        # Two rows: period and the three filters in one row were wider than a 1366-px screen allows.
        filters = QHBoxLayout()
        filters.setSpacing(8)
        filters.addWidget(section_title(tr("期間")))
        filters.addWidget(self.period)
        filters.addStretch(1)
        filters.addWidget(self.count_label)
        follow_row = QHBoxLayout()
        follow_row.setSpacing(8)
        for w in (self.venue, self.topic, self.outcome):
            follow_row.addWidget(w)
        follow_row.addWidget(self.follow_ups_only)
        follow_row.addStretch(1)
        actions = QHBoxLayout()
        actions.setSpacing(8)
        actions.addWidget(self.banner, 20)
        actions.addStretch(1)
        actions.addWidget(self.detail_button)
        actions.addWidget(self.close_button)
        actions.addWidget(self.edit_button)
        actions.addWidget(self.delete_button)
        self.edit_hint = hint = QLabel(
            tr("最近31日以内の記録だけ編集・削除できます。削除した記録は集計から外れます（記録は監査のため残ります）。"))
        hint.setProperty("role", "hint")
        hint.setFont(ui_font(11))
        hint.setWordWrap(True)  # the English sentence is longer than the window is wide
        col = QVBoxLayout(self)
        col.setContentsMargins(10, 10, 10, 10)
        col.setSpacing(8)
        col.addLayout(filters)
        col.addLayout(follow_row)
        col.addWidget(self.table, 1)
        col.addWidget(self.note_label)
        col.addLayout(actions)
        col.addWidget(self.importer)
        col.addWidget(hint)

        self.period.changed.connect(self.refresh)
        for combo in (self.venue, self.topic, self.outcome):
            combo.currentIndexChanged.connect(self.refresh)
        self.follow_ups_only.toggled.connect(self._view_changed)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(self.open_selected)
        self.detail_button.clicked.connect(self.show_detail)
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.close_button.clicked.connect(self.close_follow_up_selected)
        for keys, slot in (("Return", self.open_selected), ("Enter", self.open_selected),
                           ("Delete", self.delete_selected)):
            sc = QShortcut(QKeySequence(keys), self.table)
            sc.setContext(Qt.ShortcutContext.WidgetShortcut)
            sc.activated.connect(slot)
        self._update_buttons()

    # --- loading -------------------------------------------------------------
    def query(self) -> SessionQuery:
        first, last = self.period.range()
        return SessionQuery(
            date_from=first, date_to=last, venue=self.venue.currentData(),
            topic=self.topic.currentData(), outcome=self.outcome.currentData(),
        )

    def _view_changed(self, follow_ups: bool) -> None:
        for w in (self.period, self.venue, self.topic, self.outcome):
            w.setEnabled(not follow_ups)
        self.refresh()

    def refresh(self) -> None:
        """Reload with the current filters: the first page and the count are queried off the GUI thread
        (filtering and ordering in SQL); further pages come as the table scrolls (the model's fetchMore)."""
        self._generation += 1
        generation = self._generation
        if self.follow_ups_only.isChecked():  # the open follow-ups: a short work list, loaded whole
            self._jobs.run("list follow-ups", self._repository.follow_ups_due,
                           lambda rows: self._loaded(generation, rows, None), self._failed)
            return
        query = self.query()
        self._page_shown, self._pending_count = False, None
        self._jobs.run("list sessions",
                       lambda: self._repository.list(query, limit=PAGE_SIZE, newest_first=True),
                       lambda rows: self._loaded(generation, rows, query), self._failed)
        self._jobs.run("count sessions", lambda: self._repository.count(query),
                       lambda n: self._counted(generation, n), self._failed)

    def _more(self, generation: int, query: SessionQuery, offset: int) -> None:
        def arrived(rows: list[SupportSession]) -> None:
            if generation == self._generation:
                self.model.append_page(rows)
                self._note_venues(rows)

        self._jobs.run("more sessions",
                       lambda: self._repository.list(query, limit=PAGE_SIZE, offset=offset, newest_first=True),
                       arrived, self._failed)

    def _loaded(self, generation: int, sessions: list[SupportSession], query: SessionQuery | None) -> None:
        if generation != self._generation:  # the filters changed meanwhile: a newer answer is coming
            return
        selected = self.selected()
        if query is None:
            self.model.set_sessions(sessions)
        else:
            self.model.set_first_page(sessions, PAGE_SIZE, lambda offset: self._more(generation, query, offset))
        self._note_venues(sessions)
        if selected is not None and (row := self.model.row_of(selected.id)) >= 0:
            self.table.selectRow(row)
        self._update_buttons()
        self._page_shown = True
        if query is None:
            self._show_count(tr("フォローアップ待ち {count} 件"), len(sessions))
        elif self._pending_count is not None:
            self._show_count(tr("該当 {count} 件"), self._pending_count)

    def _counted(self, generation: int, count: int) -> None:
        if generation != self._generation:
            return
        self._pending_count = count
        if self._page_shown:
            self._show_count(tr("該当 {count} 件"), count)

    def _show_count(self, text: str, count: int) -> None:
        self.count_label.setText(text.format(count=count))
        if count == 0:  # an empty table says why, where the eye goes (the count is far to the right)
            self.note_label.setText(tr("この条件に当てはまる記録はありません。期間や条件を変えてください。"))
        self._page_shown, self._pending_count = False, None
        self.refreshed.emit(count)

    def _note_venues(self, sessions: list[SupportSession]) -> None:
        new = {s.venue for s in sessions} - self._venues_seen
        self._venues_seen |= new
        if new or self.venue.count() != len(self._venues_seen) + 1:  # first time: the catalogue's venues
            set_combo_items(self.venue, tr("すべての会場"), [(v, v) for v in sorted(self._venues_seen)])

    def _failed(self, exc: BaseException) -> None:
        self.banner.show_message("error", error_text(exc))

    # --- selection and actions ------------------------------------------------
    def selected(self) -> SupportSession | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.session_at(rows[0].row()) if rows else None

    def select_session(self, session_id: str) -> bool:
        row = self.model.row_of(session_id)
        if row >= 0:
            self.table.selectRow(row)
            self.table.setFocus()
        return row >= 0

    def _update_buttons(self) -> None:
        s = self.selected()
        note = tr("メモ: {note}").format(note=s.note) if s is not None and s.note else ""
        # Another desk's record is read-only here: only the desk that created it changes it.
        mine = s is not None and not s.other_desk
        if s is not None and s.other_desk:
            owner = tr("{desk} で作成された記録です（この端末では閲覧のみ）。").format(desk=s.other_desk)
            note = f"{owner}　{note}" if note else owner
        self.note_label.setText(note)
        self.edit_button.setEnabled(mine)
        self.delete_button.setEnabled(mine)
        self.close_button.setEnabled(mine and s is not None and s.follow_up_open)
        self.detail_button.setEnabled(s is not None)

    def set_editable(self, editable: bool) -> None:
        """A supervisor reads the list: no edit/delete buttons, and Enter opens the record read-only."""
        self.editable = editable
        for widget in (self.edit_button, self.delete_button, self.close_button, self.edit_hint):
            widget.setVisible(editable)
        self.detail_button.setText(tr("詳細を見る") if editable else tr("詳細を見る (Enter)"))

    def open_selected(self) -> None:
        """Enter / double-click: the editor for someone who may edit this record, else the read-only detail."""
        s = self.selected()
        if s is None:
            return
        if self.editable and not s.other_desk:
            self.edit_selected()
        else:
            self.show_detail()

    def show_detail(self) -> None:
        """The selected record in full (the note is elided under the table)."""
        s = self.selected()
        if s is None:
            return
        self.detail_dialog = DetailDialog(tr("支援記録の詳細"), self.model.detail_pairs(s), self)
        self.detail_dialog.open()

    def edit_selected(self) -> None:
        s = self.selected()
        if s is None or s.other_desk:  # double-click / Enter on a read-only row
            return
        # Re-read: the row may be stale, and only get() promises the decrypted contact.
        self._jobs.run("load session", lambda: self._repository.get(s.id), self._open_editor, self._failed)

    def _open_editor(self, session: SupportSession | None) -> None:
        if session is None:
            self.banner.show_message("error", tr("この記録は見つかりませんでした。一覧を更新します。"))
            self.refresh()
            return
        self.edit_dialog = EditDialog(session, self._repository, self._catalog, self._jobs, self._clock, self)
        self.edit_dialog.saved.connect(self._after_edit)
        self.edit_dialog.open()  # window-modal but non-blocking

    def _after_edit(self, _session: SupportSession) -> None:
        self.banner.show_message("ok", tr("記録を更新しました。"))
        self.changed.emit()
        self.refresh()

    def delete_selected(self) -> None:
        s = self.selected()
        if s is None or s.other_desk:
            return
        text = tr("{when}　{venue} の記録を削除しますか？\n削除した記録は一覧と集計から外れます。").format(
            when=f"{s.started_at:%Y/%m/%d %H:%M}", venue=s.venue)
        if not self.confirm(self, tr("記録の削除"), text):
            return
        self._jobs.run(
            "delete session",
            lambda: self._repository.delete(s.id, by=self._who(), now=self._clock()),
            lambda _r: self._done(tr("記録を削除しました。")),
            self._failed,
        )

    def close_follow_up_selected(self) -> None:
        s = self.selected()
        if s is None or not s.follow_up_open or s.other_desk:
            return
        if not self.confirm(self, tr("フォローアップ完了"), tr("フォローアップを完了にしますか？\n記録していた連絡先は削除されます。")):
            return
        self._jobs.run(
            "close follow-up",
            lambda: self._repository.close_follow_up(s.id, by=self._who(), now=self._clock()),
            lambda _r: self._done(tr("フォローアップを完了にし、連絡先を削除しました。")),
            self._failed,
        )

    def _after_import(self, stored: int) -> None:
        if stored:
            self.changed.emit()
            self.refresh()

    def _done(self, text: str) -> None:
        self.banner.show_message("ok", text)
        self.changed.emit()
        self.refresh()
