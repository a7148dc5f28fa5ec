"""Preview and print a filled form: zoom, page navigation, Print, and Save as PDF.

Printing through Qt (Windows, or a PDF printer in tests) renders each page at the printer's
resolution in horizontal bands (dxdesk.ui.rasterprint): memory stays at a few bands instead of one
whole page bitmap (229 MB at 600 dpi, 730 MB at 1200 dpi). On CUPS the counter hands the PDF itself
to the spooler instead (dxdesk.forms.printing). With no printer installed the widget says so (in the
UI language) and offers to save the PDF instead: the document is never lost.

The counter has the bands made ahead (``make_bands_ahead``) while the resident reads the preview:
one band per turn of the event loop, so the screen stays responsive and 「印刷」 only hands them over.
"""
from __future__ import annotations

import logging
from pathlib import Path

import shiboken6
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QTimer, Signal
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from dxdesk.i18n import Msg, tr
from dxdesk.ui.rasterprint import BandsAhead, PrintFormat, render_to_printer, warm_up

log = logging.getLogger(__name__)

ZOOM_STEP = 1.25
ZOOM_MIN, ZOOM_MAX = 0.25, 4.0

MSG_NO_PRINTER = Msg(
    ja="プリンタが見つかりません。PDFファイルとして保存して、後で印刷できます。保存しますか？",
    en="No printer found. You can save the PDF and print it later. Save it now?",
)
MSG_SAVE_TITLE = Msg(ja="PDFを保存", en="Save PDF")
MSG_SAVE_FAILED = Msg(ja="PDFを保存できませんでした: {error}", en="Could not save the PDF: {error}")
MSG_LOAD_FAILED = Msg(ja="帳票を表示できませんでした。", en="The form could not be displayed.")


