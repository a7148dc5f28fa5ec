"""Render docs/screenshots/en/counter.png: the identify step of a real CounterPage in English (1280x800).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/counter/make_screenshot_en.py [OUT_FILE]
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

import counter_harness  # noqa: E402
from make_screenshots import ROOT, grab, wait_for  # noqa: E402

from dxdesk import i18n  # noqa: E402
from dxdesk.ui.app import create_application  # noqa: E402
from dxdesk.ui.qtfonts import register_fonts, ui_font  # noqa: E402


def render(out: Path) -> Path:
    i18n.set_language("en")  # before any widget exists: texts are translated when they are set
    app = create_application(sys.argv)
    register_fonts()
    app.setFont(ui_font(12))
    out.parent.mkdir(parents=True, exist_ok=True)
    kit = counter_harness.make_kit(Path(tempfile.mkdtemp()))
    page = kit.page
    page.show()
    page.start_visit(["juminhyo", "inkan_shomei"])
    wait_for(app, lambda: "PIN attempts left: 3" in page.identify.tries_label.text())
    shot = grab(page, out)
    kit.close()
    return shot


if __name__ == "__main__":
    print(render(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots" / "en" / "counter.png"))
