"""Table model over plain :class:`SupportSession` dataclasses (never live ORM rows)."""
from __future__ import annotations

import functools
from typing import Any, Callable, Sequence

from PySide6.QtCore import QAbstractTableModel, QLocale, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from dxdesk.i18n import current_language, tr
from dxdesk.support.catalog import AGE_BAND_LABELS, DEVICE_LABELS, OUTCOME_LABELS, Catalog
from dxdesk.support.model import SupportSession

Index = QModelIndex | QPersistentModelIndex


def _follow_up_text(s: SupportSession) -> str:
    if not s.follow_up_needed:
        return ""
    if s.follow_up_closed_at is not None:
        return tr("完了 {date}").format(date=f"{s.follow_up_closed_at:%m/%d}")
    return tr("要対応")


def _when(s: SupportSession) -> str:
    weekday = weekday_names(current_language())[s.started_at.weekday()]
    return f"{s.started_at:%m/%d}({weekday}) {s.started_at:%H:%M}"


@functools.lru_cache(maxsize=2)
def weekday_names(language: str) -> tuple[str, ...]:
    """Short weekday names, Monday first (as date.weekday()): 月…日 or Mon…Sun, from Qt's locale data."""
    locale = QLocale(QLocale.Language.English if language == "en" else QLocale.Language.Japanese)
    return tuple(locale.dayName(day, QLocale.FormatType.ShortFormat) for day in range(1, 8))


# (header, text for a record); the contact is deliberately not a column.
def _columns(catalog: Catalog) -> list[tuple[str, Callable[[SupportSession], str]]]:
    # Translated once per model reset, not once per cell: data() runs for every painted cell.
    lang, separator, minutes, repeat = current_language(), tr("、"), tr("{minutes}分"), tr("再訪")
    return [
        (tr("日時"), _when),
        (tr("会場"), lambda s: s.venue),
        (tr("相談内容"), lambda s: separator.join(catalog.topic_label(t, lang) for t in s.topics)),
        (tr("端末"), lambda s: DEVICE_LABELS[s.device].text(lang) if s.device in DEVICE_LABELS else s.device),
        (tr("年齢層"), lambda s: AGE_BAND_LABELS[s.age_band].text(lang) if s.age_band in AGE_BAND_LABELS else s.age_band),
        (tr("参加/支援"), lambda s: f"{s.attendees} / {s.helpers}"),
        (tr("時間"), lambda s: minutes.format(minutes=s.duration_minutes)),
        (tr("結果"), lambda s: OUTCOME_LABELS[s.outcome].text(lang) if s.outcome in OUTCOME_LABELS else s.outcome),
        (tr("フォロー"), _follow_up_text),
        (tr("再訪"), lambda s: repeat if s.repeat_visitor else ""),
    ]


# The note is not a column (it would squeeze the table at 1280 px): it is the row tooltip
# and the list shows it under the table for the selected row.
NUMERIC_COLUMNS = {5, 6}
FOLLOW_UP_COLUMN = 8


class SessionTableModel(QAbstractTableModel):
    """Rows newest first. Either a whole (small) list, or a lazy one filled a page at a time.

    Lazy: the owner gives the first page and a ``more(offset)`` callback; when the view
    scrolls near the end, Qt calls :meth:`fetchMore`, the model asks ``more`` once and the
    owner (which runs the query off the GUI thread) hands the rows to :meth:`append_page`.
    So a period of a million sessions costs one page on opening, not a million rows."""

    def __init__(self, catalog: Catalog, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[SupportSession] = []
        self._columns = _columns(catalog)
        self._year_header = tr("日時")
        self._mixed_years = False
        self._more: Callable[[int], None] | None = None
        self._page_size = 0
        self._complete = True
        self._waiting = False

    def set_catalog(self, catalog: Catalog) -> None:
        self.beginResetModel()
        self._columns = _columns(catalog)
        self.endResetModel()

    def set_sessions(self, sessions: Sequence[SupportSession]) -> None:
        """A whole list (e.g. the open follow-ups); newest first: the records a volunteer fixes were just logged."""
        self.set_first_page(sorted(sessions, key=lambda s: (s.started_at, s.id), reverse=True), 0, None)

    def set_first_page(self, sessions: Sequence[SupportSession], page_size: int,
                       more: Callable[[int], None] | None) -> None:
        """The first page of a lazy list (already newest first); a page shorter than ``page_size`` is the last."""
        self.beginResetModel()
        self._rows = list(sessions)
        self._more, self._page_size, self._waiting = more, page_size, False
        self._complete = more is None or len(self._rows) < page_size
        self._note_years()
        self.endResetModel()

    def append_page(self, sessions: Sequence[SupportSession]) -> None:
        """The next page asked for through ``more`` (an empty one ends the list)."""
        self._waiting = False
        self._complete = len(sessions) < self._page_size
        if not sessions:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(sessions) - 1)
        self._rows.extend(sessions)
        self.endInsertRows()
        was_mixed = self._mixed_years
        self._note_years()
        if self._mixed_years != was_mixed:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, 0)
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    def _note_years(self) -> None:
        # The date column shows month/day; the year goes in the header (or the cell, when mixed).
        years = sorted({s.started_at.year for s in self._rows})
        self._year_header = tr("日時（{year}年）").format(year=years[0]) if len(years) == 1 else tr("日時")
        self._mixed_years = len(years) > 1

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: N802 (Qt API)
        return not parent.isValid() and not self._complete and not self._waiting and self._more is not None

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: N802 (Qt API)
        if self.canFetchMore(parent) and self._more is not None:
            self._waiting = True  # one request at a time; append_page clears it
            self._more(len(self._rows))

    @property
    def complete(self) -> bool:
        """Whether every row of the list is loaded."""
        return self._complete

    def sessions(self) -> list[SupportSession]:
        return list(self._rows)

    def session_at(self, row: int) -> SupportSession | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def detail_pairs(self, s: SupportSession) -> list[tuple[str, str]]:
        """Every column of one record in full, with the note (the detail dialog; the contact stays out)."""
        pairs = [(header, text(s)) for header, text in self._columns]
        pairs[0] = (pairs[0][0], f"{s.started_at:%Y/}" + _when(s))  # the year too: the dialog has the room
        pairs.append((tr("メモ"), s.note))
        if s.other_desk:
            pairs.append((tr("作成した端末"), s.other_desk))
        return pairs

    def row_of(self, session_id: str) -> int:
        return next((i for i, s in enumerate(self._rows) if s.id == session_id), -1)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        s = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0 and self._mixed_years:
                return f"{s.started_at:%Y/}" + _when(s)
            return self._columns[index.column()][1](s)
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self._columns[index.column()][1](s)
            return text + "\n" + tr("メモ: {note}").format(note=s.note) if s.note else text
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == FOLLOW_UP_COLUMN and s.follow_up_open:
            return QBrush(QColor("#b3261e"))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in NUMERIC_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return s
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._year_header if section == 0 else self._columns[section][0]
        return None
