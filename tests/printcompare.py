"""Comparing what a print queue captured with the PDF dxdesk filled: pages, page size, rasterised pictures."""
from __future__ import annotations

import io
import json
import subprocess
from datetime import date
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter
from pypdf import PdfReader

DPI = 100
RESIDENT = Path(__file__).parent / "forms" / "data" / "resident.json"


def visit_forms_pdf() -> bytes:
    """A counter visit's three forms (label cells in light grey, 𠮷 and 𩸽 in the name)."""
    from dxdesk.app.formpdf import FormsPayload, render_visit_pdf

    raw = json.loads(RESIDENT.read_text(encoding="utf-8"))
    raw["card"].update({"family_name": "𠮷田", "given_name": "𩸽子", "name": "𠮷田\u3000𩸽子"})
    forms = ("juminhyo_request", "inkan_request", "guide_sheet")
    payload = FormsPayload(forms, {f: raw for f in forms if f != "guide_sheet"}, raw, date(2025, 4, 1))
    return render_visit_pdf(payload).pdf


def pages(pdf: bytes) -> list[tuple[float, float]]:
    return [(round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1))
            for p in PdfReader(io.BytesIO(pdf)).pages]


def raster(pdf: bytes, tmp: Path, name: str, dpi: int = DPI) -> list[Image.Image]:
    src = tmp / f"{name}.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(src), str(tmp / name)], check=True)
    return [Image.open(p).convert("L") for p in sorted(tmp.glob(f"{name}-*.pgm"))]


def _unmatched(a: Image.Image, b: Image.Image) -> int:
    """Ink in ``a`` (darker than mid-grey) with no ink in ``b`` within one pixel. A hairline that one
    renderer puts on one pixel row may be split over two lighter rows by the other, so ``b`` counts
    as inked from a lighter grey (192)."""
    ink_a = a.point(lambda v: 255 if v < 128 else 0)
    near_b = b.filter(ImageFilter.MinFilter(3)).point(lambda v: 255 if v < 192 else 0)
    missing = ImageChops.subtract(ink_a, near_b)
    return missing.histogram()[255]


def _differing_fraction(a: Image.Image, b: Image.Image) -> float:
    """Share of pixels inked in one picture and not within a pixel in the other: the renderers
    (poppler for the filled PDF, Ghostscript inside cups-pdf) round thin lines to different pixels."""
    assert abs(a.size[0] - b.size[0]) <= 1 and abs(a.size[1] - b.size[1]) <= 1
    common = (0, 0, min(a.size[0], b.size[0]), min(a.size[1], b.size[1]))
    a, b = a.crop(common), b.crop(common)
    return (_unmatched(a, b) + _unmatched(b, a)) / (a.size[0] * a.size[1])


def assert_same_print(filled: bytes, captured: bytes, tmp: Path) -> None:
    # Ghostscript (inside cups-pdf) writes whole-point media boxes: A4 595.3x841.9 comes out 595x842.
    assert len(pages(captured)) == len(pages(filled))
    for got, want in zip(pages(captured), pages(filled), strict=True):
        assert abs(got[0] - want[0]) <= 1 and abs(got[1] - want[1]) <= 1, (got, want)
    for want, got in zip(raster(filled, tmp, "filled"), raster(captured, tmp, "captured"), strict=True):
        assert _differing_fraction(want, got) < 0.0005
