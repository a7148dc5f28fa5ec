"""A QPrinter that prints to a PDF file through Qt's PDF engine: the raster print path's stand-in spooler."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtPrintSupport import QPrinter


def file_printer(out: Path | str, dpi: int, colour: bool = True) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(out))
    printer.setResolution(dpi)
    if not colour:
        printer.setColorMode(QPrinter.ColorMode.GrayScale)
    return printer