class FormPreview(QWidget):
    """Shows PDF bytes produced by dxdesk.forms and prints them."""

    printed = Signal(int)  # pages sent to the printer
    saved = Signal(str)  # path the PDF was saved to
    message = Signal(str)  # user-facing message shown (Japanese or English per settings)

    def __init__(self, parent: QWidget | None = None, one_row: bool = False, print_button: bool = True):
        """``one_row``: zoom, page navigation and output in a single row above the page, with no margins,
        for a preview as wide as the counter's print step (the page gets the height the second row took).
        ``print_button`` False: the owner prints (the counter's 「すべて印刷」 draws the visit for the
        printer chosen and hands it to CUPS where it can); a second button here would print the shown
        PDF past that."""
        super().__init__(parent)
        self._pdf = b""
        self._buffer: QBuffer | None = None
        self._ahead: BandsAhead | None = None
        self._ahead_timer = QTimer(self)
        self._ahead_timer.setInterval(0)  # one band each time the event loop is otherwise idle
        self._ahead_timer.timeout.connect(self._make_next_band)
        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitInView)

        def button(text: str, slot) -> QPushButton:
            b = QPushButton(text, self)
            b.setProperty("compact", True)  # the toolbar must fit beside the calibration form at 1366 px
            b.clicked.connect(slot)
            return b

        self.zoom_out_button = button(tr("縮小 −"), self.zoom_out)
        self.zoom_in_button = button(tr("拡大 ＋"), self.zoom_in)
        self.fit_button = button(tr("全体表示"), self.fit)
        self.prev_button = button(tr("◀ 前"), self.previous_page)
        self.next_button = button(tr("次 ▶"), self.next_page)
        self.page_label = QLabel(self)
        self.save_button = button(tr("PDF保存…"), lambda: self.save_as())
        self.print_button = button(tr("印刷…"), self.print_document)
        self.print_button.setDefault(True)
        # Zoom and output above the page, page navigation below it: one row of all eight was too
        # wide beside the calibration form on a 1366-px screen (and in English).
        bar = QHBoxLayout()
        for w in (self.zoom_out_button, self.zoom_in_button, self.fit_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.save_button)
        if print_button:
            bar.addWidget(self.print_button)
        else:
            self.print_button.hide()
        pages = bar if one_row else QHBoxLayout()
        at = bar.count() - (2 if print_button else 1) if one_row else 0  # in one row: between zoom and output
        pages.insertStretch(at, 1)
        part: QWidget
        for i, part in enumerate((self.prev_button, self.page_label, self.next_button)):
            pages.insertWidget(at + 1 + i, part)
        if not one_row:
            pages.addStretch(1)
        layout = QVBoxLayout(self)
        if one_row:
            layout.setContentsMargins(0, 0, 0, 0)  # flush with the print step's own rows
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        if not one_row:
            layout.addLayout(pages)
        self.view.pageNavigator().currentPageChanged.connect(lambda _p: self._update_page_label())
        self._update_page_label()

    # -- document ---------------------------------------------------------------
    def load_pdf(self, pdf: bytes) -> bool:
        """Show a PDF (bytes kept so it can be saved even if printing fails)."""
        self.discard_bands_ahead()
        self._pdf = bytes(pdf)
        buffer = QBuffer(self)
        buffer.setData(QByteArray(self._pdf))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document.load(buffer)
        if self._buffer is not None:
            self._buffer.deleteLater()
        self._buffer = buffer
        ok = self.document.status() == QPdfDocument.Status.Ready
        if not ok:
            log.warning("form preview: PDF did not load (%s)", self.document.error())
            self.message.emit(MSG_LOAD_FAILED.text())
        else:
            warm_up()  # printing's band cutter, imported while the clerk looks at the preview
        self.fit()
        self._update_page_label()
        return ok

    def unload(self) -> None:
        """Show nothing and forget the PDF and its bands (at the end of a visit: they are the
        resident's forms)."""
        self.discard_bands_ahead()
        self.document.close()
        self._pdf = b""
        if self._buffer is not None:
            self._buffer.deleteLater()
            self._buffer = None
        self._update_page_label()

    def page_count(self) -> int:
        return self.document.pageCount()

    def current_page(self) -> int:
        return self.view.pageNavigator().currentPage()

    # -- zoom and navigation ------------------------------------------------------
    def zoom_factor(self) -> float:
        return self.view.zoomFactor()

    def _set_zoom(self, factor: float) -> None:
        places = self._place()
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(ZOOM_MIN, min(ZOOM_MAX, factor)))
        self._restore_place(places)

    def _place(self) -> list[float]:
        """Where the middle of the view is, as a share of the whole document, across and down.

        QPdfView keeps the scroll bars' pixel values when the zoom changes, so the same pixels land
        on another part (often another page) of the re-scaled document: zooming in on page 2 showed
        page 1 (#14). The share survives the change (only the thin gaps between pages do not scale).
        """
        shares = []
        for bar in (self.view.horizontalScrollBar(), self.view.verticalScrollBar()):
            total = bar.maximum() - bar.minimum() + bar.pageStep()
            shares.append((bar.value() - bar.minimum() + bar.pageStep() / 2) / total if total > 0 else 0.0)
        return shares

    def _restore_place(self, shares: list[float]) -> None:
        for bar, share in zip((self.view.horizontalScrollBar(), self.view.verticalScrollBar()), shares):
            total = bar.maximum() - bar.minimum() + bar.pageStep()
            bar.setValue(bar.minimum() + round(share * total - bar.pageStep() / 2))
        self._update_page_label()

    def zoom_in(self) -> None:
        self._set_zoom(self.zoom_factor() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self._set_zoom(self.zoom_factor() / ZOOM_STEP)

    def fit(self) -> None:
        """The page the clerk was looking at, whole (not the first page)."""
        page = self.current_page()
        self.view.setZoomMode(QPdfView.ZoomMode.FitInView)
        if page > 0:
            self.go_to_page(page)

    def go_to_page(self, page: int) -> None:
        if 0 <= page < self.page_count():
            self.view.pageNavigator().jump(page, QPointF(), self.view.pageNavigator().currentZoom())
            self._update_page_label()

    def next_page(self) -> None:
        self.go_to_page(self.current_page() + 1)

    def previous_page(self) -> None:
        self.go_to_page(self.current_page() - 1)

    def _update_page_label(self) -> None:
        if not shiboken6.isValid(self.document):
            return  # the navigator's last signal while the widget is being destroyed
        n = self.page_count()
        self.page_label.setText(tr("{page} / {count} ページ").format(page=self.current_page() + 1, count=n)
                                if n else "－")  # i18n: ja-only (a dash, no words)
        self.prev_button.setEnabled(n > 0 and self.current_page() > 0)
        self.next_button.setEnabled(self.current_page() < n - 1)
        self.print_button.setEnabled(n > 0)
        self.save_button.setEnabled(bool(self._pdf))

    # -- output ---------------------------------------------------------------------
    def save_as(self, path: str | None = None) -> bool:
        """Write the PDF to path (asks with a file dialog when None)."""
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, MSG_SAVE_TITLE.text(), "form.pdf", "PDF (*.pdf)")
            if not path:
                return False
        from dxdesk.outputfiles import OutputRefusedError, write_private

        try:  # owner-only and atomic; the dialog has asked before replacing a file, never dxdesk's own files
            write_private(Path(path), self._pdf)
        except OutputRefusedError as exc:
            self._show(exc.msg, warning=True)
            return False
        except OSError as exc:
            self._show(MSG_SAVE_FAILED.format(error=exc.strerror or str(exc)), warning=True)
            return False
        self.saved.emit(path)
        return True

    def _show(self, msg: Msg, warning: bool = False) -> None:
        text = msg.text()
        self.message.emit(text)
        (QMessageBox.warning if warning else QMessageBox.information)(self, "dxdesk", text)

    def ask_save_instead(self) -> bool:
        """No printer: explain (in the UI language) and offer to save the PDF. Overridable in tests."""
        text = MSG_NO_PRINTER.text()
        self.message.emit(text)
        answer = QMessageBox.question(self, "dxdesk", text)
        return answer == QMessageBox.StandardButton.Yes

    def choose_printer(self) -> QPrinter | None:
        """The print dialog; None when cancelled or when there is no printer (then saving is offered)."""
        if not QPrinterInfo.availablePrinters():
            if self.ask_save_instead():
                self.save_as()
            return None
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return None
        return printer

    def print_document(self, printer: QPrinter | None = None, pdf: bytes | None = None) -> int:
        """Print every page (of ``pdf``, default the document shown); returns pages printed (0 when
        cancelled or no printer)."""
        if not self.page_count():
            return 0
        if printer is None:
            printer = self.choose_printer()
            if printer is None:
                return 0
        pages = render_to_printer(pdf if pdf is not None else self._pdf, printer, self._ahead)
        self.printed.emit(pages)
        return pages

    # -- bands made ahead -----------------------------------------------------------
    def make_bands_ahead(self, pdf: bytes, printer: QPrinter) -> None:
        """Start making the raster bands of ``pdf`` for ``printer`` (the one the print dialog will
        offer first); a print of that PDF in that printer's format then uses them."""
        self.discard_bands_ahead()
        self._ahead = BandsAhead(pdf, PrintFormat.of(printer))
        self._ahead_timer.start()

    def bands_ahead(self) -> BandsAhead | None:
        return self._ahead

    def _make_next_band(self) -> None:
        ahead = self._ahead
        try:
            more = ahead is not None and ahead.step()
        except Exception as exc:  # noqa: BLE001 - only a head start: printing makes the bands itself and reports
            log.warning("printing: the bands could not be made ahead: %s", exc)
            self.discard_bands_ahead()
            return
        if not more:
            self._ahead_timer.stop()

    def discard_bands_ahead(self) -> None:
        """Forget the bands (they picture the resident's forms): at the end of a visit, or for another PDF."""
        self._ahead_timer.stop()
        if self._ahead is not None:
            self._ahead.discard()
        self._ahead = None
