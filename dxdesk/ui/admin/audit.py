"""監査ログ tab (supervisor): filter and list events, verify the hash chain, export CSV.

Dates are picked in local time (what the clerk's calendar says) and converted to UTC
ranges for the service: start of the first day inclusive, start of the day after the
last day exclusive.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dxdesk.i18n import Msg, N_, current_language, tr
from dxdesk.security.audit import Result
from dxdesk.security.auditlabels import (
    EVENT_LABELS, detail_pairs, details_text, event_label, items_text, result_label,
)
from dxdesk.security.auditchain import VerifyResult
from dxdesk.security.auditview import AuditRow, AuditService
from dxdesk.security.permissions import Permission, Session
from dxdesk.ui.admin.common import BackgroundCalls
from dxdesk.ui.detail_dialog import DetailDialog
from dxdesk.ui.security.widgets import message_label, show_message
from dxdesk.ui.tasks import TaskRunner
from dxdesk.timeutil import local_midnight, to_desk

MAX_SHOWN = 1000  # newest first; the CSV export has them all
DEFAULT_DAYS = 7
COLUMNS = (N_("日時"), N_("職員"), N_("種別"), N_("結果"), N_("事務種別・事由"), N_("項目"), N_("詳細"), N_("番号"))
DETAIL_COLUMN = 6
# Columns that may be longer than their share of a 1366-px window: elided, opened whole with Enter.
ELIDED_COLUMNS = {4, 5, DETAIL_COLUMN}

MSG_VERIFY_OK = Msg(ja="検証OK: 監査ログは改ざんされていません（{count}件、{desks}台の端末）。",
                    en="Verified: the audit log is intact ({count} events, {desks} desk(s)).")
MSG_VERIFY_EMPTY = Msg(ja="検証OK: 監査ログはまだ空です。", en="Verified: the audit log is empty.")
MSG_VERIFY_BAD = Msg(
    ja="検証NG: 端末 {desk} の {seq} 番目の記録（ID {id}）で改ざんまたは欠落が見つかりました。"
       "理由: {reason}。システム管理者に連絡し、バックアップと照合してください。",
    en="Verification failed at desk {desk}, event seq {seq} (id {id}): {reason}.",
)
MSG_VERIFY_TRIGGERS = Msg(
    ja="検証NG: 監査ログを書き換え・削除から守るトリガーが dxdesk の外で削除されています。"
       "システム管理者が原因を確認し、dxdesk audit repair-triggers で戻してください。",
    en="Verification failed: {problem}.",
)
MSG_EXPORTED = Msg(ja="{count}件を {path} に出力しました。", en="Exported {count} events to {path}.")


def local_day_start(day: date) -> datetime:
    """Midnight of ``day`` in the PC's time zone, as an aware datetime."""
    return local_midnight(day)


def verify_message(results: dict[str, VerifyResult], triggers: str = "") -> tuple[bool, str]:
    """(ok, sentence) for AuditService.verify's answer and the trigger check (``trigger_problem``)."""
    bad_chain = any(not r.ok for r in results.values())
    if triggers and not bad_chain:
        return False, MSG_VERIFY_TRIGGERS.format(problem=triggers).text()
    if not results:
        return True, MSG_VERIFY_EMPTY.text()
    for desk, result in sorted(results.items()):
        if not result.ok:
            return False, MSG_VERIFY_BAD.format(desk=desk[:8], seq=result.first_bad_seq,
                                                id=(result.first_bad_id or "-")[:8], reason=result.reason).text()
    count = sum(r.checked for r in results.values())
    return True, MSG_VERIFY_OK.format(count=count, desks=len(results)).text()


def describe_details(row: AuditRow, logins: dict[str, str], topics: Mapping[str, Msg] | None = None) -> str:
    """The details as short 'label: value' pairs in the UI language (the catalogue: dxdesk.security.auditlabels)."""
    return details_text(row.record.details, logins, current_language(), topics)


def _when_and_actor(row: AuditRow) -> tuple[str, str]:
    r = row.record
    when = r.occurred_at if r.occurred_at.tzinfo else r.occurred_at.replace(tzinfo=timezone.utc)  # SQLite drops tzinfo
    actor = row.actor_login or (tr("（不明）") if r.actor is None else r.actor[:8])
    return to_desk(when).strftime("%Y/%m/%d %H:%M:%S"), actor


