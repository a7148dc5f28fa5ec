"""Qt's raster print path (Windows): what reaches the print engine is the filled page, at true size.

The bands are handed over as 1-bit strips with 8-bit grey only where the page has grey, and colour only
where it has colour; these tests hold that to "the same picture": pixel for pixel against the grey
band, within tolerance against the former anti-aliased grey bands and against poppler's rendering
of the filled PDF, and a red seal that stays red.
"""
from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat
from pypdf import PdfReader

pytest.importorskip("PySide6.QtPdf")

from PySide6.QtCore import QPoint, QSize  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from dxdesk.ui import rasterprint  # noqa: E402
from fileprinter import file_printer  # noqa: E402
from printcompare import _differing_fraction, pages, raster, visit_forms_pdf  # noqa: E402

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def visit_pdf() -> bytes:
    return visit_forms_pdf()


def _print(pdf: bytes, out: Path, dpi: int, colour: bool = True) -> bytes:
    printer = file_printer(out, dpi, colour)
    assert rasterprint.render_to_printer(pdf, printer) == len(PdfReader(io.BytesIO(pdf)).pages)
    return out.read_bytes()


def _grey_pil(image: QImage, width: int) -> Image.Image:
    grey = image.convertToFormat(QImage.Format.Format_Grayscale8).copy(0, 0, width, image.height())
    return Image.frombuffer("L", (width, grey.height()), bytes(grey.constBits()), "raw", "L", grey.bytesPerLine(), 1)


def test_the_pieces_paint_exactly_the_band_and_most_of_it_as_one_bit(qapp, visit_pdf):
    pieces = {"mono": 0, "grey": 0}
    band_pixels = blank_rows = 0
    for band in rasterprint.raster_bands(visit_pdf, 300):
        assert band.image.format() == QImage.Format.Format_Grayscale8  # the forms have no colour
        width = round(595.2756 / 72 * 300)
        assert band.image.width() >= width
        canvas = QImage(band.image.size(), QImage.Format.Format_Grayscale8)
        canvas.fill(0xFFFFFFFF)
        painter = QPainter(canvas)
        painted_rows = set()
        for piece in band.pieces:
            kind = "mono" if piece.image.format() == QImage.Format.Format_Mono else "grey"
            assert kind == "grey" or piece.image.colorTable() == [0xFF000000, 0xFFFFFFFF]  # as a PDF engine takes it
            pieces[kind] += piece.image.width() * piece.image.height()
            painted_rows.update(range(piece.y, piece.y + piece.image.height()))
            painter.drawImage(QPoint(piece.x, piece.y), piece.image)
        painter.end()
        assert _grey_pil(canvas, width).tobytes() == _grey_pil(band.image, width).tobytes()  # not a pixel lost
        band_pixels += width * band.image.height()
        blank_rows += band.image.height() - len(painted_rows)
    assert pieces["mono"] > 0.5 * band_pixels  # the text and lines go as 1 bit a pixel
    assert 0 < pieces["grey"] < 0.15 * band_pixels  # only the light-grey label cells as 8-bit grey
    assert blank_rows > 0  # blank strips are not painted at all


def _former_page(pdf: bytes, page: int, dpi: int) -> Image.Image:
    """The page as the former banding drew it: anti-aliased, composed on white as 8-bit grey."""
    document = rasterprint.pdf_document(pdf)
    assert document is not None
    size = document.pagePointSize(page)
    width, height = round(size.width() / 72 * dpi), round(size.height() / 72 * dpi)
    rendered = document.render(page, QSize(width, height))
    document.close()
    return _grey_pil(rasterprint.opaque(rendered, False), width)


def _new_page(pdf: bytes, page: int, dpi: int) -> Image.Image:
    bands = [b for b in rasterprint.raster_bands(pdf, dpi) if b.page == page]
    width = round(595.2756 / 72 * dpi)
    whole = Image.new("L", (width, sum(b.image.height() for b in bands)), 255)
    for band in bands:
        whole.paste(_grey_pil(band.image, width), (0, band.top))
    return whole


