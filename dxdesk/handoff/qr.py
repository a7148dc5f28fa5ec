"""The hand-off record as a QR code in the corner a form template reserves (``[qr]``; docs/handoff.md).

Payload format ``DXQR1`` (UTF-8, byte mode), one code or two::

    DXQR1 <part>/<parts> <form_id> <form_version> <visit_id> <checksum>
    <chunk>

The chunks, joined in part order, are the record's ``fields`` as compact JSON (template order, no
ASCII escaping); ``checksum`` is the record's (CRC-32 of ``[form_id, form_version, visit_id, fields]``),
so a scanner checks the joined text exactly as it checks a JSON record. Capacity: a code must keep its
modules at least :data:`MIN_MODULE_MM` wide to scan from paper, which bounds its version for the corner's
size; a record too long for one code is split across two, and one too long for two is left out, with
「QRコード省略」 printed in the corner so nobody looks for it. Drawn with ReportLab's own QR code
(``reportlab.graphics.barcode.qr``), no fonts involved.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.qr import QrCode
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from dxdesk.forms.template import FormTemplate, QrCorner
from dxdesk.handoff.record import HandoffRecord, checksum

MAGIC = "DXQR1"
MAX_PARTS = 2
MIN_MODULE_MM = 0.25  # a module narrower than this does not survive an office printer and a phone camera
QUIET_MODULES = 4  # the quiet zone around a code, in modules (the QR standard's minimum)
# Error correction: M (~15% of a code may be smudged or folded) unless only L (~7%) lets the record fit.
LEVELS = ("M", "L")
OMITTED_NOTE = "QRコード省略（記載内容が多いため）"  # i18n: ja-only (printed on a Japanese form)


class PayloadError(ValueError):
    """A scanned text is not a (complete, undamaged) DXQR1 record."""


@dataclass(frozen=True)
class Decoded:
    form_id: str
    form_version: str
    visit_id: str
    checksum: str
    fields: dict[str, object]


def body(record: HandoffRecord) -> str:
    return json.dumps(record.fields, ensure_ascii=False, separators=(",", ":"))


def _header(record: HandoffRecord, part: int, parts: int) -> str:
    return f"{MAGIC} {part}/{parts} {record.form_id} {record.form_version} {record.visit_id} {record.checksum}\n"


def max_modules(corner: QrCorner) -> int:
    """The most modules a code may have in this corner and still scan (quiet zone included in the size)."""
    return int(corner.size / MIN_MODULE_MM) - 2 * QUIET_MODULES


def module_count(text: str, level: str = "M") -> int:
    """Modules per side of the smallest code holding ``text`` (raises ValueError past version 40)."""
    code = qrencoder.QRCode(None, getattr(qrencoder.QRErrorCorrectLevel, level))
    code.addData(text)
    code.make()
    return int(code.getModuleCount())  # type: ignore[no-untyped-call]  # untyped in types-reportlab


def _fits(text: str, limit: int, level: str) -> bool:
    try:
        return module_count(text, level) <= limit
    except Exception:  # noqa: BLE001 - ReportLab's encoder raises a bare Exception past version 40
        return False


def payloads(record: HandoffRecord, corner: QrCorner) -> tuple[list[str], str] | None:
    """(code texts, error-correction level) for ``record`` in ``corner``: one code, or two halves; None when
    two cannot hold it. Fewer codes first, then the stronger correction."""
    limit = max_modules(corner)
    text = body(record)
    for parts in range(1, MAX_PARTS + 1):
        step = -(-len(text) // parts)
        chunks = [text[i * step:(i + 1) * step] for i in range(parts)]
        codes = [_header(record, i + 1, parts) + chunk for i, chunk in enumerate(chunks)]
        for level in LEVELS:
            if all(_fits(code, limit, level) for code in codes):
                return codes, level
    return None


def decode(texts: list[str]) -> Decoded:
    """Join and check scanned code texts (any order); PayloadError if a part is missing or damaged."""
    parts: dict[int, tuple[list[str], str]] = {}
    for text in texts:
        head, sep, chunk = text.partition("\n")
        words = head.split(" ")
        if not sep or len(words) != 6 or words[0] != MAGIC:
            raise PayloadError(f"not a {MAGIC} code")
        index, _, total = words[1].partition("/")
        parts[int(index)] = (words, chunk)
    heads = {tuple(words[1:][1:]) for words, _ in parts.values()}
    totals = {words[1].partition("/")[2] for words, _ in parts.values()}
    if len(heads) != 1 or len(totals) != 1 or sorted(parts) != list(range(1, int(totals.pop()) + 1)):
        raise PayloadError("the codes are not all the parts of one record")
    form_id, form_version, visit_id, expected = heads.pop()
    fields = json.loads("".join(parts[i][1] for i in sorted(parts)))
    if checksum(form_id, form_version, visit_id, fields) != expected:
        raise PayloadError("record checksum does not match its contents")
    return Decoded(form_id, form_version, visit_id, expected, fields)


def draw_record_qr(c: Canvas, template: FormTemplate, record: HandoffRecord) -> int:
    """Draw ``record``'s code(s) in ``template``'s corner on the current page; returns how many (0: the note)."""
    corner = template.qr
    if corner is None:
        return 0
    fitted = payloads(record, corner)
    top = (template.height_mm - corner.y) * mm  # the corner's top edge, in points from the page bottom
    if fitted is None:
        from dxdesk.forms.glyphs import font_name

        c.saveState()
        c.setFont(font_name("gothic"), 7)
        c.drawString(corner.x * mm, top - 4 * mm, OMITTED_NOTE)
        c.restoreState()
        return 0
    codes, level = fitted
    side = corner.size * mm
    for i, text in enumerate(codes):
        # ReportLab's QR flowable draws filled rectangles straight on the canvas (its Drawing widget would
        # go through renderPDF, which starts every drawing in unembedded Helvetica).
        code = QrCode(text, width=side, height=side, qrBorder=QUIET_MODULES, qrLevel=level)
        code.drawOn(c, (corner.x + i * (corner.size + corner.gap)) * mm, top - side)
    return len(codes)
