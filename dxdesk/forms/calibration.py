"""Per-printer calibration for pre-printed stock, and the test page used to measure it.

The clerk prints the calibration page on the printer, measures with a ruler how far the
crosshair centres are from where the page says they should be, and stores the offset
(and, for printers that stretch, the scale) under the printer's name in the settings:
``[forms.calibrations."PRINTER"] dx_mm, dy_mm, scale_x, scale_y``.
"""
from __future__ import annotations

import io

from dxdesk.config import Calibration, Settings

A4_MM = (210.0, 297.0)
# Crosshair centres (mm from the top-left of the paper).
CROSSHAIRS = ((20.0, 20.0), (190.0, 20.0), (105.0, 148.5), (20.0, 277.0), (190.0, 277.0))


def calibration_for(settings: Settings, printer: str) -> Calibration:
    """The stored calibration for a printer; the identity when none is stored."""
    return settings.forms.calibrations.get(printer, Calibration())


def calibration_page(calibration: Calibration | None = None, printer: str = "") -> bytes:
    """An A4 page with mm rulers along the top and left edges and five crosshairs.

    With a calibration, the marks are drawn through it, so printing again after saving
    the values shows whether they are right (every crosshair at its stated position).
    """
    # Imported here: the drawing (ReportLab, ~0.1 s) is for this page only, and the 管理 page and
    # the counter import this module for calibration_for when they open.
    from reportlab.lib.units import mm

    from dxdesk.forms.glyphs import font_name
    from dxdesk.forms.pdfcanvas import new_canvas
    from dxdesk.forms.render import apply_calibration

    w, h = A4_MM
    gothic = font_name("gothic")
    buf = io.BytesIO()
    c = new_canvas(buf, (w * mm, h * mm))
    c.setTitle("dxdesk calibration page")
    c.saveState()
    if calibration is not None:
        apply_calibration(c, h, calibration)

    def Y(y: float) -> float:
        return (h - y) * mm

    c.setLineWidth(0.25)
    c.setFont(gothic, 6)
    for x in range(0, int(w) + 1):  # top ruler: ticks every mm, longer every 5 and 10
        tick = 6 if x % 10 == 0 else 4 if x % 5 == 0 else 2
        c.line(x * mm, Y(0), x * mm, Y(tick))
        if x % 10 == 0 and 0 < x < w:
            c.drawCentredString(x * mm, Y(9), str(x))
    for y in range(0, int(h) + 1):  # left ruler
        tick = 6 if y % 10 == 0 else 4 if y % 5 == 0 else 2
        c.line(0, Y(y), tick * mm, Y(y))
        if y % 10 == 0 and 0 < y < h:
            c.drawString(7 * mm, Y(y) - 2, str(y))
    c.setLineWidth(0.3)
    for cx, cy in CROSSHAIRS:
        c.line((cx - 8) * mm, Y(cy), (cx + 8) * mm, Y(cy))
        c.line(cx * mm, Y(cy - 8), cx * mm, Y(cy + 8))
        c.circle(cx * mm, Y(cy), 3 * mm)
        c.setFont(gothic, 6)
        c.drawString((cx + 1.5) * mm, Y(cy - 1.5), f"({cx:g}, {cy:g}) mm")
    c.setFont(gothic, 14)
    c.drawCentredString(w / 2 * mm, Y(40), "プリンタ位置調整（キャリブレーション）ページ")
    c.setFont(gothic, 9)
    lines = [
        f"プリンタ: {printer or '（既定のプリンタ）'}",
        "1. このページを「実際のサイズ（100%）」で印刷してください。",
        "2. 各十字の中心から用紙の左端・上端までの距離を定規で測ってください。",
        "3. 表示の位置との差を入力します。右にずれていれば dx がマイナス、下にずれていれば dy がマイナスです。",
        "4. 用紙の上下で差が違うときは倍率（scale）を調整します。保存後にもう一度印刷して確認してください。",
        "Print at 100%. Measure each crosshair centre from the left/top paper edges; enter the",
        "difference as dx/dy (mm; content printed too far right -> negative dx) and the scale if it stretches.",
    ]
    for i, text in enumerate(lines):
        c.drawString(30 * mm, Y(55 + i * 6), text)
    if calibration is not None:
        c.drawString(30 * mm, Y(100), f"適用中の補正: dx={calibration.dx_mm:+.1f} mm  dy={calibration.dy_mm:+.1f} mm  "
                                      f"scale_x={calibration.scale_x:.4f}  scale_y={calibration.scale_y:.4f}")
    c.restoreState()
    c.showPage()
    c.save()
    return buf.getvalue()
