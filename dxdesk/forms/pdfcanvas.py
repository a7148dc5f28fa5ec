"""A ReportLab canvas whose PDF is right inside: every font embedded, non-BMP text extractable.

Two ReportLab defaults make a filled form wrong for search, copy, screen readers and archiving:

- **ToUnicode above U+FFFF.** ReportLab writes each subset's ToUnicode CMap entry as
  ``<%04X>`` of the code point, so 𠮷 (U+20BB7) becomes the five hex digits ``<20BB7>``; a
  CMap destination is UTF-16BE, so readers take ``20BB`` and extract ₻. :func:`to_unicode_cmap`
  writes the UTF-16 surrogate pair (``<D842DFB7>``) instead; :func:`install_to_unicode_fix`
  puts it in place of ReportLab's function (looked up as a module global at save time).
- **The initial page font.** Every page stream starts with ``BT /F1 12 Tf ... ET`` in the
  canvas's initial font, Helvetica by default, which is referenced but never embedded (so
  pdffonts lists it and PDF/A refuses it). :func:`new_canvas` starts pages in an embedded font.
"""
from __future__ import annotations

import threading
from typing import IO, Any

from reportlab.pdfbase import ttfonts
from reportlab.pdfgen import canvas as rl_canvas

from dxdesk.forms.glyphs import font_name

_lock = threading.Lock()
_installed = False


def _utf16_hex(code_point: int) -> str:
    """The UTF-16BE code units of a code point as CMap hex (a surrogate pair above U+FFFF)."""
    return chr(code_point).encode("utf-16-be", "surrogatepass").hex().upper()


def to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """ReportLab's ``makeToUnicodeCMap`` (same structure, same arguments) with UTF-16 destinations.

    ``subset[i]`` is the Unicode code point drawn by the one-byte code ``i`` of that subset.
    """
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        f"<< /Registry ({fontname})",
        f"/Ordering ({fontname})",
        "/Supplement 0",
        ">> def",
        f"/CMapName /{fontname} def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>",
        "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *(f"<{i:02X}> <{_utf16_hex(v)}>" for i, v in enumerate(subset)),
        "endbfchar",
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ]
    return "\n".join(lines)


def install_to_unicode_fix() -> None:
    """Make every TrueType subset ReportLab writes in this process carry UTF-16 ToUnicode entries.

    Process-wide on purpose: the support report and the recovery sheet embed the same fonts and
    deserve the same text layer. Idempotent; the replacement keeps ReportLab's signature.
    """
    global _installed
    with _lock:
        if not _installed:
            ttfonts.makeToUnicodeCMap = to_unicode_cmap
            _installed = True


def new_canvas(out: IO[bytes] | str, pagesize: tuple[float, float] | None = None, **kwargs: Any) -> rl_canvas.Canvas:
    """A canvas for a filled form: invariant output, compressed pages, every page starting in an
    embedded font (BIZ UD Mincho) instead of ReportLab's unembedded Helvetica."""
    install_to_unicode_fix()
    kwargs.setdefault("invariant", 1)
    kwargs.setdefault("pageCompression", 1)
    if pagesize is not None:
        kwargs["pagesize"] = pagesize
    # (the stubs type initialFontName as a float; ReportLab takes a font name)
    return rl_canvas.Canvas(out, initialFontName=font_name("mincho"), **kwargs)  # type: ignore[arg-type]
