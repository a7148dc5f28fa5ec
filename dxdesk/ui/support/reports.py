"""レポート: pick a period (and venue), see the KPIs on screen, write the PDF report or the CSVs.

The numbers come from :func:`dxdesk.support.kpi.summarize`, the files from
:func:`dxdesk.support.report.write_report_pdf` and
:func:`dxdesk.support.csvio.write_csv_pair`, exactly what ``dxdesk support report``
uses, so the screen, the PDF and the CLI never disagree.
"""
from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dxdesk.i18n import Msg, current_language, tr
from dxdesk.support import classes, kpi, kpilabels
from dxdesk.support.classes import ClassSummary, ClassTotals
from dxdesk.support.catalog import AGE_BAND_LABELS, OUTCOME_LABELS, Catalog
from dxdesk.support.kpi import KpiSummary
from dxdesk.support.model import SupportSession
from dxdesk.support.periods import DateRange, format_range_en, format_range_ja
from dxdesk.support.report import ReportOptions
from dxdesk.support.repository import SessionQuery, SupportRepository
from dxdesk.security.permissions import MSG_NOT_SIGNED_IN, PermissionDeniedError
from dxdesk.support.service import SupportService
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.scrolling import VerticalScroll
from dxdesk.ui.support.filters import PeriodPicker, choice_combo, set_combo_items
from dxdesk.ui.errors import error_text
from dxdesk.ui.support.jobs import Jobs
from dxdesk.ui.support.widgets import Banner, big_button, section_title

# Msg pairs, not tr(): the merged catalogue holds one English per msgid, and other screens
# use the same Japanese (件数 = "rows" in the admin tools) with another meaning.
COUNT_VALUE = Msg("{count}件", "{count}")
KPI_NOTE = Msg("{label}　{value}", "{label}: {value}")

ROW_PX = 26
HEADER_PX = 34
AskPathFn = Callable[[QWidget, str, str, str], "Path | None"]


