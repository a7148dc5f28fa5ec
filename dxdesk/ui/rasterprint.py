"""Printing a PDF through Qt as raster bands: the path where no spooler takes the PDF itself (Windows).

Each page is rendered at the printer's own resolution (``QPrinter.resolution()``: the driver's on
Windows; above 600 dpi a whole fraction of it) in horizontal bands, so memory stays at a few bands whatever the resolution, and painted at
its true size (no fit-to-page: overlay forms must land in the pre-printed boxes).

What the print engine is handed is kept as small as the page allows, without changing a pixel:

- every band is first made opaque on white (pdfium draws on transparent) and checked for colour
  (``QImage.allGray``): a coloured band (a seal, a coloured logo) stays RGB; the rest is 8-bit grey;
- a grey band is cut into strips of ``STRIP_ROWS`` rows: blank strips are not painted at all, strips
  with only black and white go as 1-bit images (one bit a pixel instead of 24 for a print engine),
  and strips with real grey (the light-grey label cells) go as 1-bit too, with only the columns that
  hold grey painted over them in 8-bit grey. Painted in that order they give exactly the grey band;
- at print resolutions (``ALIASED_FROM_DPI`` and up) text and lines are rendered without
  anti-aliasing, as a printer's own rasteriser does: the grey fringe anti-aliasing adds would only be
  halftoned by the driver, and without it most strips are pure black and white.

Rendering and painting alternate on the calling thread: a worker thread one band ahead would not
overlap them, because PySide6 holds the GIL through QPdfDocument.render, QImage conversions and
QPainter.drawImage (measured: another Python thread gets no turn for the whole call).

At the counter the bands are made *ahead* (BandsAhead), one band per turn of the event loop while
the resident reads the preview, for the printer the print dialog will offer first; 「印刷」 then
only hands the pieces over. A different printer, resolution or colour mode is rendered afresh.
"""
from __future__ import annotations

import hashlib
import importlib
import logging
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtPdf import QPdfDocument, QPdfDocumentRenderOptions
from PySide6.QtPrintSupport import QPrinter

log = logging.getLogger(__name__)

BAND_BYTES = 16 * 1024 * 1024  # one band's ARGB32 bitmap at most: bounds print memory at any resolution
STRIP_ROWS = 64  # rows classified together (blank / black-and-white / grey): 2.7 mm at 600 dpi
GREY_GAP = 64  # grey column spans closer than this are painted as one piece
# Grey pieces reach this many pixels past the grey on every side (clipped to the band). A PDF
# renderer covers every device pixel an image touches: an opaque grey piece ending right at a table
# line would paint over that line when the page is rendered at another resolution. With the margin
# the piece itself carries the line.
GREY_MARGIN = 4
ALIASED_FROM_DPI = 300  # printer resolutions: render text and lines as 1-bit, as the printer would
# A driver at 1200 dpi (or Qt's print-to-file default) gets 600-dpi pixels, each a 2x2 block: a
# quarter of the work for no difference a form shows, where rendering at 1200 dpi took four times as long.
MAX_RASTER_DPI = 600

_WHITE = b"\xff"  # a white grey pixel
_GREY_MASK = bytes(0 if value in (0, 255) else 1 for value in range(256))  # 1 where a pixel is grey, else 0
_BW_TABLE = [0xFF000000, 0xFFFFFFFF]  # index 0 black, 1 white: what Qt's PDF engine writes as a 1-bit image
_THRESHOLD_TABLE = [_BW_TABLE[0] if value < 128 else _BW_TABLE[1] for value in range(256)]


@dataclass(frozen=True)
class Piece:
    """One image to paint at (x, y) of its band."""
    x: int
    y: int
    image: QImage


@dataclass(frozen=True)
class RasterBand:
    page: int  # page of the original PDF
    top: int  # first pixel row of the band on that page
    image: QImage  # the band, opaque: Grayscale8, or RGB32 when it holds colour
    pieces: tuple[Piece, ...]  # what is painted (none for a blank band)


_warm_up_lock = threading.Lock()
_warm_up: threading.Thread | None = None


