"""GUI bootstrap, in one place: Qt application, fonts, services, sign-in, pages.

The order matters: fonts before the first widget (or Japanese renders as boxes),
services before sign-in (sign-in needs the database), pages after sign-in (which
pages exist depends on the clerk's role).
"""
from __future__ import annotations

import logging
import os
import sys
from typing import Any, cast

from PySide6.QtCore import QLibraryInfo, QLocale, QObject, Qt, QTranslator, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from dxdesk import i18n, training
from dxdesk.i18n import tr
from dxdesk.config import Settings, SettingsError, load_settings
from dxdesk.paths import app_paths
from dxdesk.ui import crash_dialog
from dxdesk.ui.crash_dialog import install_excepthook
from dxdesk.ui.home import APP_TITLE_JA, HomePage, HomeSources
from dxdesk.ui.main_window import MainWindow, PageSpec, add_operations_menu
from dxdesk.ui.qtfonts import register_fonts, ui_font
from dxdesk.ui.startup import DeferredAuth, ServicesOpening, after_first_paint
from dxdesk.ui.tasks import PeriodicTask, TaskRunner
from dxdesk.ui.theme import BODY_PT, apply_theme

log = logging.getLogger(__name__)

# Set by `python -m tools.bench startup`: print a marker once the first window is on screen, then quit.
STARTUP_PROBE_ENV = "DXDESK_STARTUP_PROBE"
# Set for screenshots: save the first window shown as a PNG, then quit.
SCREENSHOT_ENV = "DXDESK_SCREENSHOT"
STATUS_REFRESH_MS = 5000


