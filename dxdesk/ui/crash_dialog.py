"""Last-resort error handling for the GUI: a dialog that never shows resident data.

The details offered for copying are built from code locations only (file, line,
function); exception messages are redacted or dropped, and no local variables are
ever included, because a visit may hold card data when something goes wrong.
"""
from __future__ import annotations

import logging
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

from dxdesk.log import redact

log = logging.getLogger(__name__)


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
        box.setWindowTitle("予期しないエラー")
        box.setText("予期しないエラーが発生しました。作業中の受付は自動保存されています。\n"
                    "続けて操作できない場合はアプリを再起動してください。")
        box.setDetailedText(details)
        copy = box.addButton("詳細をコピー", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.exec()
        if box.clickedButton() is copy:
            QApplication.clipboard().setText(details)

    sys.excepthook = hook
