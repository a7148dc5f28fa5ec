"""Child process of test_training_window.py: a normal desk (no training mode) whose pcscd is not running.

pcsc-lite reads PCSCLITE_CSOCK_NAME once per process, so the parent points it at a socket that does
not exist and runs this script. A clerk signs in, starts a visit and reaches the identify step; the
script prints what that step shows as one JSON line (and saves a screenshot when given a path).
"""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402

from dxdesk.security.passwords import ScryptParams  # noqa: E402
from dxdesk.services import AppServices  # noqa: E402
from dxdesk.ui.app import build_main_window, create_application  # noqa: E402
from dxdesk.ui.tasks import TaskRunner  # noqa: E402


def wait_until(what: str, condition: Callable[[], bool], timeout_ms: int = 30000) -> None:
    """Run the event loop until ``condition()`` holds (card results arrive through it)."""
    if condition():
        return
    loop = QEventLoop()
    check = QTimer()
    check.timeout.connect(lambda: loop.quit() if condition() else None)
    check.start(20)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    check.stop()
    if not condition():
        raise SystemExit(f"timed out waiting for {what}")


def main(screenshot: str | None) -> None:
    app = create_application([])
    services = AppServices.open(with_card=True, with_sync=False)
    services.auth.params = ScryptParams(n=2**6, r=8, p=1)
    admin = services.auth.create_first_admin("admin", "管理 太郎", "correct horse 1")
    # As a town does: the administrator issues a password, the clerk signs in once and chooses their own.
    services.auth.create_account(admin, "clerk1", "窓口 花子", "clerk", "issued horse 9")
    first = services.auth.sign_in("clerk1", "issued horse 9")
    clerk = services.auth.change_password(first, "issued horse 9", "correct horse 2")
    services.bind_session(clerk)
    runner = TaskRunner()
    window = build_main_window(services, clerk, runner)
    counter = next(w for w in window.closables if hasattr(w, "identify"))
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(1280, 800)
    window.show()
    window.show_page("counter")
    start = counter.start
    for i in range(start.list.count()):
        item = start.list.item(i)
        if item.data(Qt.ItemDataRole.UserRole) == "juminhyo":
            item.setCheckState(Qt.CheckState.Checked)
    start.request_start()
    wait_until("the identify step", lambda: counter.current_step() == "identify")
    identify = counter.identify
    wait_until("the card status", lambda: identify.help_box.isVisible())
    shown = {
        "title": identify.help_title.text(),
        "message": identify.help_message.text(),
        "steps": identify.help_steps.text(),
        "reader": identify.reader_label.text(),
        "simulated": identify.simulated,
        "band": getattr(window, "training_band", None) is not None,
    }
    # Try to go on without a card read: the visit must stay on the identify step, nothing printed.
    identify.read_with_pin()  # the clerk presses F2 anyway: the read fails with the same explanation
    wait_until("the read attempt", lambda: not identify._reading)
    shown["title_after_read"] = identify.help_title.text()
    counter.next()
    app.processEvents()
    shown["step_after_next"] = counter.current_step()
    shown["forms_printed"] = list(counter.visit.forms_printed) if counter.visit is not None else []
    if screenshot:
        window.grab().save(screenshot)
    window.status_poll.stop()
    for page in window.closables:
        page.shutdown()
    window.close()
    runner.shutdown()
    services.close()
    print(json.dumps(shown, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
