"""Last-resort error handling for the GUI: a dialog that never shows resident data.

The details offered for copying are built from code locations only (file, line,
function); exception messages are redacted or dropped, and no local variables are
ever included, because a visit may hold card data when something goes wrong.
"""
from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

from dxdesk.i18n import tr
from dxdesk.log import redact

log = logging.getLogger(__name__)

# Says whether a counter visit is open right now (its journal autosaves every change). Set by
# the app while a counter page exists; None means "no counter here": the dialog then promises nothing.
_open_visit_probe: Callable[[], bool] | None = None


def set_open_visit_probe(probe: Callable[[], bool] | None) -> None:
    global _open_visit_probe
    _open_visit_probe = probe


def crash_message() -> str:
    """The dialog text: mentions the autosaved visit only when one is open (a false reassurance
    would let a clerk restart without checking the resume dialog for nothing, or worse, trust it)."""
    try:
        visit_open = _open_visit_probe is not None and bool(_open_visit_probe())
    except Exception:  # noqa: BLE001 - the probe must never stop the dialog from showing
        visit_open = False
    saved = tr("受付中の内容は自動保存されています（再起動後に再開できます）。") + "\n" if visit_open else ""
    return (tr("予期しないエラーが発生しました。") + "\n" + saved
            + tr("続けて操作できない場合はアプリを再起動してください。"))


def crash_details(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    try:
        from dxdesk.security.crashreport import safe_crash_report
    except ImportError:
        frames = "".join(traceback.format_list(traceback.extract_tb(tb)))
        return f"{exc_type.__name__}\n{frames}"
    return safe_crash_report(exc_type, exc, tb)


def install_excepthook() -> None:
    def hook(exc_type, exc, tb) -> None:
        details = crash_details(exc_type, exc, tb)
        log.error("unhandled error in the GUI:\n%s", redact(details))
        if QApplication.instance() is None:
            sys.__excepthook__(exc_type, exc, tb)
            return
        box = QMessageBox()
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(tr("予期しないエラー"))
        box.setText(crash_message())
        box.setDetailedText(details)
        copy = box.addButton(tr("詳細をコピー"), QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.exec()
        if box.clickedButton() is copy:
            QApplication.clipboard().setText(details)

    sys.excepthook = hook
