"""The scripted counter visit behind tools/demo.py (which prepares the PC/SC side).

Sets up a throw-away desk in a temporary folder (``DXDESK_HOME``) in training mode (研修モード),
creates an administrator and a clerk, signs the clerk in, and drives the clerk's real main
window the way a clerk and a resident would (procedures ticked, PIN typed on the resident's pad,
answers entered, the resident's confirmation, the print preview, close) against the fictional card
in ``reader``, saving a screenshot per step. Everything it stores (training database, journal,
audit log, the "printed" PDF with 見本 on every page) is deleted with the temporary folder.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

PIN = "1234"  # the fictional card's PIN (dxdesk/cardreader/testdata.py PERSON_KOKUTOU)
PROCEDURES = ("juminhyo", "inkan_shomei")
ANSWERS = {"juminhyo_copies": 2, "scope": "household", "juminhyo_purpose": "bank", "requester": "self",
           "submit_to": "サンプル銀行 本店",  # i18n: ja-only (the resident's answer)
           "postal_code": "059-0901", "phone": "0144-82-1234",
           "inkan_visitor": "self", "has_inkan_card": True, "inkan_card_number": "1234567", "inkan_copies": 1,
           "inkan_purpose": "vehicle"}
KANA = "こくとう　みきや"  # i18n: ja-only (the resident's name reading)
STEP_TIMEOUT_MS = 20000


class DemoError(Exception):
    """The visit could not go on (English, one line, no personal data)."""


def _ensure_platform() -> None:
    # No display: render offscreen (screenshots come from widget.grab(), which needs no screen).
    if not os.environ.get("QT_QPA_PLATFORM") and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        print("no display: rendering offscreen (for an X server without a screen: xvfb-run dxdesk demo)")


def run_demo(reader: str, sizes: list[tuple[int, int]], out_root: Path) -> list[Path]:
    """One full visit per window size; returns the screenshot paths."""
    _ensure_platform()
    home = tempfile.TemporaryDirectory(prefix="dxdesk-demo-")
    os.environ["DXDESK_HOME"] = home.name  # a throw-away desk: nothing of the demo outlives it
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")  # keys stay in it too
    from dxdesk import training
    from dxdesk.ui.app import create_application

    training.activate()  # fictional cards only, 見本 on every page, the band on every screen
    app = create_application([sys.argv[0]])
    shots: list[Path] = []
    try:
        for width, height in sizes:
            shots += _Visit(app, reader, width, height, out_root / f"demo-{width}x{height}").run()
    finally:
        home.cleanup()
    return shots


def _has_ink(widget) -> bool:
    """True once the widget shows dark pixels (printed text), sampled on a coarse grid."""
    image = widget.grab().toImage()
    step = 4
    dark = 0
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            if image.pixelColor(x, y).lightness() < 90:
                dark += 1
                if dark >= 20:
                    return True
    return False


class _Visit:
    def __init__(self, app, reader: str, width: int, height: int, out: Path) -> None:
        self.app, self.reader, self.width, self.height, self.out = app, reader, width, height, out
        self.shots: list[Path] = []

    # -- helpers ---------------------------------------------------------------------------------

    def wait_for(self, what: str, condition: Callable[[], bool], timeout_ms: int = STEP_TIMEOUT_MS) -> None:
        """Run the event loop until ``condition()`` holds (card and render results arrive through it)."""
        from PySide6.QtCore import QEventLoop, QTimer

        if condition():
            return
        loop = QEventLoop()
        check = QTimer()
        check.setInterval(20)
        check.timeout.connect(lambda: loop.quit() if condition() else None)
        deadline = QTimer()
        deadline.setSingleShot(True)
        deadline.timeout.connect(loop.quit)
        check.start()
        deadline.start(timeout_ms)
        loop.exec()
        check.stop()
        deadline.stop()
        if not condition():
            raise DemoError(f"timed out waiting for {what}{self._page_problem()}")

    def _page_problem(self) -> str:
        identify = self.page.identify
        if identify.help_box.isVisible():
            return f" (the identify step says: {identify.help_title.text()} {identify.help_message.text()})"
        return f" (status: {self.page.status.text()})" if self.page.status.text() else ""

    def grab(self, widget, name: str) -> None:
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()
        path = self.out / name
        if not widget.grab().save(str(path)):
            raise DemoError(f"could not save {path}")
        self.shots.append(path)

    def key(self, widget, key) -> None:
        from PySide6.QtTest import QTest

        QTest.keyClick(widget, key)

    # -- the visit -------------------------------------------------------------------------------

    def run(self) -> list[Path]:
        from PySide6.QtCore import Qt
        from PySide6.QtPrintSupport import QPrinter

        from dxdesk.config import load_settings
        from dxdesk.security.passwords import ScryptParams
        from dxdesk.app.composition import AppServices
        from dxdesk.ui.app import build_main_window
        from dxdesk.ui.tasks import TaskRunner

        self.out.mkdir(parents=True, exist_ok=True)
        settings = load_settings()
        settings.general.desk_name = "住民課 1番窓口"  # i18n: ja-only (a setting value, as entered)
        settings.card.reader_prefix = self.reader  # the simulator's vpcd slot, through pcscd
        services = AppServices.open(settings=settings, with_sync=False)
        auth = services.auth
        auth.params = ScryptParams(n=2**10, r=8, p=1)  # a throw-away desk: fast sign-in
        if auth.needs_first_admin():
            admin = auth.create_first_admin("admin", "管理 太郎", "demo admin password 1")
            # As a town does: an issued password, then the clerk's own at the first sign-in.
            auth.create_account(admin, "clerk1", "窓口 花子", "clerk", "demo issued password 1")
            first = auth.sign_in("clerk1", "demo issued password 1")
            auth.change_password(first, "demo issued password 1", "demo clerk password 1")
        clerk = auth.sign_in("clerk1", "demo clerk password 1")
        services.bind_session(clerk)
        runner = TaskRunner()
        printed = services.paths.data_dir / f"printed-{self.width}x{self.height}.pdf"

        def printer() -> QPrinter:
            p = QPrinter(QPrinter.PrinterMode.HighResolution)
            p.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            p.setOutputFileName(str(printed))
            return p

        window = build_main_window(services, clerk, runner)
        self.window = window
        self.page = page = next(w for w in window.closables if hasattr(w, "identify"))
        page.services.printer_factory = printer  # the "printer" is a PDF in the throw-away desk
        window.setWindowState(Qt.WindowState.WindowNoState)
        window.resize(self.width, self.height)
        try:
            window.show()
            window.show_page("counter")
            self._procedures(page)
            self._identify(page, Qt)
            self._interview(page)
            self._confirm(page)
            self._print(page, printed)
        finally:
            if window.status_poll is not None:
                window.status_poll.stop()
            for closable in window.closables:
                closable.shutdown()
            window.close()
            window.deleteLater()
            runner.shutdown()
            auth.sign_out(clerk)
            services.bind_session(None)
            services.close()
        return self.shots

    def _procedures(self, page) -> None:
        from PySide6.QtCore import Qt

        start = page.start
        for i in range(start.list.count()):
            item = start.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) in PROCEDURES:
                item.setCheckState(Qt.CheckState.Checked)
        if set(start.chosen()) != set(PROCEDURES):
            raise DemoError(f"the procedure list lacks one of {', '.join(PROCEDURES)}")
        self.grab(self.window, "01-procedures.png")
        start.request_start()
        self.wait_for("the identify step", lambda: page.current_step() == "identify")

    def _identify(self, page, Qt) -> None:
        identify = page.identify
        # The tries left come from the card through pcscd before any PIN is asked (shown with it).
        self.wait_for("the card status", lambda: identify.tries_left is not None)
        self.grab(self.window, "02-identify.png")
        identify.read_with_pin()
        self.wait_for("the PIN pad", lambda: identify.pin_dialog is not None and identify.pin_dialog.isVisible())
        dialog = identify.pin_dialog
        for digit in PIN:  # typed on the resident's pad, as a USB keypad would
            self.key(dialog.pad, getattr(Qt.Key, f"Key_{digit}"))
        self.grab(dialog, "03-pin-pad.png")
        self.key(dialog.pad, Qt.Key.Key_Return)
        self.wait_for("the card read", lambda: page.current_step() == "interview")

    def _interview(self, page) -> None:
        interview = page.interview
        interview.kana.setText(KANA)
        if not interview.commit_kana():
            raise DemoError("the name reading was refused")
        for qid, value in ANSWERS.items():
            interview.fields[qid].set_value(value)
            if not interview.commit(qid):
                raise DemoError(f"the answer to {qid} was refused")
        interview.focus_first()
        self.grab(self.window, "04-interview.png")
        page.next()
        self.wait_for("the confirmation step", lambda: page.current_step() == "confirm")

    def _confirm(self, page) -> None:
        self.grab(self.window, "05-confirm-clerk.png")
        page.confirm.show_resident_window()
        window = page.confirm.resident_window
        window.resize(self.width, self.height)  # on a second screen it is full screen
        self.grab(window, "06-resident-view.png")
        page.next()
        self.wait_for("the print step", lambda: page.current_step() == "print")

    def _print(self, page, printed: Path) -> None:
        printing = page.printing
        self.wait_for("the print preview", lambda: printing.print_button.isEnabled() or printing.error.isVisible())
        if not printing.print_button.isEnabled():
            raise DemoError("the forms could not be rendered")
        # QPdfView paints its pages on a renderer thread: wait until the first page shows ink.
        self.wait_for("the preview pages", lambda: _has_ink(printing.preview.view.viewport()))
        self.grab(self.window, "07-print-preview.png")
        if printing.print_all() == 0:
            raise DemoError("printing to PDF failed")
        self.wait_for("the print record", lambda: printed.exists() and bool(page.visit and page.visit.forms_printed))
        page.next()  # 完了
        self.wait_for("the closed visit", lambda: page.current_step() == "closed")
        # Stored (with its audit event) in the training desk's database, as at a real desk.
        self.wait_for("the stored record", lambda: page.done.retry_button.isHidden() and page._unstored is None)
        self.grab(self.window, "08-done.png")