def warm_up() -> threading.Thread:
    """Import the band cutter (pypdf: 0.3 to 0.8 s) on a background thread, once per process.

    The preview calls this when it shows a document, so the clerk's first 「印刷」 of the day does not
    wait for the import; the clerk looks at the preview for longer than that.
    """
    global _warm_up

    def run() -> None:
        try:
            importlib.import_module("pypdf")
        except Exception as exc:  # noqa: BLE001 - printing imports it again and reports then
            log.warning("printing: the band cutter did not import in advance: %s", exc)

    with _warm_up_lock:
        if _warm_up is None:
            _warm_up = threading.Thread(target=run, name="dxdesk-print-warm-up", daemon=True)
            _warm_up.start()
        return _warm_up


def pdf_document(pdf: bytes) -> QPdfDocument | None:
    """A QPdfDocument over PDF bytes (owned by the caller: close it), or None when it does not load."""
    document = QPdfDocument()
    buffer = QBuffer(document)
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document.load(buffer)
    if document.status() != QPdfDocument.Status.Ready:
        return None
    return document


def render_options(dpi: int) -> QPdfDocumentRenderOptions:
    options = QPdfDocumentRenderOptions()
    if dpi >= ALIASED_FROM_DPI:
        flag = QPdfDocumentRenderOptions.RenderFlag
        options.setRenderFlags(flag.TextAliased | flag.PathAliased | flag.ImageAliased)
    return options


def opaque(rendered: QImage, colour: bool) -> QImage:
    """pdfium's transparent ARGB band painted on white paper: RGB32 if ``colour``, else 8-bit grey.

    Grey images are made a whole number of 4-byte words wide (the extra columns white), so their
    bytes have no row padding and can be classified as they are.
    """
    width = rendered.width() if colour else (rendered.width() + 3) & ~3
    image = QImage(width, rendered.height(), QImage.Format.Format_RGB32 if colour
                   else QImage.Format.Format_Grayscale8)
    image.fill(0xFFFFFFFF)
    painter = QPainter(image)
    painter.drawImage(0, 0, rendered)
    painter.end()
    return image


def _black_and_white(grey: QImage, top: int, rows: int, width: int) -> QImage:
    """Rows [top, top+rows) of a grey band as a 1-bit image (black below mid-grey), black = 0."""
    part = grey.copy(0, top, width, rows)
    # The same bytes read as palette indices whose palette is already black or white: Qt converts
    # that to 1 bit two to three times faster than it thresholds 8-bit grey (the same pixels).
    part.reinterpretAsFormat(QImage.Format.Format_Indexed8)
    part.setColorTable(_THRESHOLD_TABLE)
    mono = part.convertToFormat(QImage.Format.Format_Mono, Qt.ImageConversionFlag.ThresholdDither)
    if mono.colorTable() != _BW_TABLE:
        mono.invertPixels()  # Qt gives white = 0; the PDF engine takes 1-bit images as black = 0
        mono.setColorTable(_BW_TABLE)
    return mono


def _any_row(mask: bytes, stride: int) -> bytes:
    """The rows of ``mask`` (0/1 bytes, ``stride`` a row) OR-ed into one row: the columns used."""
    rows = len(mask) // stride
    bits = stride * 8
    folded = int.from_bytes(mask, "big")
    while rows > 1:  # fold the lower half of the rows onto the upper half, whole rows at a time
        half = rows // 2
        folded = (folded >> (half * bits)) | (folded & ((1 << (half * bits)) - 1))
        rows -= half
    return folded.to_bytes(stride, "big")


def grey_spans(mask: bytes, stride: int, width: int) -> list[tuple[int, int]]:
    """[left, right) column spans holding grey in a strip's grey mask; gaps under GREY_GAP joined."""
    columns = _any_row(mask, stride)[:width]
    spans: list[tuple[int, int]] = []
    left = columns.find(1)
    while left >= 0:
        right = columns.find(0, left)
        right = width if right < 0 else right
        if spans and left - spans[-1][1] < GREY_GAP:
            spans[-1] = (spans[-1][0], right)
        else:
            spans.append((left, right))
        left = columns.find(1, right)
    return spans


