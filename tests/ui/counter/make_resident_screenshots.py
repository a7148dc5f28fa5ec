"""Render docs/screenshots/counter/1366/resident-*.png and pinpad-*.png: the resident's screens at 1366×728
(1366×768 less the Windows taskbar), from a real CounterPage in training mode (fictional card).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/counter/make_resident_screenshots.py [OUT_DIR]
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["DXDESK_TRAINING"] = "1"
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[2]))

from PySide6.QtWidgets import QApplication  # noqa: E402

import counter_harness  # noqa: E402
from dxdesk import i18n  # noqa: E402
from dxdesk.counter import VisitStep  # noqa: E402
from dxdesk.counter.residentview import default_glossary, resident_sections  # noqa: E402
from dxdesk.ui.app import create_application  # noqa: E402
from dxdesk.ui.counter.resident import ResidentView  # noqa: E402
from dxdesk.ui.qtfonts import register_fonts, ui_font  # noqa: E402
from make_screenshots import grab, wait_for  # noqa: E402
from resident_helpers import JUMINHYO_ANSWERS, TENNYU_ANSWERS  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
SIZE = (1366, 728)


def enter_pin(app, page, pin: str) -> None:
    page.identify.read_with_pin()
    wait_for(app, lambda: page.identify.pin_dialog is not None and page.identify.pin_dialog.isVisible())
    pad = page.identify.pin_dialog.pad
    for digit in pin:
        pad.press(digit)
    pad.submit()


def visit_at_confirm(app, tmp: Path):
    kit = counter_harness.make_kit(tmp)
    page = kit.page
    page.resize(*SIZE)
    page.show()
    page.start_visit(["tennyu", "juminhyo"])
    wait_for(app, lambda: page.identify.tries_left == 3)
    enter_pin(app, page, "1234")
    wait_for(app, lambda: page.current_step() == VisitStep.INTERVIEW.value)
    for qid, value in {**TENNYU_ANSWERS, **JUMINHYO_ANSWERS}.items():
        page.visit.answer(qid, value)
    page.visit.set_name_kana("こくとう　みきや")
    page.interview.load(page.visit)
    page.next()
    return kit


def resident_pages(app, kit, out: Path, prefix: str) -> list[Path]:
    view = ResidentView()
    view.resize(*SIZE)
    view.show_items(resident_sections(kit.page.visit, default_glossary()))
    view.show()
    QApplication.processEvents()
    shots = []
    for i in range(view.page_count()):
        if i in (0, 1, view.page_count() - 1):
            shots.append(grab(view, out / f"{prefix}-page{i + 1}.png"))
        view.next_page()
    view.close()
    return shots


def pinpad_shots(app, out: Path) -> list[Path]:
    """The pad (3 tries), after one wrong PIN (the resident's notice), and the pad at 2 tries."""
    from dxdesk.ui.counter.pinpad import PinPadDialog, WrongPinNotice

    shots = []
    pad = PinPadDialog(3, simulated=True)
    pad.resize(pad.sizeHint().expandedTo(pad.minimumSizeHint()))
    pad.show()
    pad.pad.press("1")
    pad.pad.press("2")
    shots.append(grab(pad, out / "pinpad-1366.png"))
    pad.close()
    notice = WrongPinNotice(2)
    notice.resize(900, min(notice.sizeHint().height(), 688))
    notice.show()
    shots.append(grab(notice, out / "pinpad-wrong-pin-notice.png"))
    notice.close()
    low = PinPadDialog(2, simulated=True)
    low.resize(low.sizeHint().expandedTo(low.minimumSizeHint()))
    low.show()
    shots.append(grab(low, out / "pinpad-two-tries-left.png"))
    low.close()
    return shots


def render(out: Path) -> list[Path]:
    app = create_application(sys.argv)
    register_fonts()
    app.setFont(ui_font(12))
    out.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = pinpad_shots(app, out)
    kit = visit_at_confirm(app, Path(tempfile.mkdtemp()))
    shots += resident_pages(app, kit, out, "resident")
    # The clerk's confirm step itself: 16-confirm-ja.png (tests/ui/fit/make_counter_shots.py).
    kit.close()
    i18n.set_language("en")
    try:
        kit = visit_at_confirm(app, Path(tempfile.mkdtemp()))
        shots += resident_pages(app, kit, out, "resident-en")
        kit.close()
    finally:
        i18n.set_language("ja")
    return shots


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots" / "counter" / "1366"
    for path in render(target):
        print(path)
