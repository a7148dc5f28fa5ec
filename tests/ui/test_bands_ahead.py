"""Raster bands made ahead while the resident reads the preview (rasterprint.BandsAhead).

「印刷」 must then print exactly what a fresh print would, use the bands only for the PDF and the
printer format they were made for, keep memory bounded, and forget the bands when told to.
"""
from __future__ import annotations

import logging

import pytest

pytest.importorskip("PySide6.QtPdf")

from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtPrintSupport import QPrinter  # noqa: E402

from dxdesk.ui import rasterprint  # noqa: E402
from dxdesk.ui.forms_preview import FormPreview  # noqa: E402
from dxdesk.ui.rasterprint import BandsAhead, PrintFormat  # noqa: E402
from fileprinter import file_printer  # noqa: E402
from printcompare import raster, visit_forms_pdf  # noqa: E402

pytestmark = pytest.mark.ui
DPI = 150  # enough to compare prints; keeps the tests quick (the bench measures 600 dpi)


@pytest.fixture(scope="module")
def visit_pdf() -> bytes:
    return visit_forms_pdf()


def _printer(out, dpi: int = DPI, colour: bool = True) -> QPrinter:
    return file_printer(out, dpi, colour)


def _made_all(ahead: BandsAhead) -> int:
    steps = 1
    while ahead.step():
        steps += 1
    return steps


def assert_same_print(fresh: bytes, printed: bytes, tmp) -> None:
    """The same pages, pixel for pixel (the PDF files differ in their dates)."""
    want, got = raster(fresh, tmp, "fresh"), raster(printed, tmp, "printed")
    assert len(want) == len(got) == 3
    assert all(a.tobytes() == b.tobytes() for a, b in zip(want, got))


def _pieces(bands) -> list[tuple[int, int, int, int, QImage]]:
    return [(b.page, b.top, p.x, p.y, p.image) for b in bands for p in b.pieces]


def test_bands_made_ahead_are_the_bands_a_fresh_print_makes(qapp, visit_pdf):
    ahead = BandsAhead(visit_pdf, PrintFormat(DPI, True))
    assert _made_all(ahead) > 3 and ahead.finished
    assert _pieces(ahead.made) == _pieces(rasterprint.raster_bands(visit_pdf, DPI))
    assert {b.page for b in ahead.made} == {0, 1, 2}


def test_printing_with_bands_made_ahead_prints_the_whole_visit_and_renders_nothing(
        qapp, visit_pdf, tmp_path, monkeypatch):
    fresh = tmp_path / "fresh.pdf"
    assert rasterprint.render_to_printer(visit_pdf, _printer(fresh)) == 3
    ahead = BandsAhead(visit_pdf, PrintFormat(DPI, True))
    _made_all(ahead)
    monkeypatch.setattr(rasterprint, "raster_bands", lambda *a, **k: pytest.fail("rendered afresh"))
    for name in ("first.pdf", "again.pdf"):  # a reprint (jam, page taken) uses them as well
        out = tmp_path / name
        assert rasterprint.render_to_printer(visit_pdf, _printer(out), ahead) == 3
        assert_same_print(fresh.read_bytes(), out.read_bytes(), tmp_path)


def test_printing_before_all_bands_are_made_finishes_them_in_order(qapp, visit_pdf, tmp_path):
    fresh = tmp_path / "fresh.pdf"
    rasterprint.render_to_printer(visit_pdf, _printer(fresh))
    ahead = BandsAhead(visit_pdf, PrintFormat(DPI, True))
    ahead.step()
    ahead.step()  # 「印刷」 pressed at once: two bands made so far
    made_before = len(ahead.made)
    out = tmp_path / "early.pdf"
    assert rasterprint.render_to_printer(visit_pdf, _printer(out), ahead) == 3
    assert_same_print(fresh.read_bytes(), out.read_bytes(), tmp_path)
    assert ahead.finished and len(ahead.made) > made_before  # the rest were kept for a reprint
    assert not ahead.step()


@pytest.mark.parametrize("change", ["another pdf", "another resolution", "grey"])
def test_bands_made_for_something_else_are_not_used(qapp, visit_pdf, tmp_path, change):
    ahead = BandsAhead(visit_pdf, PrintFormat(DPI, True))
    _made_all(ahead)
    pdf, dpi, colour = visit_pdf, DPI, True
    if change == "another pdf":
        pdf = visit_pdf.replace(b"%%EOF", b"%%EOF\n", 1)  # another document, the same pages
    elif change == "another resolution":
        dpi = 100
    else:
        colour = False
    printer = _printer(tmp_path / "out.pdf", dpi, colour)
    assert not ahead.matches(pdf, PrintFormat.of(printer))
    calls = []
    real = rasterprint.raster_bands

    def counting(*args, **kwargs):
        calls.append(args[1:])
        return real(*args, **kwargs)

    rasterprint.raster_bands, saved = counting, rasterprint.raster_bands
    try:
        assert rasterprint.render_to_printer(pdf, printer, ahead) == 3
    finally:
        rasterprint.raster_bands = saved
    assert calls == [(dpi, colour)]