def strips(grey: QImage, rows: int = STRIP_ROWS) -> list[tuple[int, int, bytes | None]]:
    """(top, rows, grey mask) of each strip of a grey band: mask None for a blank strip, and
    without a 1 for a strip of only black and white."""
    data = bytes(grey.constBits())
    stride = grey.bytesPerLine()
    white_strip = _WHITE * (rows * stride)
    found: list[tuple[int, int, bytes | None]] = []
    for top in range(0, grey.height(), rows):
        start, end = top * stride, min(grey.height(), top + rows) * stride
        blank = data[start:end] == white_strip[:end - start]  # a memory compare
        found.append((top, (end - start) // stride, None if blank else data[start:end].translate(_GREY_MASK)))
    return found


def band_pieces(image: QImage, width: int, rows: int = STRIP_ROWS) -> tuple[Piece, ...]:
    """What to paint for an opaque band ``width`` pixels wide (see the module docstring): 1-bit
    pieces for each run of non-blank strips, then 8-bit grey pieces over the grey columns."""
    if image.format() != QImage.Format.Format_Grayscale8:
        return (Piece(0, 0, image.copy(0, 0, width, image.height())),)
    mono: list[Piece] = []
    grey: list[Piece] = []
    run_top = None
    for top, height, mask in [*strips(image, rows), (image.height(), 0, None)]:
        if mask is None and run_top is not None:
            mono.append(Piece(0, run_top, _black_and_white(image, run_top, top - run_top, width)))
            run_top = None
        elif mask is not None and run_top is None:
            run_top = top
        if mask is not None and 1 in mask:
            above, below = max(0, top - GREY_MARGIN), min(image.height(), top + height + GREY_MARGIN)
            for left, right in grey_spans(mask, image.bytesPerLine(), width):
                left, right = max(0, left - GREY_MARGIN), min(width, right + GREY_MARGIN)
                grey.append(Piece(left, above, image.copy(left, above, right - left, below - above)))
    return (*mono, *grey)


def coloured_pages(pdf: bytes) -> set[int]:
    """The pages with any colour, from an anti-aliased 72-dpi rendering: a coloured mark too small to
    show there still tints the pixels it touches. Only their bands are checked one by one (a check
    of every 600-dpi band costs as much as drawing the grey pieces)."""
    document = pdf_document(pdf)
    if document is None:
        raise ValueError("the document to print did not load")
    try:
        found = set()
        for page in range(document.pageCount()):
            size = document.pagePointSize(page)
            if not document.render(page, QSize(max(1, round(size.width())), max(1, round(size.height())))).allGray():
                found.add(page)
        return found
    finally:
        document.close()


def raster_bands(pdf: bytes, dpi: int, colour: bool = True, band_bytes: int | None = None,
                 rows: int = STRIP_ROWS) -> Generator[RasterBand, None, None]:
    """Every page of ``pdf`` at ``dpi`` as opaque bands with their pieces, in page order.

    The pages are cut into strips (dxdesk.forms.printing.banded_pdf: one narrow MediaBox per
    strip), so no bitmap is ever larger than ``band_bytes``. (QPdfDocumentRenderOptions' scaled
    clip rect would avoid the cut but, in Qt 6.11, drifts by about 1 % of the clip's top.)
    ``colour`` False (a printer set to grey) makes every band grey.
    """
    from dxdesk.forms.printing import banded_pdf

    strips_pdf, bands = banded_pdf(pdf, dpi, band_bytes or BAND_BYTES)
    coloured = coloured_pages(pdf) if colour else set()
    strips = pdf_document(strips_pdf)
    if strips is None:
        raise ValueError("the banded copy of the document did not load")
    options = render_options(dpi)
    try:
        for i, band in enumerate(bands):
            rendered = strips.render(i, QSize(band.width, band.rows), options)
            image = opaque(rendered, band.page in coloured and not rendered.allGray())
            del rendered  # the ARGB bitmap is the largest thing here: gone before the next band
            yield RasterBand(band.page, band.top, image, band_pieces(image, band.width, rows))
    finally:
        strips.close()
        del strips


@dataclass(frozen=True)
class PrintFormat:
    """What the bands depend on besides the PDF: the resolution they are rendered at and colour."""
    dpi: int
    colour: bool

    @classmethod
    def of(cls, printer: QPrinter) -> PrintFormat:
        """The format render_to_printer uses for ``printer``."""
        return cls(raster_dpi(printer.resolution())[0], printer.colorMode() == QPrinter.ColorMode.Color)


@dataclass(frozen=True)
class MadeBand:
    """A band's pieces kept for printing (the band's own bitmap is not kept)."""
    page: int
    top: int
    pieces: tuple[Piece, ...]


class BandsAhead:
    """The bands of one PDF made before 「印刷」, one at a time (``step``), for one PrintFormat.

    What is kept is the pieces (for a visit of three forms about 20 MB); once they pass
    ``budget_bytes`` (a page with large colour areas keeps whole RGB bands) nothing more is kept:
    printing makes the rest itself, and a reprint starts afresh, so memory stays bounded. The
    pieces picture a resident's forms: ``discard`` them when the visit ends.
    """

    def __init__(self, pdf: bytes, fmt: PrintFormat, budget_bytes: int = 64 * 1024 * 1024) -> None:
        self.digest = hashlib.sha256(pdf).digest()
        self.format = fmt
        self.budget_bytes = budget_bytes
        self.made: list[MadeBand] = []
        self.kept_bytes = 0
        self.dropped = False  # a band was made and not kept: the kept ones are not the whole document
        self.discarded = False
        self._source: Generator[RasterBand, None, None] | None = raster_bands(pdf, fmt.dpi, fmt.colour)
        self._busy = False  # printing is draining the source: a timer step must not re-enter it

    @property
    def finished(self) -> bool:
        return self._source is None and not self.discarded

    def matches(self, pdf: bytes, fmt: PrintFormat) -> bool:
        """These bands are (or will be) the whole of ``pdf`` printed in ``fmt``."""
        return (not self.discarded and not self.dropped and fmt == self.format
                and hashlib.sha256(pdf).digest() == self.digest)

    def step(self) -> bool:
        """Make the next band ahead; False when there is nothing more to make ahead."""
        if self._busy or self._source is None or self.kept_bytes >= self.budget_bytes:
            return False
        band = self._next()
        if band is None:
            return False
        self._keep(band)
        return self._source is not None and self.kept_bytes < self.budget_bytes

    def _next(self) -> RasterBand | None:
        assert self._source is not None
        band = next(self._source, None)
        if band is None:
            self._source = None
        return band

    def _keep(self, band: RasterBand) -> None:
        if self.dropped or self.kept_bytes >= self.budget_bytes:
            self.dropped = True
            return
        self.made.append(MadeBand(band.page, band.top, band.pieces))
        self.kept_bytes += sum(piece.image.sizeInBytes() for piece in band.pieces)

    def bands(self) -> Iterator[MadeBand]:
        """Every band in page order: those made ahead, then the rest made now (kept as well while
        the budget allows, for a reprint)."""
        self._busy = True
        try:
            yield from list(self.made)
            while self._source is not None:
                band = self._next()
                if band is None:
                    return
                self._keep(band)
                yield MadeBand(band.page, band.top, band.pieces)
        except Exception:
            # The source failed part-way: what is kept is not the whole document, and a reprint
            # must not take it for the whole (it would print the first bands only).
            self.discard()
            raise
        finally:
            self._busy = False

    def discard(self) -> None:
        """Forget the pieces and stop making more."""
        if self._source is not None:
            self._source.close()
        self._source = None
        self.made = []
        self.kept_bytes = 0
        self.discarded = True


def raster_dpi(printer_dpi: int) -> tuple[int, int]:
    """(resolution to render at, device pixels per rendered pixel): the printer's own resolution up
    to MAX_RASTER_DPI; above it a whole fraction of it, each rendered pixel a block of device pixels."""
    factor = -(-printer_dpi // MAX_RASTER_DPI)
    return printer_dpi // factor, factor


def render_to_printer(pdf: bytes, printer: QPrinter, ahead: BandsAhead | None = None) -> int:
    """Paint each PDF page at the printer's resolution (see raster_dpi), band by band, at its true
    size (never fit to the page); returns the pages printed (0 when the printer cannot start).

    ``ahead``: bands made before 「印刷」; used only when they are this PDF in this printer's format.
    """
    printer.setFullPage(True)
    factor = raster_dpi(printer.resolution())[1]
    fmt = PrintFormat.of(printer)
    made: Iterator[MadeBand] | Iterator[RasterBand]
    if ahead is not None and ahead.matches(pdf, fmt):
        made = ahead.bands()
    else:
        made = raster_bands(pdf, fmt.dpi, fmt.colour)
    painter = QPainter()
    if not painter.begin(printer):
        log.warning("printing: cannot start the printer")
        return 0
    # Qt's PDF engine (print to file, CUPS through Qt) would JPEG the grey and colour pieces:
    # lossy on text, and slower than its lossless deflate. Other engines ignore the hint.
    painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering)
    painter.scale(factor, factor)
    pages = 0
    try:
        for band in made:
            if band.page + 1 > pages:
                if pages:
                    printer.newPage()
                pages = band.page + 1
            for piece in band.pieces:
                painter.drawImage(QPoint(piece.x, band.top + piece.y), piece.image)
    finally:
        painter.end()
    return pages
