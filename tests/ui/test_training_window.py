"""研修モード on screen, and the reader-service error outside it.

- Training mode: the band 「研修モード — 実際の手続きには使えません」 across the main window and the sign-in
  dialog; the training database and no sync thread even on a desk joined to a server.
- No training mode and pcscd not running: the counter's identify step says the reader service is not
  running and how to start it; no simulated card, and the visit cannot go on to printing.

docs/screenshots/training/*.png come from this file:
``DXDESK_SCREENSHOT_DIR=docs/screenshots/training .venv/bin/pytest tests/ui/test_training_window.py``
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from dxdesk import training
from dxdesk.config import load_settings
from dxdesk.paths import app_paths
from dxdesk.services import AppServices
from dxdesk.ui.app import build_main_window
from dxdesk.ui.security.signin import SignInDialog

CHILD = Path(__file__).with_name("reader_service_stopped_child.py")
BAND = "研修モード — 実際の手続きには使えません"


def _screenshot_path(name: str, tmp_path: Path) -> Path:
    folder = os.environ.get("DXDESK_SCREENSHOT_DIR")
    return Path(folder) / name if folder else tmp_path / name


def _band_colour_share(image, height: int) -> float:
    """Share of the band's dark orange across the top ``height`` pixels of a window grab."""
    hits = total = 0
    for y in range(2, height - 2, 3):
        for x in range(0, image.width(), 7):
            c = image.pixelColor(x, y)
            total += 1
            hits += c.red() > 130 and 50 < c.green() < 100 and c.blue() < 40
    return hits / total


def test_training_band_is_on_the_main_window_and_sign_in(qtbot, monkeypatch, runner, session_for, tmp_path):
    monkeypatch.setenv(training.TRAINING_ENV, "1")
    if os.environ.get("DXDESK_SCREENSHOT_DIR"):
        from dxdesk.ui.app import create_application

        create_application([])  # the app's fonts and theme, as the docs show it
    base = app_paths()
    settings = load_settings(base)
    settings.store.server_url = "postgresql+psycopg://dxdesk@127.0.0.1:9/dxdesk"  # joined; still never synced
    services = AppServices.open(settings=settings, with_card=True)
    try:
        from dxdesk.security.passwords import ScryptParams

        services.auth.params = ScryptParams(n=2**6, r=8, p=1)
        assert services.database.path.parent.name == "training"
        assert services.sync_scheduler is None
        clerk = session_for(services, "clerk")
        services.bind_session(clerk)
        window = build_main_window(services, clerk, runner)
        window.setWindowState(Qt.WindowState.WindowNoState)
        window.resize(1280, 800)
        window.show()
        window.show_page("counter")
        qtbot.waitExposed(window)
        band = window.training_band
        assert band is not None and band.isVisible() and band.text() == BAND
        assert band.mapTo(window, band.rect().topLeft()).y() < 40  # across the top, above every page
        assert band.width() >= window.width() - 2
        assert BAND in window.windowTitle()
        image = window.grab().toImage()
        assert _band_colour_share(image, band.height()) > 0.5
        assert image.save(str(_screenshot_path("main-window-training.png", tmp_path)))
        window.status_poll.stop()
        for page in window.closables:
            page.shutdown()
        window.close()
        # As the app does after sign-out: the window goes, so card events still queued for it are dropped.
        window.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)

        dialog = SignInDialog(services.auth, runner, desk_name=settings.general.desk_name)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        labels = [w.text() for w in dialog.findChildren(type(band)) if w.isVisible()]
        assert BAND in labels
        dialog.grab().save(str(_screenshot_path("sign-in-training.png", tmp_path)))
        dialog.close()
    finally:
        services.close()


def test_outside_training_mode_there_is_no_band(qtbot, services, runner, session_for):
    clerk = session_for(services, "clerk")
    window = build_main_window(services, clerk, runner)
    qtbot.addWidget(window)
    assert window.training_band is None
    assert BAND not in window.windowTitle()
    window.status_poll.stop()
    for page in window.closables:
        page.shutdown()


def test_stopped_pcscd_is_explained_on_the_identify_step_and_nothing_can_be_printed(tmp_path):
    env = dict(os.environ)
    env["PCSCLITE_CSOCK_NAME"] = str(tmp_path / "no-pcscd-here.comm")  # as if pcscd were stopped
    env["DXDESK_TRAINING"] = "0"
    env["QT_QPA_PLATFORM"] = "offscreen"
    shot = _screenshot_path("identify-reader-service-stopped.png", tmp_path)
    result = subprocess.run([sys.executable, str(CHILD), str(shot)], env=env, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["title"] == "カード読み取りのサービスが動いていません"
    assert "pcscd" in shown["message"] and "Smart Card" in shown["message"]
    assert "systemctl start pcscd" in shown["steps"] and "services.msc" in shown["steps"]
    assert shown["title_after_read"] == shown["title"]  # pressing F2 anyway gives the same explanation
    assert shown["reader"] == "読み取り機: 使えません"
    assert not shown["simulated"] and not shown["band"]  # never a demo card outside training mode
    assert shown["step_after_next"] == "identify"
    assert shown["forms_printed"] == []
    assert shot.exists()