def test_a_printer_at_1200_dpi_uses_bands_made_at_600(qapp):
    assert PrintFormat.of(_printer("/dev/null", 1200)) == PrintFormat(600, True)
    assert PrintFormat.of(_printer("/dev/null", 600, colour=False)) == PrintFormat(600, False)


def test_memory_stays_bounded_and_a_reprint_past_the_budget_starts_afresh(qapp, visit_pdf, tmp_path):
    one_band = BandsAhead(visit_pdf, PrintFormat(DPI, True))
    one_band.step()
    budget = one_band.kept_bytes + 1  # room for a band or two, not for the visit
    ahead = BandsAhead(visit_pdf, PrintFormat(DPI, True), budget_bytes=budget)
    steps = _made_all(ahead)
    assert steps <= 2 and not ahead.finished  # making ahead stopped at the budget
    largest = max(sum(p.image.sizeInBytes() for p in b.pieces) for b in rasterprint.raster_bands(visit_pdf, DPI))
    assert ahead.kept_bytes < budget + largest
    fresh, out = tmp_path / "fresh.pdf", tmp_path / "out.pdf"
    rasterprint.render_to_printer(visit_pdf, _printer(fresh))
    assert rasterprint.render_to_printer(visit_pdf, _printer(out), ahead) == 3  # the rest made while printing
    assert_same_print(fresh.read_bytes(), out.read_bytes(), tmp_path)
    assert ahead.kept_bytes < budget + largest
    assert not ahead.matches(visit_pdf, PrintFormat(DPI, True))  # not whole: a reprint renders afresh


def test_discarded_bands_are_forgotten(qapp, visit_pdf):
    ahead = BandsAhead(visit_pdf, PrintFormat(DPI, True))
    ahead.step()
    ahead.discard()
    assert ahead.made == [] and ahead.kept_bytes == 0
    assert not ahead.step() and not ahead.matches(visit_pdf, PrintFormat(DPI, True))


def test_the_preview_makes_the_bands_between_events_and_forgets_them(qtbot, visit_pdf, tmp_path, monkeypatch):
    preview = FormPreview()
    qtbot.addWidget(preview)
    assert preview.load_pdf(visit_pdf)
    printer = _printer(tmp_path / "out.pdf")
    preview.make_bands_ahead(visit_pdf, printer)
    ahead = preview.bands_ahead()
    assert ahead is not None and not ahead.made  # nothing made before the event loop turns
    qtbot.waitUntil(lambda: ahead.finished)
    monkeypatch.setattr(rasterprint, "raster_bands", lambda *a, **k: pytest.fail("rendered afresh"))
    with qtbot.waitSignal(preview.printed) as printed:
        assert preview.print_document(printer, visit_pdf) == 3
    assert printed.args == [3]
    preview.load_pdf(visit_pdf)  # another document shown: the bands of the last one are forgotten
    assert preview.bands_ahead() is None and ahead.made == []


def test_a_pdf_that_cannot_be_banded_is_logged_and_printing_still_reports(qtbot, tmp_path, caplog):
    preview = FormPreview()
    qtbot.addWidget(preview)
    with caplog.at_level(logging.WARNING, logger="dxdesk.ui.forms_preview"):
        preview.make_bands_ahead(b"%PDF-1.4 not really", _printer(tmp_path / "out.pdf"))
        qtbot.waitUntil(lambda: preview.bands_ahead() is None)
    assert "could not be made ahead" in caplog.text


def test_a_print_that_fails_part_way_leaves_no_bands_a_reprint_would_take_for_the_whole(qapp, visit_pdf, tmp_path):
    ahead = BandsAhead(visit_pdf, PrintFormat(DPI, True))
    ahead.step()
    real = ahead._source
    assert real is not None

    def failing():
        yield next(real)
        raise MemoryError("no room for the next band")

    ahead._source = failing()
    with pytest.raises(MemoryError):
        rasterprint.render_to_printer(visit_pdf, _printer(tmp_path / "out.pdf"), ahead)
    assert ahead.made == [] and not ahead.matches(visit_pdf, PrintFormat(DPI, True))
    fresh = tmp_path / "again.pdf"  # the reprint renders the whole visit afresh
    assert rasterprint.render_to_printer(visit_pdf, _printer(fresh), ahead) == 3
