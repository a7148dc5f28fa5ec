"""Handing filled forms to the spooler (Qt-free; the CLI and the counter's print step share it).

On CUPS (Linux, macOS) the PDF itself is submitted with ``lp``: the printer gets vector data,
a 3-form visit is a few hundred kB instead of a raster spool of hundreds of MB, and CUPS'
own filters rasterise at the device's resolution. The page must land at true size because
overlay forms go onto pre-printed boxes, so every job says no fit-to-page and no scaling.
On Windows (no ``lp``) the window prints through Qt in bands (dxdesk.ui.rasterprint), and so does
``dxdesk form print`` (:func:`spool_pdf`, through dxdesk.ui.qtspool: Qt is loaded only there and then,
so the core itself never imports it).

The calibration applied is always that of the printer the job goes to
(:func:`dxdesk.forms.calibration.calibration_for`), whichever printer is configured.

``lp`` is run as a subprocess with the PDF on stdin: no temporary file holds a resident's data,
and no personal data goes on the command line (the job title is the form title only).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass

from dxdesk.errors import DxError
from dxdesk.i18n import Msg

# True size on every CUPS filter chain: cups-filters' pdftopdf honours fit-to-page/print-scaling,
# older filters honour scaling=100 (natural size).
TRUE_SIZE_OPTIONS = ("-o", "fit-to-page=false", "-o", "print-scaling=none", "-o", "scaling=100")
MAX_COPIES = 99
_REQUEST_ID = re.compile(r"request id is (\S+)")


class PrintError(DxError):
    """The spooler refused or could not be reached; the PDF is still there to save or retry."""


@dataclass(frozen=True)
class CupsStatus:
    installed: bool
    running: bool
    printers: tuple[str, ...]
    default: str | None
    detail: str  # English, for doctor and logs


def _c_env() -> dict[str, str]:
    return {**os.environ, "LC_ALL": "C"}  # parse CUPS' English answers whatever the desk's locale


def cups_available() -> bool:
    """True where forms go to CUPS as PDF (``lp`` exists); False on Windows."""
    return shutil.which("lp") is not None


def _lpstat(*args: str) -> subprocess.CompletedProcess[str]:
    lpstat = shutil.which("lpstat")
    assert lpstat is not None
    return subprocess.run([lpstat, *args], capture_output=True, text=True, timeout=10, env=_c_env())


def cups_status() -> CupsStatus:
    """What CUPS says now: installed, scheduler running, its queues and default (never raises)."""
    if shutil.which("lpstat") is None:
        return CupsStatus(False, False, (), None, "no print system (CUPS) installed")
    try:
        running = _lpstat("-r")
        if "is running" not in running.stdout:
            return CupsStatus(True, False, (), None, "CUPS is installed but its scheduler is not running")
        printers = tuple(line.strip() for line in _lpstat("-e").stdout.splitlines() if line.strip())
        default_out = _lpstat("-d").stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return CupsStatus(True, False, (), None, f"cannot ask CUPS: {exc}")
    default = default_out.split(":", 1)[1].strip() if "system default destination:" in default_out else None
    if not printers:
        detail = "CUPS is running with no printer added"
    else:
        detail = f"CUPS is running; printers: {', '.join(printers)}; default: {default or 'none'}"
    return CupsStatus(True, True, printers, default, detail)


def spool_path() -> str:
    """How this platform's spooler takes a form: "cups" (the PDF itself) or "raster" (Qt's print engine)."""
    return "cups" if cups_available() else "raster"


def check_copies(copies: int) -> None:
    if not 1 <= copies <= MAX_COPIES:
        raise PrintError(Msg(f"部数は1から{MAX_COPIES}までで指定してください。",
                             f"copies must be between 1 and {MAX_COPIES}"))


def spool_pdf(pdf: bytes, printer: str, copies: int = 1, title: str = "dxdesk") -> str:
    """Hand the PDF to this platform's spooler at true size (see :func:`spool_path`); return what
    identifies the job (CUPS' request id, or the printer and pages for Qt's engine).

    The raster path creates Qt's application object if there is none: call it on the main thread.
    """
    if spool_path() == "cups":
        return submit_pdf(pdf, printer, copies, title)
    check_copies(copies)
    if not printer.strip():
        raise PrintError(Msg("プリンタ名を指定してください。", "give the printer's name"))
    try:
        from dxdesk.ui.qtspool import submit_raster  # Qt, loaded only for a print on a platform without CUPS
    except ImportError as exc:
        raise PrintError(Msg("印刷システムが見つかりません。PDFとして保存してください。",
                             f"no print system found (no CUPS, and Qt's printing did not load: {exc}): "
                             "save the PDF instead")) from None
    return submit_raster(pdf, printer, copies, title)


def no_such_printer(printer: str, known: list[str]) -> PrintError:
    return PrintError(Msg(f"プリンタ「{printer}」が見つかりません。プリンタ名を確認してください。",
                          f"no printer named '{printer}' on this computer (printers: {', '.join(known) or 'none'})"))


def printer_did_not_start(printer: str) -> PrintError:
    return PrintError(Msg(f"プリンタ「{printer}」で印刷を始められませんでした。電源と接続を確認してください。",
                          f"the printer '{printer}' could not start the job"))


def submit_pdf(pdf: bytes, printer: str, copies: int = 1, title: str = "dxdesk") -> str:
    """Queue the PDF on a CUPS printer at true size; return the request id (``QUEUE-123``).

    Returns once the spooler has the whole job (``lp`` exits after the scheduler accepted it).
    """
    check_copies(copies)
    if not printer or printer.startswith("-") or any(ch.isspace() for ch in printer):
        raise PrintError(Msg("プリンタ名が正しくありません。", f"'{printer}' is not a printer name"))
    lp = shutil.which("lp")
    if lp is None:
        raise PrintError(Msg("印刷システム（CUPS）が見つかりません。PDFとして保存してください。",
                             "no print system (CUPS) found: save the PDF instead"))
    argv = [lp, "-d", printer, "-n", str(copies), "-t", title, *TRUE_SIZE_OPTIONS, "-"]
    try:
        done = subprocess.run(argv, input=pdf, capture_output=True, timeout=60, env=_c_env())
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrintError(Msg("プリンタに送れませんでした。印刷システムを確認してください。",
                             f"could not hand the job to CUPS: {exc}")) from None
    out = done.stdout.decode("utf-8", "replace")
    err = done.stderr.decode("utf-8", "replace").strip()
    match = _REQUEST_ID.search(out)
    if done.returncode != 0 or match is None:
        raise PrintError(Msg(f"プリンタ「{printer}」に送れませんでした。プリンタ名と電源を確認してください。",
                             f"CUPS refused the job for printer '{printer}': {err or out.strip() or 'no answer'}"))
    return match.group(1)


@dataclass(frozen=True)
class Band:
    page: int  # page of the original PDF
    top: int  # first pixel row of the band on that page
    rows: int  # pixel rows in the band
    width: int  # pixel columns (the whole page width)


def banded_pdf(pdf: bytes, dpi: int, band_bytes: int) -> tuple[bytes, list[Band]]:
    """The PDF cut into horizontal bands, one page per band, for raster printing with bounded memory.

    Each band page shares the original content stream and only narrows the MediaBox/CropBox to its
    strip, so the renderer draws exactly that strip at its true position (band edges fall on whole
    pixel rows at ``dpi``). ``band_bytes`` bounds one band's ARGB bitmap. Bands come in page order.
    """
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import RectangleObject

    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    bands: list[Band] = []
    for index, page in enumerate(reader.pages):
        box = page.mediabox
        left, bottom, right, top_pt = float(box.left), float(box.bottom), float(box.right), float(box.top)
        width = round((right - left) / 72 * dpi)
        height = round((top_pt - bottom) / 72 * dpi)
        rows = max(1, band_bytes // (4 * max(1, width)))
        for top in range(0, height, rows):
            n = min(rows, height - top)
            strip = RectangleObject((left, top_pt - (top + n) * 72 / dpi, right, top_pt - top * 72 / dpi))
            added = writer.add_page(page)
            added.mediabox = strip
            added.cropbox = strip
            bands.append(Band(index, top, n, width))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), bands
