"""Filling a town's own PDF form: draw the data-only overlay and merge it with pypdf."""
from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from dxdesk.errors import DetailedError


class OverlayError(DetailedError):
    """The town's PDF cannot be used; the message says why (English)."""

    ja_lead = "帳票の元になる PDF を使えません。帳票を管理している担当者に連絡してください"


def merge_onto(base_pdf: Path | bytes, overlay_pdf: bytes, tolerance_pt: float = 3.0) -> bytes:
    """Stamp each overlay page onto the same page of the town's PDF and return the result.

    The overlay is drawn in the template's page size; a base page of another size means
    the template does not belong to this PDF, so it is refused rather than misprinted.
    """
    try:
        base = PdfReader(io.BytesIO(base_pdf) if isinstance(base_pdf, bytes) else str(base_pdf))
        pages = list(base.pages)
    except (OSError, PdfReadError, ValueError) as exc:
        raise OverlayError(f"cannot read the form PDF {base_pdf if isinstance(base_pdf, Path) else ''}: {exc}") from exc
    overlay = PdfReader(io.BytesIO(overlay_pdf))
    if len(overlay.pages) > len(pages):
        raise OverlayError(f"the template has {len(overlay.pages)} page(s) but the PDF has {len(pages)}")
    writer = PdfWriter(clone_from=base)  # pypdf merges only into pages owned by a writer
    for i, page in enumerate(writer.pages):
        if i < len(overlay.pages):
            over = overlay.pages[i]
            bw, bh = float(page.mediabox.width), float(page.mediabox.height)
            ow, oh = float(over.mediabox.width), float(over.mediabox.height)
            if abs(bw - ow) > tolerance_pt or abs(bh - oh) > tolerance_pt:
                raise OverlayError(
                    f"page {i + 1} is {bw / 72 * 25.4:.0f}x{bh / 72 * 25.4:.0f} mm but the template is "
                    f"{ow / 72 * 25.4:.0f}x{oh / 72 * 25.4:.0f} mm")
            page.merge_page(over)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