def ask_save_path(parent: QWidget, title: str, suggested: str, name_filter: str) -> Path | None:
    chosen, _ = QFileDialog.getSaveFileName(parent, title, str(Path.home() / suggested), name_filter)
    return Path(chosen) if chosen else None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _dec(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


@dataclass(frozen=True)
class ReportData:
    period: DateRange
    venue: str | None
    sessions: Iterable[SupportSession]  # a stored scope (streamed for the CSV) or a list
    summary: KpiSummary
    venues: frozenset[str]  # every venue in the period, for the venue filter
    classes: ClassSummary = ClassSummary()  # the classes (講座・コマ: 2+ attendees) among the sessions


def kpi_cards(s: KpiSummary) -> list[tuple[str, str, str]]:
    """(title, value, note) for the headline tiles: titles and notes worded as the PDF's 概要 (kpilabels)."""
    lang = current_language()

    def note(label: Msg, value: str) -> str:
        return KPI_NOTE.format(label=label.text(lang), value=value).text(lang)

    return [
        (kpilabels.SESSIONS.text(lang), COUNT_VALUE.format(count=s.sessions).text(lang),
         note(kpilabels.ATTENDEES, f"{s.attendees:,}")),
        (kpilabels.MEAN_ATTENDEES.text(lang), _dec(s.mean_attendees, 1),
         note(kpilabels.SINGLE_ATTENDEE_SHARE, _pct(s.single_attendee_share))),
        (kpilabels.HELPERS_PER_ATTENDEE.text(lang), _dec(s.helpers_per_attendee),
         note(kpilabels.UNDERSTAFFED, f"{s.understaffed:,}")),
        (kpilabels.MEAN_DURATION.text(lang), _dec(s.mean_duration_minutes, 0),
         note(kpilabels.REPEAT_VISITOR_SHARE, _pct(s.repeat_visitor_share))),
        (kpilabels.OPEN_FOLLOW_UPS.text(lang), COUNT_VALUE.format(count=s.open_follow_ups).text(lang),
         tr("一覧タブで完了にできます")),
    ]


# Line height of the tile captions: at 100 % the two lines of a wrapped caption (「参加者1人の回の割合
# 55.6%」 at 1366 px) sat on each other and on the tile's edge (#14).
CAPTION_LINE_HEIGHT = 125  # percent


def _caption(text: str, name: str, size: int) -> QLabel:
    """A tile's title or note: wraps (five tiles share a 1366-px row; the longer English names wrap
    instead of widening it) with room between its lines. The words are the accessible name, so a
    screen reader (and a test) gets the text without the markup that sets the line height."""
    label = QLabel(f'<div style="line-height:{CAPTION_LINE_HEIGHT}%">{html.escape(text)}</div>')
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setAccessibleName(text)
    label.setObjectName(name)
    label.setProperty("role", "hint")
    label.setFont(ui_font(size))
    label.setWordWrap(True)
    return label


def _tile(title: str, value: str, note: str) -> QFrame:
    frame = QFrame()
    frame.setObjectName("card")
    col = QVBoxLayout(frame)
    col.setContentsMargins(14, 10, 14, 12)
    col.setSpacing(4)
    v = QLabel(value)
    v.setObjectName("kpiValue")
    v.setFont(ui_font(24, bold=True))
    v.setProperty("role", "value")
    for w in (_caption(title, "kpiTitle", 12), v, _caption(note, "kpiNote", 11)):
        col.addWidget(w)
    col.addStretch(1)  # a taller neighbour (a wrapped caption) leaves this tile's room at its bottom
    return frame


def _table(name: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.setFont(ui_font(12))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for c in range(1, len(headers)):
        table.horizontalHeader().setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c > 0:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.verticalHeader().setDefaultSectionSize(ROW_PX)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    # Tall enough for every row: the tab scrolls as a whole, tables never scroll inside.
    table.horizontalHeader().setFixedHeight(HEADER_PX)
    table.setFixedHeight(HEADER_PX + ROW_PX * len(rows) + 2 * table.frameWidth() + 2)
    return table


# Breakdown titles and headers are the PDF's (kpilabels): one wording for the tab, the PDF and the CSV.
BY_TOPIC, BY_OUTCOME = kpilabels.BY_TOPIC, kpilabels.BY_OUTCOME
BY_VENUE_TYPE, BY_AGE, BY_CLASS = kpilabels.BY_VENUE_TYPE, kpilabels.BY_AGE, kpilabels.BY_CLASS


def breakdown_tables(s: KpiSummary, catalog: Catalog) -> list[tuple[Msg, QTableWidget]]:
    """(title, table); the tables' texts are already in the current language."""
    lang = current_language()

    def share(n: int) -> str:
        return _pct(n / s.sessions) if s.sessions else "—"

    topics = [[catalog.topic_label(code, lang), str(n), share(n)] for code, n in s.per_topic.items()]
    venue_types = [
        [catalog.venue_type_label(vt, lang), str(n), _dec(s.mean_attendees_per_venue_type[vt], 1)]
        for vt, n in s.per_venue_type.items()
    ]
    ages = [[AGE_BAND_LABELS[a].text(), str(n), _pct(s.age_band_shares[a])] for a, n in s.age_band_counts.items()]
    outcomes = [[OUTCOME_LABELS[o].text(), str(n), _pct(s.outcome_shares[o])] for o, n in s.outcome_counts.items()]
    k = kpilabels
    count, share_header = k.COUNT_HEADER.text(lang), k.SHARE_HEADER.text(lang)
    return [
        (BY_TOPIC, _table("topicTable", [k.TOPIC.text(lang), count, share_header], topics)),
        (BY_VENUE_TYPE, _table("venueTypeTable", [k.VENUE_TYPE.text(lang), count, k.VENUE_MEAN_ATTENDEES.text(lang)],
                               venue_types)),
        (BY_AGE, _table("ageTable", [k.AGE_BAND.text(lang), count, share_header], ages)),
        (BY_OUTCOME, _table("outcomeTable", [k.OUTCOME.text(lang), count, share_header], outcomes)),
    ]


def classes_table(summary: ClassSummary, catalog: Catalog) -> QTableWidget:
    """Classes, participants and staff per topic; ▲ marks rows with classes below the staffing rule."""
    lang = current_language()

    def cells(label: str, t: ClassTotals) -> list[str]:
        return [label, str(t.classes), str(t.participants), str(t.staff),
                ("▲ " if t.below_ratio else "") + str(t.below_ratio)]

    rows = [cells(catalog.topic_label(code, lang), t) for code, t in summary.per_topic.items()]
    k = kpilabels
    rows.append(cells(k.CLASS_TOTAL.text(lang), summary.total))
    table = _table("classTable", [m.text(lang) for m in (k.TOPIC, k.CLASSES, k.PARTICIPANTS, k.STAFF, k.BELOW_RULE)],
                   rows)
    table.setToolTip(tr("参加者2名以上の回。必要な支援者数は講師1名＋参加者4名ごとに1名（PDFの※2と同じ基準）"))
    return table


class ReportsTab(QWidget):
    loaded = Signal(object)  # ReportData
    file_written = Signal(object)  # list[Path]

    def __init__(self, repository: SupportRepository, catalog: Catalog, jobs: Jobs, clock: Callable[[], datetime],
                 municipality: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._repository = repository
        self._catalog = catalog
        self._jobs = jobs
        self._clock = clock
        self._municipality = municipality
        self._data: ReportData | None = None
        self._venues: set[str] = {v.name for v in catalog.venues}
        self.ask_path: AskPathFn = ask_save_path  # replaced in tests

        self.period = PeriodPicker(lambda: clock().date(), default="last_month")
        self.venue = choice_combo("reportVenue", tr("すべての会場"), [])
        self.pdf_button = big_button(tr("PDFレポートを作成…"))
        self.pdf_button.setObjectName("pdfButton")
        self.pdf_button.setToolTip(tr("A4のPDF（グラフ付き）を保存します"))
        self.csv_button = big_button(tr("CSVを出力…"))
        self.csv_button.setObjectName("csvButton")
        self.csv_button.setToolTip(tr("記録の一覧CSVと集計CSV（_summary.csv）を保存します。Excelでそのまま開けます"))
        self.heading = QLabel("")
        self.heading.setFont(ui_font(15, bold=True))
        self.banner = Banner()

        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(section_title(tr("期間")))
        top.addWidget(self.period)
        top.addWidget(self.venue)
        top.addStretch(1)
        # The output buttons sit beside the heading, not in the filter row: one row for both
        # was wider than a 1366-px screen leaves for the page.
        heading_row = QHBoxLayout()
        heading_row.setSpacing(8)
        heading_row.addWidget(self.heading, 1)
        heading_row.addWidget(self.pdf_button)
        heading_row.addWidget(self.csv_button)

        self._content = QWidget()
        self._content_layout = QVBoxLayout(self._content)
        self._content_layout.setContentsMargins(0, 0, 0, 0)
        # Sized by height-for-width: a plain QScrollArea gave the tile row its one-line height, and a
        # wrapped tile caption (「参加者1人の回の割合 55.6%」) was squeezed against the tile's bottom (#14).
        scroll = VerticalScroll(self._content)

        col = QVBoxLayout(self)
        col.setContentsMargins(10, 10, 10, 10)
        col.setSpacing(8)
        col.addLayout(top)
        col.addLayout(heading_row)
        col.addWidget(self.banner)
        col.addWidget(scroll, 1)

        self.period.changed.connect(self.refresh)
        self.venue.currentIndexChanged.connect(self.refresh)
        self.pdf_button.clicked.connect(self.write_pdf)
        self.csv_button.clicked.connect(self.write_csv)

    # --- loading ----------------------------------------------------------------
    def refresh(self) -> None:
        period = self.period.range()
        venue = self.venue.currentData()
        repo = self._repository

        def load() -> ReportData:
            query = SessionQuery(date_from=period[0], date_to=period[1], venue=venue)
            scope = getattr(repo, "scope", None)
            if scope is None:  # a repository without SQL (tests, demo): the sessions themselves
                sessions = repo.list(query)
                venues = frozenset(s.venue for s in repo.list(SessionQuery(date_from=period[0], date_to=period[1])))
                return ReportData(period, venue, sessions, kpi.summarize(sessions), venues, classes.summarize(sessions))
            # Aggregated in the database: a fiscal year of a whole town is never loaded row by row.
            stored = scope(query)
            summary = kpi.summarize(stored)
            everywhere = summary if venue is None else kpi.summarize(scope(dataclasses.replace(query, venue=None)))
            class_summary = getattr(repo, "class_summary", None)  # GROUP BY in the database
            per_class = class_summary(query) if class_summary is not None else classes.summarize(stored)
            return ReportData(period, venue, stored, summary, frozenset(everywhere.per_venue), per_class)

        self._jobs.run("load report", load, self._loaded, lambda exc: self.banner.show_message("error", error_text(exc)))

    def _loaded(self, data: ReportData) -> None:
        self._data = data
        self._venues |= data.venues
        set_combo_items(self.venue, tr("すべての会場"), [(v, v) for v in sorted(self._venues)])
        where = f"　{data.venue}" if data.venue else ""
        period = format_range_en(data.period) if current_language() == "en" else format_range_ja(data.period)
        self.heading.setText(f"{period}{where}")
        self._show_summary(data.summary, data.classes)
        self.loaded.emit(data)

    def _show_summary(self, s: KpiSummary, per_class: ClassSummary) -> None:
        while self._content_layout.count():
            item = self._content_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.setParent(None)  # gone from the tab now, freed by Qt at the next event loop turn
                widget.deleteLater()
        tiles = QWidget()
        row = QHBoxLayout(tiles)
        row.setContentsMargins(0, 0, 0, 0)
        for title, value, note in kpi_cards(s):
            row.addWidget(_tile(title, value, note), 1)
        self._content_layout.addWidget(tiles)
        grid_box = QWidget()
        columns = QHBoxLayout(grid_box)
        columns.setContentsMargins(0, 0, 0, 0)
        columns.setSpacing(12)
        left, right = QVBoxLayout(), QVBoxLayout()
        tables = dict(breakdown_tables(s, self._catalog))
        # The long topic list and the short outcome table on the left, the two five-row tables on the right.
        for column, titles in ((left, (BY_TOPIC, BY_OUTCOME)), (right, (BY_VENUE_TYPE, BY_AGE))):
            for section in titles:
                column.addWidget(section_title(section.text()))
                column.addWidget(tables[section])
                column.addSpacing(6)
            column.addStretch(1)
            columns.addLayout(column, 1)
        self._content_layout.addWidget(grid_box)
        class_box = QWidget()  # a widget, not a bare layout: the clearing above removes widgets only
        class_row = QHBoxLayout(class_box)
        class_row.setContentsMargins(0, 0, 0, 0)
        class_row.addWidget(section_title(BY_CLASS.text()))
        class_row.addStretch(1)
        self.classes_button = big_button(tr("講座CSVを出力…"))
        self.classes_button.setObjectName("classesCsvButton")
        self.classes_button.setToolTip(tr("講座（コマ）ごとに1行のCSV（必要支援者数・体制基準未満つき）を保存します"))
        self.classes_button.clicked.connect(self.write_classes_csv)
        class_row.addWidget(self.classes_button)
        self._content_layout.addWidget(class_box)
        self._content_layout.addWidget(classes_table(per_class, self._catalog))
        self._content_layout.addStretch(1)

    # --- files ------------------------------------------------------------------
    def _file_stem(self, data: ReportData) -> str:
        first, last = data.period
        return tr("支援記録_{first}-{last}").format(first=f"{first:%Y%m%d}", last=f"{last:%Y%m%d}")

    def write_pdf(self) -> None:
        data = self._data
        if data is None:
            return
        path = self.ask_path(self, tr("PDFレポートの保存先"), self._file_stem(data) + ".pdf", "PDF (*.pdf)")
        if path is None:
            return
        options = ReportOptions(period=data.period, municipality=self._municipality, venue=data.venue,
                                generated_on=self._clock().date(), classes=data.classes)
        catalog = self._catalog
        self._start_writing(tr("PDFを作成しています…"))
        self._jobs.run("write report pdf", lambda: [self._exports().write_report_pdf(path, data.summary, catalog, options)],
                       self._written, self._write_failed)

    def write_csv(self) -> None:
        data = self._data
        if data is None:
            return
        path = self.ask_path(self, tr("CSVの保存先"), self._file_stem(data) + ".csv", "CSV (*.csv)")
        if path is None:
            return
        catalog = self._catalog
        self._start_writing(tr("CSVを出力しています…"))
        self._jobs.run("write report csv", lambda: list(self._exports().write_csv_pair(path, data.sessions, data.summary, catalog)),
                       self._written, self._write_failed)

    def write_classes_csv(self) -> None:
        data = self._data
        if data is None:
            return
        stem = tr("講座_{first}-{last}").format(first=f"{data.period[0]:%Y%m%d}", last=f"{data.period[1]:%Y%m%d}")
        path = self.ask_path(self, tr("CSVの保存先"), stem + ".csv", "CSV (*.csv)")
        if path is None:
            return
        query = SessionQuery(date_from=data.period[0], date_to=data.period[1], venue=data.venue)
        catalog = self._catalog
        self._start_writing(tr("CSVを出力しています…"))
        self._jobs.run("write classes csv", lambda: [self._exports().write_classes_csv(path, query, catalog)],
                       self._written, self._write_failed)

    def _exports(self) -> SupportService:
        """Files that leave the PC go only through the signed-in person's SupportService, which checks
        VIEW_REPORTS/EXPORT_DATA and audits them; a bare repository has no one to check, so it may not."""
        if not isinstance(self._repository, SupportService):
            raise PermissionDeniedError(MSG_NOT_SIGNED_IN)
        return self._repository

    def _start_writing(self, text: str) -> None:
        self.pdf_button.setEnabled(False)
        self.csv_button.setEnabled(False)
        self.banner.show_message("info", text)

    def _written(self, paths: list[Path]) -> None:
        self.pdf_button.setEnabled(True)
        self.csv_button.setEnabled(True)
        self.banner.show_message("ok", tr("保存しました: {paths}").format(paths=tr("、").join(str(p) for p in paths)))
        self.file_written.emit(paths)

    def _write_failed(self, exc: BaseException) -> None:
        self.pdf_button.setEnabled(True)
        self.csv_button.setEnabled(True)
        self.banner.show_message("error", error_text(exc))
