"""Render docs/screenshots/counter/08-identify-face-photo.png: the identify step's face check (issue #18).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/counter/make_screenshot_facecheck.py [OUT_DIR]

Training mode, the fictional card with its drawn face; the card expired (flagged) so the renewal shows.
"""
from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

from PySide6.QtGui import QPainter, QPixmap

from make_screenshots import ROOT, counter_harness, create_application, register_fonts, ui_font, wait_for

from dxdesk.cardreader.simcard import SimulatedCard
from dxdesk.cardreader.simvisual import validity_preset
from dxdesk.cardreader.testdata import PERSON_KOKUTOU


def render(out: Path) -> Path:
    app = create_application(sys.argv)
    register_fonts()
    app.setFont(ui_font(12))
    out.mkdir(parents=True, exist_ok=True)
    kit = counter_harness.make_kit(Path(tempfile.mkdtemp()))
    card = SimulatedCard.from_person(PERSON_KOKUTOU, card_expiry=validity_preset("expired", dt.date(2026, 4, 1)))
    kit.card_service.card = kit.card_service._sim_card = card
    page = kit.page
    page.show()
    page.start_visit(["juminhyo"])
    wait_for(app, lambda: "3 回" in page.identify.tries_label.text())
    page.identify.read_with_code_b(card.code_b)
    wait_for(app, lambda: page.identify.face_dialog is not None and page.identify.face_dialog.isVisible())
    dialog = page.identify.face_dialog
    dialog.adjustSize()
    app.processEvents()
    # The clerk's screen as seen: the identify step with the dialog centred over it.
    shot = page.grab()
    over = dialog.grab()
    painter = QPainter(shot)
    painter.fillRect(shot.rect(), QPixmap(1, 1).toImage().pixelColor(0, 0).fromRgb(0, 0, 0, 90))
    painter.drawPixmap((shot.width() - over.width()) // 2, (shot.height() - over.height()) // 2, over)
    painter.end()
    path = out / "08-identify-face-photo.png"
    shot.save(str(path))
    dialog.reject()
    kit.close()
    return path


if __name__ == "__main__":
    print(render(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots" / "counter"))
