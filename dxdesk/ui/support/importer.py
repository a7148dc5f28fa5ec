"""CSVの取り込み on the 一覧 tab: a streamed import with a progress bar, off the GUI thread.

The import is the CLI's (:func:`dxdesk.support.csv_import.import_csv`): batches of
2,000 rows, each its own transaction with its audit event, so other windows and desks
can write between batches and a stopped import keeps (and says) what it saved. Its
progress callback runs on the worker thread; :class:`_ProgressRelay` (a QObject of the
GUI thread) turns each call into a queued signal for the bar.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from dxdesk.i18n import current_language, tr
from dxdesk.support.csvstream import Progress
from dxdesk.support.repository import SupportRepository
from dxdesk.ui.errors import error_text
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.support.jobs import Jobs
from dxdesk.ui.support.widgets import Banner, big_button

SHOWN_ERRORS = 5  # row errors listed under the bar; the rest are counted


class _ProgressRelay(QObject):
    progressed = Signal(object)  # Progress, emitted from the worker, delivered on the GUI thread


def choose_csv(parent: QWidget) -> Path | None:
    name, _ = QFileDialog.getOpenFileName(parent, tr("取り込むCSVファイル"), "", tr("CSVファイル (*.csv)"))
    return Path(name) if name else None


class ImportPanel(QWidget):
    """A button, a progress bar and the result of the last import."""

    imported = Signal(int)  # rows stored (the list and reports reload)

    def __init__(self, repository: SupportRepository, jobs: Jobs, who: Callable[[], str],
                 banner: Banner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._repository = repository
        self._jobs = jobs
        self._who = who
        self._banner = banner
        self.choose_file: Callable[[QWidget], Path | None] = choose_csv  # replaced in tests
        self.button: QPushButton = big_button(tr("CSVを取り込む"))
        self.button.setObjectName("importButton")
        self.bar = QProgressBar()
        self.bar.setObjectName("importProgress")
        self.bar.setRange(0, 100)
        self.bar.setFont(ui_font(11))
        self.bar.hide()
        self.details = QLabel("")
        self.details.setObjectName("importDetails")
        self.details.setFont(ui_font(11))
        self.details.setWordWrap(True)
        self.details.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.bar, 1)
        row.addWidget(self.details, 2)
        self._relay = _ProgressRelay(self)
        self._relay.progressed.connect(self._show_progress)
        self.button.clicked.connect(self.start)

    def start(self) -> None:
        path = self.choose_file(self)
        if path is None:
            return
        from dxdesk.support.csv_import import import_csv  # the import machinery only when used

        relay, repo, by = self._relay, self._repository, self._who()
        self.button.setEnabled(False)
        self.bar.setValue(0)
        self.bar.setFormat(tr("読み込み中…"))
        self.bar.show()
        self.details.hide()
        self._jobs.run("import sessions",
                       lambda: import_csv(path, repo, by=by, progress=relay.progressed.emit),
                       self._finished, self._failed)

    def _show_progress(self, p: Progress) -> None:
        if p.done_fraction is not None:
            self.bar.setValue(int(p.done_fraction * 100))
        eta = "" if p.eta_seconds is None else tr("、残り約{seconds}秒").format(seconds=f"{p.eta_seconds:.0f}")
        self.bar.setFormat(tr("{rows}行 ({rate}行/秒{eta})").format(
            rows=f"{p.rows:,}", rate=f"{p.rows_per_second:,.0f}", eta=eta))

    def _finished(self, result: Any) -> None:
        self.button.setEnabled(True)
        self.bar.setValue(100)
        stored = len(result.imported)
        summary = tr("取り込み: {imported}件、登録済みで省略 {present}件、エラー {errors}件").format(
            imported=stored, present=len(result.already_present), errors=len(result.errors))
        if result.stopped:
            summary = tr("取り込みが途中で止まりました（それまでの記録は保存済み）。") + summary
        self._banner.show_message("error" if result.errors or result.stopped else "ok", summary)
        language = current_language()
        lines = [tr("{row}行目 {column}: {message}").format(row=w.row, column=w.column, message=w.message.text(language))
                 for w in [*result.warnings, *result.errors][:SHOWN_ERRORS]]
        hidden = len(result.warnings) + len(result.errors) - len(lines)
        if hidden > 0:
            lines.append(tr("ほか {count}件").format(count=hidden))
        self.details.setText("\n".join(lines))
        self.details.setVisible(bool(lines))
        self.imported.emit(stored)

    def _failed(self, exc: BaseException) -> None:
        self.button.setEnabled(True)
        self.bar.hide()
        self._banner.show_message("error", error_text(exc))
