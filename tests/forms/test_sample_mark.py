"""研修モード: 「見本」 on every page of every printed form, found in the PDF's text and seen in its pixels."""
from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas

from dxdesk import training
from dxdesk.forms.data import FormData
from dxdesk.forms.registry import find_template
from dxdesk.forms.glyphs import font_name
from dxdesk.forms.render import draw_form, render_form

poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                             reason="poppler-utils not installed")

# The pages of one counter visit, printed as one job (what the counter's print step renders).
VISIT_FORMS = ("juminhyo_request", "inkan_request", "guide_sheet")


def _visit_pdf() -> bytes:
    font_name("mincho")
    buf = io.BytesIO()
    c = rl_canvas.Canvas(buf, invariant=1)
    for form_id in VISIT_FORMS:
        template = find_template(form_id)
        c.setPageSize((template.width_mm * mm, template.height_mm * mm))
        data = FormData.from_dict({}).with_computed(today=date(2026, 4, 1), municipality="サンプル町")
        draw_form(c, template, data, "plain")
    c.save()
    return buf.getvalue()


def page_texts(pdf: Path) -> list[str]:
    """pdftotext of each page (form feeds separate the pages)."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True,
                          text=True, timeout=60).stdout
    return [page for page in text.split("\f") if page.strip()]


def large_mark_pages(pdf: Path) -> list[bool]:
    """Per page: are 見 and 本 there as large characters (the diagonal mark; text tools split it)?"""
    import re

    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True,
                          text=True, timeout=60).stdout
    found = []
    for page in bbox.split("<page ")[1:]:
        big = {m.group(3) for m in re.finditer(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]+)</word>', page)
               if float(m.group(2)) - float(m.group(1)) > 100}
        found.append({"見", "本"} <= big)
    return found


def grey_share_across_centre(png: Path) -> float:
    """Share of light-grey pixels (neither paper white nor ink) in the middle band of the page."""
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert not image.isNull()
    w, h = image.width(), image.height()
    grey = total = 0
    for y in range(int(h * 0.35), int(h * 0.65), 2):
        for x in range(int(w * 0.15), int(w * 0.85), 2):
            colour = image.pixelColor(x, y)
            r, g, b = colour.red(), colour.green(), colour.blue()
            total += 1
            if 170 <= r <= 240 and max(r, g, b) - min(r, g, b) <= 12:
                grey += 1
    return grey / total


def rendered_pages(pdf: Path, out: Path) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(out / "page")], check=True, timeout=120)
    return sorted(out.glob("page-*.png"))


@poppler
def test_every_page_of_a_training_visit_says_mihon_in_text_and_pixels(tmp_path):
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(_visit_pdf())
    training.activate()
    sample = tmp_path / "training.pdf"
    sample.write_bytes(_visit_pdf())

    assert len(page_texts(sample)) == len(VISIT_FORMS)
    for text in page_texts(sample):
        assert "見本" in text
    assert large_mark_pages(sample) == [True] * len(VISIT_FORMS)
    assert all("見本" not in text for text in page_texts(plain))  # only training prints it
    assert large_mark_pages(plain) == [False] * len(VISIT_FORMS)

    (tmp_path / "p").mkdir()
    (tmp_path / "t").mkdir()
    plain_pngs, sample_pngs = rendered_pages(plain, tmp_path / "p"), rendered_pages(sample, tmp_path / "t")
    assert len(sample_pngs) == len(VISIT_FORMS)
    for before, after in zip(plain_pngs, sample_pngs):
        # The mark crosses the page centre in light grey: far more grey there than on the plain page.
        assert grey_share_across_centre(after) > grey_share_across_centre(before) + 0.05, after.name


@poppler
def test_a_single_form_and_overlay_mode_carry_the_mark(tmp_path):
    template = find_template("juminhyo_request")
    data = FormData.from_dict({}).with_computed(today=date(2026, 4, 1), municipality="サンプル町")
    training.activate()
    for mode in ("plain", "overlay"):
        pdf = tmp_path / f"{mode}.pdf"
        pdf.write_bytes(render_form(template, data, mode).pdf)
        assert ["見本" in text for text in page_texts(pdf)] == [True]
        assert large_mark_pages(pdf) == [True]
