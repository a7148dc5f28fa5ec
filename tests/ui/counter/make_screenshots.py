"""Render docs/screenshots/counter/*.png (1280x800) from a real CounterPage in training mode (fictional card).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/counter/make_screenshots.py [OUT_DIR]
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Training mode (研修モード): the counter reads only the fictional card, and the screens say so.
os.environ["DXDESK_TRAINING"] = "1"
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[2]))  # tests/: the shared fakeclock helper

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

import counter_harness  # noqa: E402
from dxdesk.ui.app import create_application  # noqa: E402
from dxdesk.ui.qtfonts import register_fonts, ui_font  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]


def wait_for(app: QApplication, condition, timeout_ms: int = 15000) -> None:
    """Run the event loop until ``condition()`` holds (background results arrive through it)."""
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: loop.quit() if condition() else None)
    QTimer.singleShot(timeout_ms, loop.quit)
    timer.start()
    loop.exec()
    timer.stop()
    if not condition():
        raise RuntimeError("timed out waiting for the counter page")


def grab(widget: QWidget, path: Path) -> Path:
    QApplication.processEvents()
    widget.grab().save(str(path))
    return path


def render(out: Path) -> list[Path]:
    app = create_application(sys.argv)  # the app-wide theme, as the real app has it
    register_fonts()
    app.setFont(ui_font(12))
    out.mkdir(parents=True, exist_ok=True)
    kit = counter_harness.make_kit(Path(tempfile.mkdtemp()))
    page = kit.page
    page.show()
    shots = []
    start = page.start
    for i in range(start.list.count()):
        if start.list.item(i).data(256) in ("tennyu", "kokuho_kanyu"):
            start.list.item(i).setCheckState(start.list.item(i).checkState().Checked)
    start.search.setText("")
    shots.append(grab(page, out / "01-procedures.png"))

    page.start_visit(["juminhyo", "inkan_shomei"])
    wait_for(app, lambda: "3 回" in page.identify.tries_label.text())
    page.identify.read_with_pin()
    wait_for(app, lambda: page.identify.pin_dialog is not None and page.identify.pin_dialog.isVisible())
    dialog = page.identify.pin_dialog
    dialog.pad.press("1")
    dialog.pad.press("2")
    shots.append(grab(page, out / "02-identify.png"))
    shots.append(grab(dialog, out / "03-pin-pad.png"))
    for d in "34":
        dialog.pad.press(d)
    dialog.pad.submit()
    wait_for(app, lambda: page.current_step() == "interview")

    page.interview.kana.setText("こくとう　みきや")
    page.interview.commit_kana()
    answers = {"juminhyo_copies": 2, "scope": "household", "juminhyo_purpose": "bank", "requester": "self",
               "submit_to": "北海道銀行", "inkan_visitor": "self", "has_inkan_card": True, "inkan_card_number": "1234567",
               "inkan_copies": 1, "inkan_purpose": "vehicle"}
    for qid, value in answers.items():
        page.visit.answer(qid, value)
    page.interview.load(page.visit)
    shots.append(grab(page, out / "04-interview.png"))

    page.next()
    resident = page.confirm
    resident.show_resident_window()
    window = resident.resident_window or resident.resident_overlay  # one screen (offscreen): the overlay
    window.resize(1280, 800)
    shots.append(grab(page, out / "05-confirm-clerk.png"))
    shots.append(grab(window, out / "06-resident-view.png"))
    page.next()
    wait_for(app, lambda: page.printing.print_button.isEnabled())
    QApplication.processEvents()
    shots.append(grab(page, out / "07-print-preview.png"))
    kit.close()
    return shots


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots" / "counter"
    for path in render(target):
        print(path)
