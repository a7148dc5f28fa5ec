"""Render the security/admin screens offscreen into docs/screenshots/security/*.png.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/security/make_screenshots.py [--lang en]
(--lang en: the English UI, into docs/screenshots/en/)
Uses a throwaway DXDESK_HOME with sample accounts and events (fake names only).
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
os.environ["DXDESK_HOME"] = tempfile.mkdtemp(prefix="dxdesk-shots-")

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from dxdesk import i18n  # noqa: E402
from dxdesk.ui.app import create_application  # noqa: E402
from dxdesk.config import SecuritySettings, load_settings  # noqa: E402
from dxdesk.security.audit import AuditLog  # noqa: E402
from dxdesk.security.auditview import AuditService  # noqa: E402
from dxdesk.security.auth import AuthService, InvalidCredentialsError  # noqa: E402
from dxdesk.security.passwords import ScryptParams  # noqa: E402
from dxdesk.security.permissions import Role  # noqa: E402
from dxdesk.store.connectivity import ConnectivityState  # noqa: E402
from dxdesk.store.database import open_database  # noqa: E402
from dxdesk.ui.admin import AdminPage  # noqa: E402
from dxdesk.ui.admin.page import TAB_CALIBRATION, TAB_DISPLAY, TAB_RECOVERY  # noqa: E402
from dxdesk.ui.qtfonts import register_fonts, ui_font  # noqa: E402
from dxdesk.ui.security.idle import LockScreen  # noqa: E402
from dxdesk.ui.security.signin import FirstAdminDialog, SignInDialog  # noqa: E402
from dxdesk.ui.tasks import TaskRunner  # noqa: E402

SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
OUT = SHOTS / "security"
PASSWORD = "sample pass 1"


def settle(app: QApplication, until=lambda: True, timeout_ms: int = 5000) -> None:
    """Run the event loop until ``until()`` holds (background answers arrive as queued signals).

    An event loop, not processEvents(): in PySide6 6.12 every processEvents() call drops a
    reference to None, and a polling loop crashes the interpreter within seconds.
    """
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(lambda: loop.quit() if until() else None)
    QTimer.singleShot(timeout_ms, loop.quit)
    poll.start()
    loop.exec()
    poll.stop()


def grab(widget: QWidget, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(OUT / name))
    print(OUT / name)


def main() -> int:
    global OUT
    if "--lang" in sys.argv and sys.argv[sys.argv.index("--lang") + 1] == "en":
        i18n.set_language("en")
        OUT = SHOTS / "en"
    app = create_application(sys.argv)  # the app-wide theme, as the real app has it
    register_fonts()
    app.setFont(ui_font(12))  # as dxdesk.ui.app does
    db = open_database()
    runner = TaskRunner()
    settings = load_settings()
    settings.store.server_url = "postgresql+psycopg://dxdesk@yakuba-srv/dxdesk"
    auth = AuthService(db, AuditLog(db), SecuritySettings(), params=ScryptParams(n=2**10), failure_delay_s=0)
    first = FirstAdminDialog(auth, runner)
    first.login_edit.setText("admin")
    first.name_edit.setText("総務課 山田")
    first.passwords.password.setText("admin")
    first.passwords.confirm.setText("admin1")
    first.show()
    settle(app)
    first.resize(first.sizeHint())  # adjustSize caps at 2/3 of the 800 px offscreen screen
    grab(first, "first_admin.png")
    first.close()

    admin = auth.create_first_admin("admin", "総務課 山田", PASSWORD)
    people = [("tanaka", "市民課 田中", Role.CLERK), ("suzuki", "市民課 鈴木", Role.CLERK),
              ("sato", "デジタル推進 佐藤", Role.SUPPORTER), ("takahashi", "市民課長 高橋", Role.SUPERVISOR)]
    for login, name, role in people:
        auth.create_account(admin, login, name, role, PASSWORD)
    for login, _name, _role in people:
        auth.sign_in(login, PASSWORD)
    try:
        auth.sign_in("suzuki", "typo")
    except InvalidCredentialsError:
        pass
    auth.deactivate_account(admin, "sato")
    # An account made by the administrator must choose its own password before it may do anything
    # (Session.must_change_password): without this the supervisor's 管理 page had no 監査ログ tab.
    own = "supervisor's own 7"
    auth.change_password(auth.sign_in("takahashi", PASSWORD), PASSWORD, own)
    supervisor = auth.sign_in("takahashi", own)

    dialog = SignInDialog(auth, runner, desk_name="市民課 窓口1")
    dialog.login_edit.setText("tanaka")
    dialog.password_edit.setText("wrong pass")
    dialog.show()
    dialog.submit()
    settle(app, lambda: not dialog.is_busy())
    dialog.resize(dialog.sizeHint())
    grab(dialog, "signin.png")
    dialog.close()

    lock = LockScreen(auth.sign_in("tanaka", PASSWORD))
    lock.resize(1100, 680)
    lock.show()
    settle(app)
    grab(lock, "lock_screen.png")
    lock.dismiss()

    connectivity = ConnectivityState(settings.store, db.pending_count)
    page = AdminPage(admin, auth, AuditService(db, auth.audit), connectivity, settings, runner,
                     printers=["EPSON LP-S3250 (窓口1)"])
    page.resize(1100, 620)
    page.show()
    settle(app, lambda: page.accounts_tab is not None and page.accounts_tab.table.rowCount() == 5)
    page.accounts_tab.select_login("suzuki")
    settle(app)
    grab(page, "admin_accounts.png")
    page.show_tab(TAB_CALIBRATION)
    page.calibration_tab.dx.setValue(-1.2)
    page.calibration_tab.dy.setValue(0.8)
    page.calibration_tab.show_test_page()
    settle(app, lambda: False, 1500)  # QPdfView renders pages asynchronously
    grab(page, "admin_calibration.png")
    page.show_tab(TAB_DISPLAY)
    settle(app)
    grab(page, "admin_display.png")
    recovery_shots(app, page, db)
    page.close()

    audit_page = AdminPage(supervisor, auth, AuditService(db, auth.audit), connectivity, settings, runner)
    audit_page.resize(1100, 620)
    audit_page.show()
    tab = audit_page.audit_tab
    settle(app, lambda: tab.table.rowCount() > 0)
    tab.verify()
    settle(app, lambda: bool(tab.verify_label.text()))
    grab(audit_page, "admin_audit.png")
    audit_page.close()

    runner.shutdown()
    db.close()
    return 0


def recovery_shots(app: QApplication, page: AdminPage, db) -> None:
    """復旧キー: before the set-up, right after it, and a changed key waiting for the sheet's fingerprint."""
    import base64

    from dxdesk.security.recoverykey import RecoverySecret, fingerprint
    from dxdesk.store.escrow import RECOVERY_PUBLIC_KEY
    from dxdesk.store.models import SharedSetting

    page.show_tab(TAB_RECOVERY)
    tab = page.recovery_tab
    settle(app)
    grab(page, "admin_recovery_setup.png")
    usb = Path(tempfile.mkdtemp(prefix="dxdesk-shots-usb-"))
    tab.choose_file = lambda _title, suggested, _filters: usb / suggested
    tab.setup_button.click()
    settle(app, lambda: "指紋" in tab.status.text() or "fingerprint" in tab.status.text())
    grab(page, "admin_recovery_created.png")

    other = RecoverySecret.generate()  # someone replaced the town's key on the server: this desk waits

    def swap(s) -> None:
        row = s.query(SharedSetting).filter_by(key=RECOVERY_PUBLIC_KEY).one()
        row.value = {"public": base64.b64encode(other.public).decode(), "fingerprint": fingerprint(other.public)}
    db.writer.run(swap)
    tab.refresh()
    settle(app, lambda: tab.accept_box.isVisible())
    tab.fingerprint_edit.setText("1a2b-3c4d")
    tab.accept_button.click()
    settle(app, lambda: bool(tab.status.text()))
    grab(page, "admin_recovery_confirm.png")


if __name__ == "__main__":
    raise SystemExit(main())
