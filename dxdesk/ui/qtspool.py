"""``dxdesk form print`` where no CUPS takes the PDF (Windows): Qt's print engine, in raster bands.

The same path as the window's (dxdesk.ui.rasterprint: bands at the driver's resolution, true size,
bounded memory), for a named printer of the system. Loaded by dxdesk.forms.printing.spool_pdf only
when such a print is made, so the core never imports Qt.
"""
from __future__ import annotations

import os
import sys

from PySide6.QtGui import QGuiApplication
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from dxdesk.forms.printing import no_such_printer, printer_did_not_start
from dxdesk.ui.rasterprint import render_to_printer

_app: QGuiApplication | None = None  # the command line's own: kept for the life of the process


def _application() -> None:
    """Qt's printing needs an application object; a command has none of its own."""
    global _app
    if QGuiApplication.instance() is not None:
        return
    if sys.platform != "win32" and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # printing needs no screen
    _app = QGuiApplication([sys.argv[0] if sys.argv else "dxdesk"])


def submit_raster(pdf: bytes, printer: str, copies: int, title: str) -> str:
    """Print ``pdf`` on the system printer named ``printer``; return "N page(s) handed to …" once Qt's
    engine has handed the job to the system spooler."""
    _application()
    info = QPrinterInfo.printerInfo(printer)
    if info.isNull():
        raise no_such_printer(printer, QPrinterInfo.availablePrinterNames())
    target = QPrinter(info, QPrinter.PrinterMode.HighResolution)
    target.setDocName(title)  # the form's title only: no resident's data in the spooler's job list
    target.setCopyCount(copies)
    pages = render_to_printer(pdf, target)
    if pages == 0:
        raise printer_did_not_start(printer)
    return f"{pages} page(s) handed to the system spooler"