def create_application(argv: list[str] | None = None) -> QApplication:
    """The Qt application in the current UI language: call i18n.set_language() first."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("dxdesk")
    register_fonts()
    app.setFont(ui_font(BODY_PT))
    apply_theme(app)  # one look for every page and dialog (dxdesk.ui.theme)
    apply_language(app)
    return app


def apply_language(app: QApplication) -> None:
    """Brings the app-wide texts in line with i18n.current_language() (safe to call again)."""
    app.setApplicationDisplayName(tr(APP_TITLE_JA))
    _install_qt_translations(app)


def _install_qt_translations(app: QApplication) -> None:
    """Qt's own buttons and dialogs (OK/キャンセル, file dialogs) in Japanese when the UI is Japanese.

    Qt's built-in texts are English, so an English UI needs no translator; one left installed
    from an earlier language would mix Japanese buttons into English dialogs, so it is removed.
    """
    installed = getattr(app, "_dxdesk_translator", None)
    if i18n.current_language() != "ja":
        if installed is not None:
            app.removeTranslator(installed)
            app._dxdesk_translator = None  # type: ignore[attr-defined]
        return
    if installed is not None:
        return
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(QLocale(QLocale.Language.Japanese), "qtbase", "_", folder):
        app.installTranslator(translator)
        app._dxdesk_translator = translator  # type: ignore[attr-defined]
    else:
        log.info("Qt's Japanese translations not found in %s; standard buttons stay in English", folder)


def _load_settings_or_defaults() -> Settings:
    try:
        return load_settings(app_paths().ensure())
    except SettingsError as exc:
        log.error("%s; starting with defaults", exc)
        return Settings()


def build_pages(services, session, runner: TaskRunner) -> tuple[list[PageSpec], list[QWidget]]:
    """The pages this clerk may use; returns (specs, widgets that need shutdown()).

    A support-mode install (settings.general.mode = "support") has no counter page at all.
    """
    from dxdesk.security.permissions import Permission

    settings = services.settings
    home = HomePage(settings.general.municipality, settings.general.desk_name, user=session.display_name,
                    sources=home_sources(services, session), runner=runner)
    pages = [PageSpec("home", tr("ホーム"), home)]
    closable: list[QWidget] = []
    if session.can(Permission.MANAGE_VISITS) and services.visits is not None:
        from dxdesk.cardreader.monitor import CardMonitor
        from dxdesk.ui.counter import CounterPage, CounterServices

        counter = CounterPage(CounterServices(
            visits=services.visits, session=session, runner=runner, card_service=services.card_service,
            card_monitor_factory=lambda callback: CardMonitor(callback),
        ))
        pages.append(PageSpec("counter", tr("窓口受付"), counter))
        closable.append(counter)
    if session.can(Permission.LOG_SUPPORT) or session.can(Permission.VIEW_REPORTS):
        from dxdesk.ui.support import SupportPage

        # The service checks the role and audits edits, deletes, reports and exports.
        repo = services.support_service(session)
        support = SupportPage(repo, repo.catalog(), settings, runner)
        pages.append(PageSpec("support", tr("支援記録"), support))
        closable.append(support)
    if any(session.can(p) for p in (Permission.MANAGE_ACCOUNTS, Permission.VIEW_AUDIT, Permission.MANAGE_SETTINGS)):
        from dxdesk.ui.admin import AdminPage

        sync = services.sync_scheduler.engine.run_once if services.sync_scheduler else None
        admin = AdminPage(session, services.auth, services.audit_service, services.connectivity, settings, runner,
                          sync=sync, paths=services.paths, changes=services.settings_changes)
        pages.append(PageSpec("admin", tr("管理"), admin))
        closable.append(admin)  # its status poll must stop before the services close
    return pages, closable


def home_sources(services, session) -> HomeSources:
    """Only what the role may see: counter figures and the card reader for clerks, the support
    count for supporters and supervisors, the sync state for everyone."""
    from dxdesk.app.dashboard import visible_figures
    from dxdesk.security.permissions import Permission

    counter, support = visible_figures(session, counter_desk=not services.support_only)
    connectivity = services.connectivity
    lang = i18n.current_language()
    card = services.card_service if counter and session.can(Permission.READ_CARD) else None
    return HomeSources(
        summary=lambda: services.home_summary(session),
        store_mode=lambda: _mode_text(connectivity.mode, lang, connectivity.problem),
        card_status=card.status if card is not None else None,
        show_visits=counter,
        show_support=support,
    )


def _mode_text(mode, lang: str, problem=None) -> str:
    from dxdesk.store.connectivity import ConnectivityMode

    if problem is not None and mode in (ConnectivityMode.ONLINE, ConnectivityMode.OFFLINE):
        return problem.text(lang)  # a failing sync is never shown as "Online"
    texts = {
        ConnectivityMode.ONLINE: i18n.Msg("オンライン（サーバーに送信します）", "Online"),
        ConnectivityMode.OFFLINE: i18n.Msg("オフライン（つながったら送信します）", "Offline"),
        ConnectivityMode.MANUAL_OFFLINE: i18n.Msg("オフライン（手動）", "Offline (manual)"),
        ConnectivityMode.DISABLED: i18n.Msg("この端末にだけ保存しています（サーバー未設定）", "Local only"),
    }
    return texts[mode].text(lang)


class SyncResultRelay(QObject):
    """Carries each sync outcome from the sync thread to the GUI thread (a queued signal)."""

    finished = Signal(object, object)  # SyncResult | None, StoreError | None

    def __call__(self, result: object, error: object) -> None:
        self.finished.emit(result, error)


def build_main_window(services=None, session=None, runner: TaskRunner | None = None,
                      sync_relay: SyncResultRelay | None = None) -> MainWindow:
    """The main window; without services (self-test, first paint checks) only the home page."""
    if services is None:
        settings = _load_settings_or_defaults()
        i18n.set_language(settings.general.language)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_language(app)  # the language was only known now (self-test, first paint checks)
        window = MainWindow([PageSpec("home", tr("ホーム"), HomePage(settings.general.municipality,
                                                                      settings.general.desk_name))])
        window.set_connection_text(tr("ローカル保存（サーバー未設定）") if not settings.store.server_url else "")
        return window
    runner = runner or TaskRunner()
    pages, closable = build_pages(services, session, runner)
    window = MainWindow(pages)
    window.closables = list(closable)
    window.card_label.setText(tr("{desk}　{user}（{role}）").format(
        desk=services.settings.general.desk_name, user=session.display_name, role=session.role.label.text()))
    if len(pages) > 1:
        window.show_page(pages[1].key)  # straight to the clerk's job: the home page has nothing to do

    # The status text counts records waiting to sync: a database read, so not on the GUI thread.
    lang = i18n.current_language()
    poll = PeriodicTask(runner, lambda: services.connectivity.status_text(lang), window.set_connection_text,
                        STATUS_REFRESH_MS, window)
    window.status_poll = poll
    poll.start()
    if sync_relay is not None:  # each sync outcome shows at once, not at the next poll
        sync_relay.finished.connect(poll.trigger)  # a bound slot: Qt drops it with the window's poll
    return window


def _sign_in(services, runner: TaskRunner, chosen: str | None = None):
    """Shows the first-run or the normal sign-in dialog; returns the Session or None (cancelled).

    ``chosen``: the first-start choice already made (a new desk shows it while its store is created)."""
    from dxdesk.ui.security.signin import FirstAdminDialog, SignInDialog

    app = QApplication.instance()
    assert isinstance(app, QApplication)  # create_application() has made it
    dialog: FirstAdminDialog | SignInDialog
    if services.auth.needs_first_admin():
        joined = _first_start_join(services, runner, chosen)
        if joined is not None:
            return joined or None
        dialog = FirstAdminDialog(services.auth, runner)
    else:
        # Each sign-in starts in the desk's language (the 表示設定 choice); the dialog's toggle lasts one session.
        sign_in = SignInDialog(services.auth, runner, desk_name=services.settings.general.desk_name,
                               language=services.settings.general.language)
        # Qt's own texts (standard buttons, the window name) follow the toggle, and so the session.
        sign_in.language_changed.connect(lambda _language: apply_language(app))
        dialog = sign_in
    apply_language(app)  # the dialog has just set the desk's language
    _maybe_probe(dialog)
    return dialog.session if dialog.exec() else None


def _first_start_join(services, runner: TaskRunner, chosen: str | None = None):
    """The first-start choice (asked here unless ``chosen``). None: start alone (FirstAdminDialog);
    False: cancelled; else the Session."""
    from dxdesk.security.join import DeskJoin
    from dxdesk.ui.security.join_dialog import JOIN, JoinServerDialog, StartChoiceDialog

    if chosen is None:
        choice = StartChoiceDialog()
        _maybe_probe(choice)
        if not choice.exec():
            return False
        chosen = choice.choice
    if chosen != JOIN:
        return None
    dialog = JoinServerDialog(DeskJoin(services.database, services.settings, services.paths), services.auth, runner)
    if not dialog.exec() or dialog.session is None:
        return False
    _start_sync_after_join(services)
    report = dialog.report
    lines = [tr("町のサーバーに参加しました。")]
    if report is not None:
        lines += [tr("この端末のアカウント {old} は {new} に名前を変えて無効にしました（町の {old} が使われます）。").format(
            old=old, new=new) for old, new in report.renamed]
    if dialog.sync_error is not None:
        lines.append(tr("最初の同期に失敗しました。自動で再試行します。"))
    QMessageBox.information(None, tr("dxdesk — 町のサーバーに参加"), "\n".join(lines))
    return dialog.session


def _start_sync_after_join(services) -> None:
    """The desk opened without a server; now it has one, so the background sync starts (as at a normal start)."""
    if services.sync_scheduler is not None:
        return
    from dxdesk.store.sync import SyncEngine, SyncScheduler

    scheduler = SyncScheduler(SyncEngine(services.database, services.settings.store, services.connectivity))
    scheduler.start()
    services.sync_scheduler = scheduler
    services._closers.append(scheduler.stop)


def _maybe_probe(window: QWidget) -> None:
    if not (os.environ.get(STARTUP_PROBE_ENV) or os.environ.get(SCREENSHOT_ENV)):
        return

    def probe() -> None:
        print("dxdesk-window-shown", flush=True)
        if os.environ.get(SCREENSHOT_ENV):
            window.grab().save(os.environ[SCREENSHOT_ENV])
        QApplication.exit(0)
        window.close()

    after_first_paint(window, probe)  # what the clerk sees: the dialog drawn, not merely asked to show


def _fatal(message: str) -> int:
    QMessageBox.critical(None, tr("dxdesk を起動できません"), message)
    return 1


def _open_services(settings: Settings, relay: SyncResultRelay):
    from dxdesk.app.composition import AppServices

    return AppServices.open(settings=settings, with_purge=True, exclusive=True, on_sync_result=relay)


def _first_sign_in(opening: ServicesOpening, settings: Settings, runner: TaskRunner):
    """(services, session or None): the first dialog of this start, and the services it signed in with.

    A desk with accounts shows the sign-in dialog at once and opens the services behind it
    (dxdesk.ui.startup); so does a new desk with its start choice (:func:`_first_start`). Anything
    else without readable accounts (an empty or unreadable file) opens them first, as before.
    """
    from dxdesk.store.startprobe import check_not_in_use, has_accounts, is_new_desk

    if not has_accounts(settings):
        if is_new_desk(settings):  # raises, before any dialog, for a desk with history and no database
            return _first_start(opening, settings, runner)
        services = opening.open_now()
        return services, _sign_in(services, runner)
    check_not_in_use(settings)  # a second window says so at once, before a dialog that could not sign in
    from dxdesk.ui.security.signin import SignInDialog

    app = QApplication.instance()
    assert isinstance(app, QApplication)  # create_application() has made it
    dialog = SignInDialog(cast(Any, DeferredAuth(opening)), runner, desk_name=settings.general.desk_name,
                          language=settings.general.language)
    dialog.language_changed.connect(lambda _language: apply_language(app))
    apply_language(app)  # the dialog has just set the desk's language
    opening.failed.connect(dialog.reject)  # the reason is shown once the dialog is gone (below)
    opening.start_when_drawn(dialog)
    _maybe_probe(dialog)
    accepted = dialog.exec()
    services = opening.services()  # waits for the opening if need be; raises what it raised
    return services, (dialog.session if accepted else None)


def _first_start(opening: ServicesOpening, settings: Settings, runner: TaskRunner):
    """A new desk: the start choice (join the town's server, or alone) drawn while the store is created.

    Creating the store (the schema migrated from nothing, the keys made, SQLAlchemy and Alembic
    loaded: about a second) is what the choice does not need; what follows it does, and waits.
    A store that cannot be created closes the choice and says why, as for the sign-in dialog.
    """
    from dxdesk.store.startprobe import check_not_in_use
    from dxdesk.ui.security.join_dialog import StartChoiceDialog

    check_not_in_use(settings)  # a second window says so at once
    choice = StartChoiceDialog(store_ready=opening.is_open)
    opening.opened.connect(choice.store_opened)  # a choice made before the store was ready goes on now
    opening.failed.connect(choice.reject)  # the reason is shown once the dialog is gone (run_app)
    opening.start_when_drawn(choice)
    _maybe_probe(choice)
    chosen = choice.exec()  # a choice made before the store was ready waits in the dialog (store_opened)
    services = opening.services()  # open by now, or it failed: raises what opening raised
    return services, (_sign_in(services, runner, choice.choice) if chosen else None)


def run_app() -> int:
    from dxdesk.errors import as_dx_error

    # The language first: the application's name and Qt's own translations depend on it.
    try:
        settings = load_settings(app_paths().ensure())
        if training.active(settings):
            training.activate()  # before any window: the 研修モード band is on every one of them
            settings = load_settings(app_paths().ensure())  # the training desk's own settings (dxdesk.training)
    except SettingsError as exc:
        # Never a desk on defaults: without its desk_id it would make new keys beside the real ones.
        log.error("%s; dxdesk does not start", exc)
        create_application()
        return _fatal(exc.message.text())
    i18n.set_language(settings.general.language)
    app = create_application()
    install_excepthook()
    relay = SyncResultRelay()
    runner = TaskRunner()
    opening = ServicesOpening(runner, lambda: _open_services(settings, relay))
    try:
        try:
            services, session = _first_sign_in(opening, settings, runner)
        except Exception as exc:
            error = as_dx_error(exc)  # read-only folder, locked, corrupt...: the sentence; a bug goes to the crash dialog
            if error is None:
                raise
            log.error("cannot open the database: %s", error.message.en)
            return _fatal(error.message.text())
        while True:  # sign out returns here for the next clerk
            if session is None or os.environ.get(STARTUP_PROBE_ENV) or os.environ.get(SCREENSHOT_ENV):
                return 0
            services.bind_session(session)
            try:
                outcome = _run_session(app, services, session, runner, relay)
            finally:
                services.bind_session(None)
            if outcome != "sign_out":
                return 0
            session = _sign_in(services, runner)
    finally:
        runner.shutdown()  # the opening too, if the dialog was left before it finished
        opening.close()


def _run_session(app: QApplication, services, session, runner: TaskRunner,
                 sync_relay: SyncResultRelay | None = None) -> str:
    from dxdesk.ui.security.idle import IdleLockController

    window = build_main_window(services, session, runner, sync_relay)
    outcome = {"value": "quit"}
    idle = IdleLockController(session, services.auth, runner, window)
    counter = next((w for w in window.closables if hasattr(w, "blank_resident_display")), None)
    if counter is not None:
        idle.blank_resident_view.connect(lambda blank: blank and counter.blank_resident_display())

    def sign_out() -> None:
        outcome["value"] = "sign_out"
        window.close()

    def change_password() -> None:
        from dxdesk.ui.security.signin import ChangePasswordDialog

        dialog = ChangePasswordDialog(services.auth, runner, session, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.password_changed.connect(lambda: window.statusBar().showMessage(tr("パスワードを変更しました。"), 8000))
        dialog.open()

    idle.sign_out_requested.connect(sign_out)
    # Accounts start with an initial password the administrator handed over; the clerk replaces it here.
    add_operations_menu(window, [idle.lock_action, (tr("パスワード変更…"), change_password),
                                 (tr("サインアウト"), sign_out), None, (tr("終了"), window.close)])
    if counter is not None:
        # The crash dialog promises an autosave only while a visit is open (its journal is the autosave).
        crash_dialog.set_open_visit_probe(counter.has_open_visit)
    window.show()
    try:
        app.exec()
    finally:
        crash_dialog.set_open_visit_probe(None)
    idle.stop()
    if window.status_poll is not None:
        window.status_poll.stop()
    for page in window.closables:
        page.shutdown()
    try:
        services.auth.sign_out(session)
    except Exception:  # signing out must never block closing
        log.exception("sign-out could not be recorded")
    window.deleteLater()
    return outcome["value"]
