"""Renders docs/screenshots/en/{home,support_entry}.png: the home page and the support log's entry form in English.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/make_english_screenshots.py [OUT_DIR]
(a throwaway DXDESK_HOME; sample data only).
"""
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "ui" / "support"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Training mode (研修モード): the counter reads only the fictional card, and the screens say so.
os.environ["DXDESK_TRAINING"] = "1"
os.environ["DXDESK_HOME"] = tempfile.mkdtemp(prefix="dxdesk-shots-")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QMainWindow  # noqa: E402

import support_ui_sample as sample  # noqa: E402
from dxdesk import i18n  # noqa: E402
from dxdesk.config import Settings, SupportSettings  # noqa: E402
from dxdesk.security.passwords import ScryptParams  # noqa: E402
from dxdesk.app.composition import AppServices  # noqa: E402
from dxdesk.ui.app import build_main_window, create_application  # noqa: E402
from dxdesk.ui.main_window import MainWindow, PageSpec  # noqa: E402
from dxdesk.ui.qtfonts import ui_font  # noqa: E402
from dxdesk.ui.support import SupportPage  # noqa: E402
from dxdesk.ui.tasks import TaskRunner  # noqa: E402


def settle(app: QApplication, until) -> None:
    """Pump the event loop until ``until()`` holds (background loads deliver through it)."""
    while not until():
        app.processEvents()
    app.processEvents()


def at_desk_size(window: QMainWindow) -> None:
    """1280×800, the size the docs show, even where the (offscreen) screen is smaller."""
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(1280, 800)


def home(app: QApplication, path: Path) -> None:
    services = AppServices.open(with_card=True, with_sync=False)
    services.auth.params = ScryptParams(n=2**6, r=8, p=1)
    services.settings.general.municipality = "Sample Town"
    services.settings.general.desk_name = "Counter 1"
    admin = services.auth.create_first_admin("admin", "Taro Kanri", "correct horse 1")
    services.auth.create_account(admin, "clerk1", "Hanako Madoguchi", "clerk", "correct horse 2")
    clerk = services.auth.sign_in("clerk1", "correct horse 2")
    runner = TaskRunner()
    window = build_main_window(services, clerk, runner)
    at_desk_size(window)
    window.show()
    window.show_page("home")
    page = window._pages[0].widget
    settle(app, lambda: page.visits_value.text() != "…" and page.card_value.text() != "…"
           and window.connection_label.text() != "")
    window.grab().save(str(path))
    window.status_poll.stop()
    for p in window.closables:
        p.shutdown()
    window.close()
    runner.shutdown()
    services.close()


def support_entry(app: QApplication, path: Path) -> None:
    app.setFont(ui_font(12))  # as tests/ui/support/make_screenshots.py, so the two languages compare
    settings = Settings(support=SupportSettings(default_venue="中央公民館", default_helper_role="Instructor",
                                                default_helper_name="Yamada"))
    page = SupportPage(sample.repository(), sample.catalog(), settings, clock=lambda: sample.NOW)
    window = MainWindow([PageSpec("support", i18n.tr("支援記録"), page)])
    at_desk_size(window)
    window.show()
    e = page.entry
    e.topics.toggle_index(5)
    e.topics.toggle_index(10)
    e.device.set_value("iphone")
    e.age_band.set_value("75-79")
    e.duration.set_minutes(30)
    e.follow_up.setChecked(True)
    e.topics.focus()
    settle(app, lambda: not page.jobs.busy)
    window.grab().save(str(path))
    page.shutdown()
    window.close()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots" / "en"
    out.mkdir(parents=True, exist_ok=True)
    i18n.set_language("en")  # before the application: its name and Qt's own texts depend on it
    app = create_application([])
    home(app, out / "home.png")
    support_entry(app, out / "support_entry.png")
    for name in ("home.png", "support_entry.png"):
        print(out / name)
    app.quit()


if __name__ == "__main__":
    main()
