"""Render docs/screenshots/support/{entry,list,reports,reports-classes}.png (1280x800, sample data).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/support/make_screenshots.py [OUT_DIR]
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).parent))

from PySide6.QtWidgets import QApplication, QScrollArea  # noqa: E402

import support_ui_sample as sample  # noqa: E402
from dxdesk.ui.app import create_application  # noqa: E402
from dxdesk.config import Settings, SupportSettings  # noqa: E402
from dxdesk.ui.main_window import MainWindow, PageSpec  # noqa: E402
from dxdesk.ui.qtfonts import register_fonts, ui_font  # noqa: E402
from dxdesk.ui.support import SupportPage  # noqa: E402


def _settle(app: QApplication, page: SupportPage) -> None:
    # Background loads deliver through the event loop; pump it until they are all in.
    while page.jobs.busy:
        app.processEvents()
    for _ in range(5):  # new content asks for a relayout, delivered on the following turns
        app.processEvents()


def render(out_dir: Path) -> list[Path]:
    app = create_application([])  # the app-wide theme, as the real app has it
    register_fonts()
    app.setFont(ui_font(12))
    settings = Settings(support=SupportSettings(default_venue="中央公民館", default_helper_role="講師",
                                                default_helper_name="山田"))
    page = SupportPage(sample.repository(), sample.catalog(), settings, clock=lambda: sample.NOW)
    window = MainWindow([PageSpec("support", "支援記録", page)])
    window.resize(1280, 800)
    window.show()
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []

    # The entry screen mid-way through logging a session.
    e = page.entry
    e.topics.toggle_index(5)
    e.topics.toggle_index(10)
    e.device.set_value("iphone")
    e.age_band.set_value("75-79")
    e.duration.set_minutes(30)
    e.follow_up.setChecked(True)
    e.topics.focus()
    _settle(app, page)
    written.append(out_dir / "entry.png")
    window.grab().save(str(written[-1]))

    page.show_tab(1)
    _settle(app, page)
    page.list.table.selectRow(2)
    written.append(out_dir / "list.png")
    window.grab().save(str(written[-1]))

    page.show_tab(2)
    page.reports.period.set_preset("this_month")
    _settle(app, page)
    written.append(out_dir / "reports.png")
    window.grab().save(str(written[-1]))

    # The same tab scrolled to its end: the per-class (講座・コマ) table.
    page.reports.period.set_preset("this_fy")
    window.resize(1280, 800)  # offscreen, the window may have come up at its size hint
    _settle(app, page)
    bar = page.reports.findChild(QScrollArea).verticalScrollBar()
    bar.setValue(bar.maximum())
    _settle(app, page)
    written.append(out_dir / "reports-classes.png")
    window.grab().save(str(written[-1]))
    page.shutdown()
    return written


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[3]
    for p in render(Path(sys.argv[1]) if len(sys.argv) > 1 else root / "docs" / "screenshots" / "support"):
        print(p)
