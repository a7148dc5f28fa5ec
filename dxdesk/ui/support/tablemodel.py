"""Table model over plain :class:`SupportSession` dataclasses (never live ORM rows)."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from dxdesk.support.catalog import AGE_BAND_LABELS, DEVICE_LABELS, OUTCOME_LABELS, Catalog
from dxdesk.support.model import SupportSession

Index = QModelIndex | QPersistentModelIndex


def _follow_up_text(s: SupportSession) -> str:
    if not s.follow_up_needed:
        return ""
    if s.follow_up_closed_at is not None:
        return f"完了 {s.follow_up_closed_at:%m/%d}"
    return "要対応"


def _when(s: SupportSession) -> str:
    return f"{s.started_at:%m/%d}({WEEKDAYS[s.started_at.weekday()]}) {s.started_at:%H:%M}"


# (header, text for a record); the contact is deliberately not a column.
def _columns(catalog: Catalog) -> list[tuple[str, Callable[[SupportSession], str]]]:
    return [
        ("日時", _when),
        ("会場", lambda s: s.venue),
        ("相談内容", lambda s: "、".join(catalog.topic_label(t) for t in s.topics)),
        ("端末", lambda s: DEVICE_LABELS[s.device].ja if s.device in DEVICE_LABELS else s.device),
        ("年齢層", lambda s: AGE_BAND_LABELS[s.age_band].ja if s.age_band in AGE_BAND_LABELS else s.age_band),
        ("参加/支援", lambda s: f"{s.attendees} / {s.helpers}"),
        ("時間", lambda s: f"{s.duration_minutes}分"),
        ("結果", lambda s: OUTCOME_LABELS[s.outcome].ja if s.outcome in OUTCOME_LABELS else s.outcome),
        ("フォロー", _follow_up_text),
        ("再訪", lambda s: "再訪" if s.repeat_visitor else ""),
    ]


# The note is not a column (it would squeeze the table at 1280 px): it is the row tooltip
# and the list shows it under the table for the selected row.
NUMERIC_COLUMNS = {5, 6}
FOLLOW_UP_COLUMN = 8
WEEKDAYS = "月火水木金土日"


class SessionTableModel(QAbstractTableModel):
    def __init__(self, catalog: Catalog, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self._rows: list[SupportSession] = []
        self._columns = _columns(catalog)
        self._year_header = "日時"
        self._mixed_years = False

    def set_catalog(self, catalog: Catalog) -> None:
        self.beginResetModel()
        self._columns = _columns(catalog)
        self.endResetModel()

    def set_sessions(self, sessions: Sequence[SupportSession]) -> None:
        # Newest first: the records a volunteer wants to fix are the ones just logged.
        self.beginResetModel()
        self._rows = sorted(sessions, key=lambda s: (s.started_at, s.id), reverse=True)
        # The date column shows month/day; the year goes in the header (or the cell, when mixed).
        years = sorted({s.started_at.year for s in self._rows})
        self._year_header = f"日時（{years[0]}年）" if len(years) == 1 else "日時"
        self._mixed_years = len(years) > 1
        self.endResetModel()

    def sessions(self) -> list[SupportSession]:
        return list(self._rows)

    def session_at(self, row: int) -> SupportSession | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

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
            return f"{text}\nメモ: {s.note}" if s.note else text
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