def test_grey_banding_gives_the_former_raster_within_tolerance(qapp, visit_pdf):
    dpi = 300
    for page in range(3):
        former, new = _former_page(visit_pdf, page, dpi), _new_page(visit_pdf, page, dpi)
        assert former.size == new.size
        assert _differing_fraction(former, new) < 0.0005, page  # the same ink, within a pixel
        # At a quarter of the resolution the label cells' grey is the same grey and 1-bit edges
        # differ from anti-aliased ones by part of a pixel only (a lost stroke would be 128 or more).
        small = (former.size[0] // 4, former.size[1] // 4)
        diff = ImageChops.difference(former.resize(small, Image.Resampling.BOX),
                                     new.resize(small, Image.Resampling.BOX)).histogram()
        assert sum(diff[128:]) == 0, page
        assert sum(v * n for v, n in enumerate(diff)) / (small[0] * small[1]) < 2.0, page


@pytest.mark.parametrize("printer_dpi", [300, 1200])  # 1200: rendered at 600, each pixel a 2x2 block
def test_the_printed_visit_is_the_filled_visit_at_true_size(qapp, visit_pdf, tmp_path, printer_dpi):
    dpi = 300
    printed = _print(visit_pdf, tmp_path / "printed.pdf", printer_dpi)
    assert len(pages(printed)) == 3
    for got, want in zip(pages(printed), pages(visit_pdf), strict=True):
        assert abs(got[0] - want[0]) <= 1 and abs(got[1] - want[1]) <= 1, (got, want)  # Qt's A4 is 595x842
    # Compared with poppler's rendering of the filled PDF at the print resolution: the same ink within
    # a pixel (1-bit edges against anti-aliased ones: a tenth of a percent of pixels, all on edges),
    # the ink in the same place (true size, no fit-to-page: the ink's bounding box within a pixel,
    # 0.085 mm), and the light grey of the label cells still there.
    for want, got in zip(raster(visit_pdf, tmp_path, "want", dpi), raster(printed, tmp_path, "got", dpi), strict=True):
        assert _differing_fraction(want, got) < 0.001
        want_ink, got_ink = ImageChops.invert(want).getbbox(), ImageChops.invert(got).getbbox()
        assert want_ink is not None and got_ink is not None
        assert max(abs(a - b) for a, b in zip(want_ink, got_ink)) <= 1, (want_ink, got_ink)
        small = (want.size[0] // 6, want.size[1] // 6)
        want_50, got_50 = want.resize(small, Image.Resampling.BOX), got.resize(small, Image.Resampling.BOX)
        diff = ImageChops.difference(want_50, got_50)
        assert sum(v * n for v, n in enumerate(diff.histogram())) / (small[0] * small[1]) < 3.0  # edges
        # The page's tone: without the label cells' grey (235 on about a tenth of a form) it would be
        # 1 to 2 levels lighter.
        assert abs(ImageStat.Stat(want_50).mean[0] - ImageStat.Stat(got_50).mean[0]) < 0.5


def test_the_raster_resolution_is_the_printers_up_to_600_dpi():
    assert rasterprint.raster_dpi(300) == (300, 1)
    assert rasterprint.raster_dpi(600) == (600, 1)
    assert rasterprint.raster_dpi(1200) == (600, 2)
    assert rasterprint.raster_dpi(720) == (360, 2)


def _seal_pdf() -> bytes:
    """A page with black text, a light-grey cell and a red seal; then a blank page; then text again."""
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4)
    c.setFont("Helvetica", 14)
    c.drawString(72, 760, "dxdesk raster print test")
    c.setFillGray(0.92)
    c.rect(72, 600, 200, 40, stroke=1, fill=1)
    c.setFillColorRGB(0.85, 0.05, 0.05)
    c.circle(400, 400, 30, stroke=0, fill=1)
    c.showPage()
    c.showPage()  # blank
    c.setFillGray(0)
    c.drawString(72, 760, "page three")
    c.showPage()
    c.save()
    return buffer.getvalue()


def _colour_pixel(pdf: bytes, tmp: Path, x_pt: float, y_pt: float) -> tuple[int, int, int]:
    src = tmp / "colour.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "72", "-f", "1", "-l", "1", "-png", str(src), str(tmp / "colour")], check=True)
    [png] = sorted(tmp.glob("colour-*.png"))
    page = Image.open(png).convert("RGB")
    return page.getpixel((round(x_pt), round(page.size[1] - y_pt)))


def test_a_coloured_seal_stays_coloured_and_a_blank_page_is_still_a_page(qapp, tmp_path):
    pdf = _seal_pdf()
    assert rasterprint.coloured_pages(pdf) == {0}
    kinds = {band.image.format() for band in rasterprint.raster_bands(pdf, 300)}
    assert kinds == {QImage.Format.Format_Grayscale8, QImage.Format.Format_RGB32}  # only the seal's band in colour
    printed = _print(pdf, tmp_path / "seal.pdf", 300)
    assert len(PdfReader(io.BytesIO(printed)).pages) == 3
    red, green, blue = _colour_pixel(printed, tmp_path, 400, 400)
    assert red > 180 and green < 60 and blue < 60, (red, green, blue)
    assert len(set(_colour_pixel(printed, tmp_path, 172, 620))) == 1  # the grey cell is grey


def test_a_coloured_mark_far_smaller_than_a_72_dpi_pixel_still_marks_its_page(qapp, visit_pdf):
    assert rasterprint.coloured_pages(visit_pdf) == set()  # the forms: grey only
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4)
    c.showPage()
    c.setStrokeColorRGB(0.8, 0.1, 0.1)
    c.setLineWidth(0.1)  # 0.035 mm: a tenth of a 72-dpi pixel
    c.line(300, 300, 300.5, 300)
    c.showPage()
    c.save()
    assert rasterprint.coloured_pages(buffer.getvalue()) == {1}


def test_a_printer_set_to_grey_gets_the_seal_in_grey(qapp, tmp_path):
    printed = _print(_seal_pdf(), tmp_path / "grey.pdf", 300, colour=False)
    red, green, blue = _colour_pixel(printed, tmp_path, 400, 400)
    assert red == green == blue and red < 200  # printed, as grey



def test_showing_a_preview_imports_the_band_cutter_before_the_first_print(tmp_path):
    """In a fresh process (this one has pypdf already): the clerk's first 「印刷」 does not wait for it."""
    script = """
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
import io
from reportlab.pdfgen.canvas import Canvas
from dxdesk.ui import rasterprint
from dxdesk.ui.forms_preview import FormPreview
out = io.BytesIO()
c = Canvas(out)
c.drawString(72, 720, "dxdesk")
c.save()
pdf = out.getvalue()
assert "pypdf" not in sys.modules, "imported too early"
FormPreview().load_pdf(pdf)
rasterprint.warm_up().join(60)
print("pypdf" in sys.modules)
"""
    import os
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DXDESK_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120,
                          cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "True"
