"""GUI bootstrap, in one place: Qt application, fonts, settings, services, pages."""
from __future__ import annotations

import logging
import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from dxdesk import i18n
from dxdesk.config import SettingsError, load_settings
from dxdesk.paths import app_paths
from dxdesk.ui.crash_dialog import install_excepthook
from dxdesk.ui.main_window import HomePage, MainWindow, PageSpec
from dxdesk.ui.qtfonts import register_fonts, ui_font

log = logging.getLogger(__name__)

# Set by `dxdesk bench startup`: print a marker once the window is on screen, then quit.
STARTUP_PROBE_ENV = "DXDESK_STARTUP_PROBE"
# Set by scripts/screenshots.sh: save the shown window as a PNG (under Xvfb), then quit.
SCREENSHOT_ENV = "DXDESK_SCREENSHOT"


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("dxdesk")
    app.setApplicationDisplayName("dxdesk 窓口支援システム")
    register_fonts()
    app.setFont(ui_font(12))
    return app


def build_main_window() -> MainWindow:
    paths = app_paths().ensure()
    try:
        settings = load_settings(paths)
    except SettingsError as exc:
        log.error("%s; starting with defaults", exc)
        from dxdesk.config import Settings

        settings = Settings()
    i18n.set_language(settings.general.language)
    pages = [PageSpec("home", "ホーム", HomePage(settings.general.municipality, settings.general.desk_name))]
    window = MainWindow(pages)
    window.set_connection_text("ローカル保存（サーバー未設定）" if not settings.store.server_url else "")
    return window


def run_app() -> int:
    app = create_application()
    install_excepthook()
    window = build_main_window()
    window.show()
    if os.environ.get(STARTUP_PROBE_ENV) or os.environ.get(SCREENSHOT_ENV):
        def probe() -> None:
            print("dxdesk-window-shown", flush=True)
            if os.environ.get(SCREENSHOT_ENV):
                window.grab().save(os.environ[SCREENSHOT_ENV])
            app.quit()

        QTimer.singleShot(0, probe)
    return app.exec()
