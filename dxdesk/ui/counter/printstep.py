"""印刷 step: every form of the visit in one preview (the 手続き案内票 last), printed in one go."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from dxdesk.i18n import N_, tr
from dxdesk.counter import Visit, VisitError
from dxdesk.forms.registry import find_template
from dxdesk.ui.forms_preview import FormPreview

from .services import CounterServices
from dxdesk.ui.theme import button, set_role, show_message, error_label, note, set_error

if TYPE_CHECKING:
    from dxdesk.app.formpdf import FormsPayload, PrinterJob, VisitPdf

log = logging.getLogger(__name__)
# The form drawing (ReportLab, pypdf) is imported when a visit reaches this step, not when the
# window starts: it was about 0.3 s of every cold start.

# FillIssue.kind → what the clerk is told (dxdesk.forms.render).
ISSUE_WORDS = {"overflow": N_("欄に収まらない文字があります"),
               "missing_glyph": N_("印刷できない文字があります（〓で印刷されます）"),
               "bad_value": N_("帳票に書けない値があります")}


class PrintStep(QWidget):
    printed = Signal(tuple, int)  # form ids, pages
    ready = Signal()  # the preview shows the visit's forms

    def __init__(self, services: CounterServices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.visit: Visit | None = None
        self.document: VisitPdf | None = None
        self.payload: FormsPayload | None = None
        # One row of preview controls and tight margins: at 1366×728 the page had about 240 px (#14).
        self.preview = FormPreview(self, one_row=True, print_button=False)
        self.forms_label = note("", 13)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.print_button = button(tr("すべて印刷（Ctrl+P）"), self, kind="primary", size=14)
        self.done_button = button(tr("完了（Ctrl+Enter）"), self, kind="primary", size=14)
        self.error = error_label(self)
        self.print_button.clicked.connect(self.print_all)
        self.preview.printed.connect(self._on_printed)
        self.preview.message.connect(lambda text: set_error(self.error, text))
        # What is printed, the progress line and the two buttons share the top rows; the page preview
        # takes all the height left (the step bar above already says 「印刷」).
        about = QVBoxLayout()
        about.setSpacing(2)
        about.addWidget(self.forms_label)
        about.addWidget(self.status)
        top = QHBoxLayout()
        top.addLayout(about, 1)
        top.addWidget(self.print_button)
        top.addSpacing(12)
        top.addWidget(self.done_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.error)
        layout.addWidget(self.preview, 1)

    def load(self, visit: Visit) -> None:
        """Fill the forms in the background; the preview appears when they are ready."""
        self.visit = visit
        self.document = None
        set_error(self.error, "")
        self.print_button.setEnabled(False)
        self.print_button.setText(tr("すべて印刷（Ctrl+P）"))
        titles = []
        for form_id in visit.forms_to_print:
            try:
                titles.append(find_template(form_id).title)
            except Exception:  # noqa: BLE001 - a missing template is reported when rendering
                titles.append(form_id)
        self.forms_label.setText(tr("印刷する帳票: ") + tr("、").join(titles))
        show_message(self.status, tr("帳票を作成しています…"), "hint")
        from dxdesk.app.formpdf import render_visit_pdf, visit_form_payload
        from dxdesk.forms.calibration import calibration_for

        settings = self.services.settings
        calibration = calibration_for(settings, settings.forms.printer) if settings.forms.printer else None
        try:
            payload = visit_form_payload(visit, self.services.local_now().date(), settings.forms.default_mode,
                                         calibration, settings.general.municipality, qr_codes=settings.handoff.qr)
        except VisitError as exc:
            set_error(self.error, exc.message.text())
            return
        self.payload = payload
        handle = self.services.runner.run(lambda cancel: render_visit_pdf(payload), owner=self)
        handle.finished.connect(lambda document: self._on_rendered(document, payload))
        handle.failed.connect(lambda exc: self._on_render_failed(exc) if self.payload is payload else None)

    def _on_rendered(self, document: VisitPdf, payload: FormsPayload) -> None:
        if payload is not self.payload:
            return  # the visit ended (or another began) while its forms were drawn: they are not shown
        self.document = document
        if not self.preview.load_pdf(document.pdf):
            set_error(self.error, tr("帳票を表示できませんでした。"))
            return
        self.status.setText(tr("{forms} 種類の帳票（{pages} ページ）を表示しています。").format(
            forms=len(document.forms), pages=self.preview.page_count()))
        if document.issues:
            # Overflow or a missing glyph: the clerk checks the pages before printing. The message says what
            # kind of problem in plain words; the template's field keys ("procedures") go to the log only (#14).
            kinds = [tr(ISSUE_WORDS.get(kind, ISSUE_WORDS["bad_value"])) for kind in
                     sorted({i.kind for i in document.issues})]
            set_error(self.error, tr("プレビューで確認してください: {kinds}（{count} 箇所）").format(
                kinds=tr("、").join(kinds), count=len(document.issues)))
            log.info("form fill issues: %s", "; ".join(str(i) for i in document.issues))
        self.print_button.setEnabled(True)
        self._make_bands_ahead()
        self.ready.emit()

    def _on_render_failed(self, exc: BaseException) -> None:
        log.warning("form rendering failed: %s", exc)
        set_error(self.error, tr("帳票を作成できませんでした。様式の設定を確認してください。受付の内容は保存されています。"))
        self.status.setText("")

    def _likely_printer(self) -> QPrinter | None:
        """The printer 「印刷」 will most likely use: the kiosk printer, else the one the print dialog
        offers first (the system default); None when there is none."""
        factory: Callable | None = self.services.printer_factory
        if factory is not None:
            return factory()
        return QPrinter(QPrinter.PrinterMode.HighResolution) if QPrinterInfo.availablePrinters() else None

    def _job_for(self, printer: QPrinter) -> PrinterJob:
        from dxdesk.app.formpdf import printer_job

        assert self.document is not None and self.payload is not None
        return printer_job(self.services.settings, self.payload, self.document, printer.printerName(),
                           queue=printer.outputFormat() == QPrinter.OutputFormat.NativeFormat)

    def _make_bands_ahead(self) -> None:
        """Where Qt prints in raster bands (no CUPS), have them made while the resident reads the
        preview, so 「印刷」 only hands them to the spooler (rasterprint.BandsAhead)."""
        from dxdesk.forms.printing import PrintError

        try:
            printer = self._likely_printer()
            job = self._job_for(printer) if printer is not None else None
        except (PrintError, VisitError) as exc:  # printing reports it when the clerk prints
            log.info("print step: no bands made ahead: %s", exc)
            return
        except Exception as exc:  # noqa: BLE001 - only a head start: printing draws the visit again and reports
            log.warning("print step: no bands made ahead: %s", exc)
            return
        if printer is not None and job is not None and not job.to_cups:
            self.preview.make_bands_ahead(job.document.pdf, printer)

    def print_all(self) -> int:
        """Print on the printer the clerk chooses, with that printer's calibration: on CUPS the PDF
        itself goes to the spooler (vector, true size); elsewhere Qt prints it in raster bands."""
        from dxdesk.forms.printing import PrintError, submit_pdf

        if self.document is None or self.payload is None:
            return 0
        factory: Callable | None = self.services.printer_factory
        printer = factory() if factory is not None else self.preview.choose_printer()
        if printer is None:
            self.status.setText(tr("印刷していません。プリンタを確認するか、PDFとして保存してください。受付はそのまま続けられます。"))
            return 0
        try:
            job = self._job_for(printer)
            if job.to_cups:
                submit_pdf(job.document.pdf, job.printer, printer.copyCount(), "dxdesk")
                pages = self.preview.page_count() * printer.copyCount()
                self.preview.printed.emit(pages)
                return pages
        except (PrintError, VisitError) as exc:
            set_error(self.error, exc.message.text())
            return 0
        pages = self.preview.print_document(printer, job.document.pdf)
        if pages == 0:
            self.status.setText(tr("印刷していません。プリンタを確認するか、PDFとして保存してください。受付はそのまま続けられます。"))
            self.print_button.setText(tr("印刷をやり直す（Ctrl+P）"))
        return pages

    def _on_printed(self, pages: int) -> None:
        if self.document is None:
            return
        show_message(self.status, tr("印刷しました（{pages} ページ）。").format(pages=pages), "ok")
        # A jam or a page taken by someone else: the same forms once more, without leaving the step.
        self.print_button.setText(tr("もう一度印刷（Ctrl+P）"))
        self.printed.emit(self.document.forms, pages)

    def focus_first(self) -> None:
        (self.print_button if self.print_button.isEnabled() else self.done_button).setFocus()

    def clear(self) -> None:
        self.preview.unload()  # the resident's forms and their print bands are not kept past the visit
        self.document = None
        self.payload = None
        self.visit = None
        self.status.setText("")
        set_role(self.status, "hint")