def row_pairs(row: AuditRow, logins: dict[str, str], topics: Mapping[str, Msg] | None = None,
              ) -> list[tuple[str, str]]:
    """Every column of one event plus each detail on its own line, for the detail dialog."""
    r, lang = row.record, current_language()
    when, actor = _when_and_actor(row)
    pairs = [(tr("日時"), when), (tr("職員"), actor),
             (tr("種別"), event_label(r.event_type, lang)), (tr("結果"), result_label(r.result, lang))]
    if r.jimu_type or r.reason:
        pairs.append((tr("事務種別・事由"), " / ".join(x for x in (r.jimu_type, r.reason) if x)))
    if r.items:
        pairs.append((tr("項目"), items_text(r.items, lang)))
    pairs += detail_pairs(r.details, logins, lang, topics)
    pairs.append((tr("番号"), str(r.seq)))
    return pairs


class AuditTab(QWidget):
    verified = Signal(bool, str)  # ok, message shown

    def __init__(self, session: Session, audit_service: AuditService, runner: TaskRunner,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.service = audit_service
        self.rows: list[AuditRow] = []

        today = QDate.currentDate()
        self.from_date = QDateEdit(today.addDays(-(DEFAULT_DAYS - 1)), self)
        self.to_date = QDateEdit(today, self)
        for edit in (self.from_date, self.to_date):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy/MM/dd")
        self.event_type = QComboBox(self)
        # The longest event names would widen the filter row past a 1366-px window (English): the list
        # opens as wide as it needs, the closed box shows about 14 characters.
        self.event_type.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.event_type.setMinimumContentsLength(14)
        self.event_type.addItem(tr("すべての種別"), None)
        lang = current_language()
        for value in EVENT_LABELS:
            self.event_type.addItem(event_label(value, lang), value)
        self.event_type.view().setMinimumWidth(self.event_type.view().sizeHintForColumn(0) + 24)
        self.search_button = QPushButton(tr("表示"), self)
        self.search_button.setProperty("kind", "primary")  # the tab's main action
        self.verify_button = QPushButton(tr("検証"), self)
        self.verify_button.setToolTip(tr("ハッシュチェーンを先頭から確かめ、記録の書き換え・削除・並べ替えを検出します。"))
        self.export_button = QPushButton(tr("CSV出力…"), self)
        self.export_button.setVisible(session.can(Permission.EXPORT_DATA))
        self.verify_label = message_label(self, "ok")
        self.status = message_label(self)
        self.count_label = QLabel(self)
        self.count_label.setProperty("role", "hint")
        self.detail_button = QPushButton(tr("詳細を見る (Enter)"), self)
        self.detail_button.setEnabled(False)
        self.detail_dialog: DetailDialog | None = None
        self._logins: dict[str, str] = {}
        self._topics: dict[str, Msg] = {}  # the town's support topics, read with each listing

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels([tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for column, width in ((4, 120), (5, 120)):  # purpose, items: elided when longer, the header never
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header_px = header.fontMetrics().horizontalAdvance(tr(COLUMNS[column])) + 24
            header.resizeSection(column, max(width, header_px))
        header.setSectionResizeMode(DETAIL_COLUMN, QHeaderView.ResizeMode.Stretch)

        filters = QHBoxLayout()
        filters.addWidget(QLabel(tr("期間:"), self))
        filters.addWidget(self.from_date)
        filters.addWidget(QLabel(tr("〜"), self))
        filters.addWidget(self.to_date)
        filters.addSpacing(12)
        filters.addWidget(QLabel(tr("種別:"), self))
        filters.addWidget(self.event_type)
        filters.addWidget(self.search_button)
        filters.addStretch(1)
        filters.addWidget(self.verify_button)
        filters.addWidget(self.export_button)
        title = QLabel(tr("監査ログ"), self)
        title.setProperty("role", "title")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(filters)
        layout.addWidget(self.verify_label)
        layout.addWidget(self.table, 1)
        below = QHBoxLayout()
        below.addWidget(self.count_label, 1)
        below.addWidget(self.detail_button)
        layout.addLayout(below)
        layout.addWidget(self.status)

        self.calls = BackgroundCalls(self, runner, self.status,
                                     [self.search_button, self.verify_button, self.export_button])
        self.search_button.clicked.connect(self.refresh)
        self.verify_button.clicked.connect(self.verify)
        self.export_button.clicked.connect(self.ask_export)
        self.detail_button.clicked.connect(self.open_detail)
        self.table.doubleClicked.connect(self.open_detail)
        self.table.itemSelectionChanged.connect(
            lambda: self.detail_button.setEnabled(self.selected_row() is not None))
        for keys in ("Return", "Enter"):
            shortcut = QShortcut(QKeySequence(keys), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.open_detail)

    # -- filters --------------------------------------------------------------------
    def date_range(self) -> tuple[datetime, datetime] | None:
        first, last = self.from_date.date().toPython(), self.to_date.date().toPython()
        assert isinstance(first, date) and isinstance(last, date)  # QDate.toPython() gives a date
        if last < first:
            self.calls.error(tr("期間の終わりが始まりより前になっています。日付を確認してください。"))
            return None
        return local_day_start(first), local_day_start(last + timedelta(days=1))

    def set_range(self, first: date, last: date) -> None:
        self.from_date.setDate(QDate(first.year, first.month, first.day))
        self.to_date.setDate(QDate(last.year, last.month, last.day))

    # -- list -----------------------------------------------------------------------
    def refresh(self) -> None:
        span = self.date_range()
        if span is None:
            return
        start, end = span
        event_type = self.event_type.currentData()
        self.calls.call(lambda: (self.service.list_events(self.session, start, end, event_type),
                                 self.service.topic_labels()),
                        lambda listed: self._show(*listed))

    def _show(self, rows: list[AuditRow], topics: dict[str, Msg] | None = None) -> None:
        self.calls.hint("")
        newest = list(reversed(rows))[:MAX_SHOWN]
        # Clerk ids in details are shown by login where the same clerk appears as an actor.
        logins = {r.record.actor: r.actor_login for r in rows if r.record.actor and r.actor_login}
        self.rows = newest
        self._logins = logins
        self._topics = topics or {}
        lang = current_language()
        self.table.setRowCount(len(newest))
        for i, row in enumerate(newest):
            r = row.record
            when, actor = _when_and_actor(row)
            purpose = " / ".join(x for x in (r.jimu_type, r.reason) if x)
            cells = (when, actor, event_label(r.event_type, lang),
                     result_label(r.result, lang), purpose, items_text(r.items, lang), describe_details(row, logins, self._topics),
                     str(r.seq))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col in ELIDED_COLUMNS:
                    item.setToolTip(text)  # the mouse's view; Enter / double-click opens the whole row
                if col == 3 and r.result != Result.SUCCESS.value:
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(i, col, item)
        more = tr("（新しい順に{max}件まで表示。全件はCSV出力で）").format(max=MAX_SHOWN) if len(rows) > MAX_SHOWN else ""
        self.count_label.setText(tr("全{count}件").format(count=len(rows)) + more)

    # -- detail ---------------------------------------------------------------------
    def selected_row(self) -> AuditRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows and rows[0].row() < len(self.rows) else None

    def open_detail(self) -> None:
        """The selected event, every column and detail in full (a read-only dialog)."""
        row = self.selected_row()
        if row is None:
            return
        self.detail_dialog = DetailDialog(tr("監査ログの詳細"), row_pairs(row, self._logins, self._topics), self)
        self.detail_dialog.open()

    # -- verify ---------------------------------------------------------------------
    def verify(self) -> None:
        from dxdesk.security.auditview import trigger_problem

        service = self.service
        self.calls.call(lambda: (service.verify(self.session), trigger_problem(service.database)), self._verified)

    def _verified(self, answer: tuple[dict[str, VerifyResult], str]) -> None:
        ok, text = verify_message(*answer)
        show_message(self.verify_label, text, "ok" if ok else "error")
        self.verified.emit(ok, text)

    # -- export ---------------------------------------------------------------------
    def ask_export(self) -> None:
        suggested = f"audit_{self.from_date.date().toString('yyyyMMdd')}-{self.to_date.date().toString('yyyyMMdd')}.csv"
        path, _ = QFileDialog.getSaveFileName(self, tr("監査ログをCSVに出力"), suggested, "CSV (*.csv)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> None:
        span = self.date_range()
        if span is None:
            return
        start, end = span
        self.calls.call(lambda: self.service.export_csv(self.session, path, start, end),
                        lambda count: self.calls.info(MSG_EXPORTED.format(count=count, path=path).text()))
