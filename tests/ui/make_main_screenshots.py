"""Regenerates docs/screenshots/main-window*.png from a throwaway home.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/make_main_screenshots.py
(or under xvfb-run with QT_QPA_PLATFORM=xcb for a real X window).
"""
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Training mode (研修モード): the counter reads only the fictional card, and the screens say so.
os.environ["DXDESK_TRAINING"] = "1"
os.environ["DXDESK_HOME"] = tempfile.mkdtemp(prefix="dxdesk-shots-")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402

from dxdesk.security.passwords import ScryptParams  # noqa: E402
from dxdesk.app.composition import AppServices  # noqa: E402
from dxdesk.ui.app import build_main_window, create_application  # noqa: E402
from dxdesk.ui.tasks import TaskRunner  # noqa: E402


def settle(ms: int = 300) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main() -> None:
    app = create_application([])
    services = AppServices.open(with_card=True, with_sync=False)
    services.auth.params = ScryptParams(n=2**6, r=8, p=1)
    admin = services.auth.create_first_admin("admin", "管理 太郎", "correct horse 1")
    services.auth.create_account(admin, "clerk1", "窓口 花子", "clerk", "correct horse 2")
    clerk = services.auth.sign_in("clerk1", "correct horse 2")
    runner = TaskRunner()
    out = ROOT / "docs" / "screenshots"
    for name, session, page in (("main-window.png", clerk, "home"), ("main-window-counter.png", clerk, "counter"),
                                ("main-window-admin.png", admin, "admin")):
        window = build_main_window(services, session, runner)
        window.resize(1280, 800)
        window.show()
        window.show_page(page)
        settle()
        window.grab().save(str(out / name))
        for p in window.closables:
            p.shutdown()
        window.close()
    runner.shutdown()
    services.close()
    app.quit()


if __name__ == "__main__":
    main()
