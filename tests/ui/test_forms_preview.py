"""FormPreview: loads a generated form PDF, zooms, navigates, prints, and handles 'no printer'."""
from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter

pytest.importorskip("PySide6.QtPdfWidgets")

from PySide6.QtPrintSupport import QPrinter, QPrinterInfo  # noqa: E402

from dxdesk.forms import FormData, fill_form  # noqa: E402
from dxdesk.ui import forms_preview  # noqa: E402
from dxdesk.ui.forms_preview import MSG_NO_PRINTER, FormPreview  # noqa: E402

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def two_page_pdf() -> bytes:
    data = FormData(card={"name": "吉田\u3000花子", "address": "サンプル町大町1-2-3", "birth_date": "1950-04-01"})
    writer = PdfWriter()
    for form in ("juminhyo_request", "guide_sheet"):
        for page in PdfReader(io.BytesIO(fill_form(form, data.with_computed()).pdf)).pages:
            writer.add_page(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def preview(qtbot, two_page_pdf):
    w = FormPreview()
    qtbot.addWidget(w)
    w.resize(800, 900)
    w.show()
    assert w.load_pdf(two_page_pdf)
    return w


def test_loads_pages_and_navigates(preview):
    assert preview.page_count() == 2
    assert preview.page_label.text() == "1 / 2 ページ"
    assert not preview.prev_button.isEnabled()
    preview.next_page()
    assert preview.current_page() == 1
    assert preview.page_label.text() == "2 / 2 ページ"
    assert not preview.next_button.isEnabled()
    preview.previous_page()
    assert preview.current_page() == 0


def test_zoom_in_out_and_fit(preview):
    preview.zoom_in()
    z1 = preview.zoom_factor()
    preview.zoom_in()
    assert preview.zoom_factor() == pytest.approx(z1 * 1.25)
    preview.zoom_out()
    assert preview.zoom_factor() == pytest.approx(z1)
    preview.fit()
    assert preview.view.zoomMode() == preview.view.ZoomMode.FitInView


def test_no_printer_shows_japanese_message_and_saves(preview, qtbot, monkeypatch, tmp_path, two_page_pdf):
    monkeypatch.setattr(QPrinterInfo, "availablePrinters", staticmethod(lambda: []))
    asked = []
    yes = forms_preview.QMessageBox.StandardButton.Yes
    monkeypatch.setattr(forms_preview.QMessageBox, "question", staticmethod(lambda _p, _t, text: asked.append(text) or yes))
    target = tmp_path / "saved.pdf"
    monkeypatch.setattr(forms_preview.QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    with qtbot.waitSignal(preview.message, timeout=2000) as msg, qtbot.waitSignal(preview.saved, timeout=2000):
        assert preview.print_document() == 0
    assert msg.args[0] == MSG_NO_PRINTER.ja and asked == [MSG_NO_PRINTER.ja]
    assert "プリンタが見つかりません" in asked[0]
    assert target.read_bytes() == two_page_pdf  # the document is never lost


def test_prints_every_page_to_a_pdf_printer(preview, qtbot, tmp_path):
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setResolution(150)
    out = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(out))
    with qtbot.waitSignal(preview.printed, timeout=10000) as sig:
        preview.print_document(printer)
    assert sig.args == [2]
    assert len(PdfReader(str(out)).pages) == 2


def test_bad_pdf_reports_instead_of_crashing(qtbot):
    w = FormPreview()
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.message, timeout=2000):
        assert not w.load_pdf(b"not a pdf")
    assert w.page_count() == 0


def test_printing_bands_add_up_to_the_whole_page_within_the_memory_bound(preview, two_page_pdf):
    from PySide6.QtGui import QColor, QImage, QPainter

    from dxdesk.ui import rasterprint

    dpi = 120
    width = round(preview.document.pagePointSize(0).width() / 72 * dpi)
    bands = [(b.top, b.image) for b in rasterprint.raster_bands(two_page_pdf, dpi, band_bytes=4 * width * 100)
             if b.page == 0]  # 100 rows a band
    assert len(bands) > 5 and all(b.height() <= 100 and b.sizeInBytes() <= 4 * width * 100 for _, b in bands)
    assert all(b.format() == QImage.Format.Format_Grayscale8 for _, b in bands)  # opaque: no alpha to spool
    [full, _second] = [b.image for b in rasterprint.raster_bands(two_page_pdf, dpi, band_bytes=1 << 40)]
    joined = QImage(full.size(), QImage.Format.Format_Grayscale8)
    joined.fill(QColor("white"))
    painter = QPainter(joined)
    for top, band in bands:
        painter.drawImage(0, top, band)
    painter.end()
    differing = sum(1 for y in range(0, full.height(), 3) for x in range(0, width, 3)
                    if abs(QColor(full.pixel(x, y)).red() - QColor(joined.pixel(x, y)).red()) > 64)
    assert differing < 0.001 * (width // 3) * (full.height() // 3)
    assert QColor(full.pixel(2, 2)).red() == 255  # the paper is white, not transparent black
