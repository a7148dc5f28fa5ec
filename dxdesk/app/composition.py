"""The composition root: the app's services, built once and shared by the GUI, the CLI and the self-test.

Qt-free: widgets receive these objects through their constructors. ``AppServices.open``
opens the database (running migrations), builds the use-case services of ``dxdesk.app``
(counter visits, settings changes, the support log per signed-in person) over it, and
starts the background threads that belong to the core (card thread, sync thread, daily
retention purge); ``close`` stops them in reverse order.

``settings.general.mode == "support"`` is a supporter's laptop: only the support log.
No card service, no visit journal (its directory is never created), no procedure
catalogue; nothing on that PC can hold card or visit data.
"""
from __future__ import annotations

import base64
import dataclasses
import logging
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from dxdesk import training
from dxdesk.config import Settings, load_settings
from dxdesk.paths import AppPaths, app_paths

if TYPE_CHECKING:  # imported when opened: `dxdesk --help` must not load the store
    from dxdesk.app.dashboard import HomeSummary
    from dxdesk.app.settings import SettingsChanges
    from dxdesk.app.visits import CounterVisits
    from dxdesk.cardreader.service import CardService
    from dxdesk.counter import Catalogue, VisitJournal
    from dxdesk.security.audit import AuditLog
    from dxdesk.security.auditview import AuditService
    from dxdesk.security.auth import AuthService
    from dxdesk.security.permissions import Session
    from dxdesk.security.purgeschedule import PurgeScheduler
    from dxdesk.store.connectivity import ConnectivityState
    from dxdesk.store.database import Database
    from dxdesk.store.errors import StoreError
    from dxdesk.store.sync import SyncResult, SyncScheduler
    from dxdesk.support.service import SupportService
    from dxdesk.support.sql_repository import SqlRepository

log = logging.getLogger(__name__)

MODE_COUNTER = "counter"
MODE_SUPPORT = "support"


def desk_mode(settings: Settings) -> str:
    """``settings.general.mode``; an unknown value falls back to the mode that holds no card data."""
    mode = settings.general.mode.strip().lower()
    if mode not in (MODE_COUNTER, MODE_SUPPORT):
        log.error("settings: general.mode %r is unknown (use 'counter' or 'support'); running in support mode", mode)
        return MODE_SUPPORT
    return mode


class JournalKey:
    """Key for the crash-recovery visit journal, kept like the database key (keyring or 0600 file).

    ``in_use`` says whether journal files sealed with the key exist; then a missing key is
    an error (KeyMissingError), never a reason to make a new one that could not open them.
    A keyring that fails to answer raises KeyStoreUnavailableError (dxdesk.store.keys).
    """

    def __init__(self, desk_id: str, paths: AppPaths, in_use: Callable[[], bool] | None = None) -> None:
        self._user = f"visit-journal-key:{desk_id}"
        self._paths = paths
        self._in_use = in_use or (lambda: False)
        self._key: bytes | None = None

    def get_key(self) -> bytes:
        if self._key is None:
            from dxdesk.i18n import Msg
            from dxdesk.store.keys import KeyMissingError, get_secret, set_secret

            stored = get_secret(self._user, self._paths)
            if stored is None:
                if self._in_use():
                    log.error("visit journal key is missing but journal files exist; not creating one")
                    raise KeyMissingError(Msg(
                        "中断した受付の記録を開くキーが見つかりません。新しいキーは作成していません。"
                        "管理者に連絡してください。",
                        "The key of the interrupted-visit journal is missing while journal files exist; "
                        "no new key was made. Restore the key store.",
                    ))
                stored = base64.b64encode(os.urandom(32)).decode("ascii")
                set_secret(self._user, stored, self._paths)
            self._key = base64.b64decode(stored)
        return self._key


def _visit_journal(desk_id: str, paths: AppPaths) -> VisitJournal:
    from dxdesk.counter import VisitJournal

    # Under the data folder of this AppPaths: a training desk keeps its own journal (<data>/training/visits).
    journal = VisitJournal(directory=paths.data_dir / "visits")
    journal.key_provider = JournalKey(desk_id, paths, in_use=lambda: any(journal.directory.glob("*.json")))
    return journal


@dataclass
class AppServices:
    paths: AppPaths
    settings: Settings
    database: Database
    connectivity: ConnectivityState
    auth: AuthService
    audit: AuditLog
    audit_service: AuditService
    support_repository: SqlRepository
    settings_changes: SettingsChanges
    catalogue: Catalogue | None  # None in support mode
    journal: VisitJournal | None  # None in support mode
    visits: CounterVisits | None  # the counter's use cases; None in support mode
    mode: str = MODE_COUNTER
    card_service: CardService | None = None
    sync_scheduler: SyncScheduler | None = None
    purge_scheduler: PurgeScheduler | None = None
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    @classmethod
    def open(cls, paths: AppPaths | None = None, settings: Settings | None = None, *,
             with_card: bool = True, with_sync: bool = True, with_purge: bool = False,
             exclusive: bool = False, with_counter: bool = True,
             on_sync_result: Callable[[SyncResult | None, StoreError | None], None] | None = None,
             ) -> "AppServices":
        """Open everything; raises StoreError (with a Japanese/English message) if the database can't open.

        ``with_purge`` starts the daily retention purge (the app does; tools and tests opening
        services for a moment do not, so their audit log holds only what they did).
        ``exclusive`` takes the single-instance lock (DatabaseInUseError if another dxdesk window
        already has this database); the app does, tools that may run beside it do not.
        ``with_counter`` False skips the procedure catalogue and the visit journal (a CLI command
        about the support log or accounts has no use for them).
        """
        from dxdesk.app.settings import SettingsChanges
        from dxdesk.app.visits import CounterVisits
        from dxdesk.counter import load_catalogue
        from dxdesk.security.audit import AuditLog
        from dxdesk.security.auditview import AuditService
        from dxdesk.security.auth import AuthService
        from dxdesk.store.connectivity import ConnectivityState
        from dxdesk.store.database import open_database
        from dxdesk.support.sql_repository import SqlRepository

        paths = paths or app_paths()
        settings = settings or load_settings(paths)
        store_settings = settings.store
        if training.active(settings):
            # 研修モード: its own database, journal and keys under <data>/training/, and no server at all:
            # the process-wide switch also makes the forms and reports print 見本 (dxdesk.training).
            training.activate()
            paths = training.training_paths(paths)
            store_settings = dataclasses.replace(settings.store, server_url="", work_offline=False)
            with_sync = False
        paths = paths.ensure()
        mode = desk_mode(settings)
        counter = mode == MODE_COUNTER and with_counter
        database = open_database(settings, paths, exclusive=exclusive)
        closers: list[Callable[[], None]] = [database.close]
        try:
            connectivity = ConnectivityState(store_settings, database.pending_count,
                                             set_aside_count=database.set_aside_count)
            audit = AuditLog(database)
            catalogue = load_catalogue() if counter else None
            journal = _visit_journal(settings.general.desk_id, paths) if counter else None
            from dxdesk.app.handoff import Handoff

            visits = (CounterVisits(database, audit, catalogue, journal, settings,
                                    handoff=Handoff(settings, audit, paths))
                      if catalogue is not None and journal is not None else None)
            services = cls(
                paths=paths,
                settings=settings,
                database=database,
                connectivity=connectivity,
                auth=AuthService(database, audit, settings.security),
                audit=audit,
                audit_service=AuditService(database, audit),
                support_repository=SqlRepository(database),
                settings_changes=SettingsChanges(audit, settings, paths),
                catalogue=catalogue,
                journal=journal,
                visits=visits,
                mode=mode,
                _closers=closers,
            )
            if with_card and counter:
                from dxdesk.cardreader.service import CardService

                # require_session: no read without a signed-in clerk allowed to read cards (bind_session).
                services.card_service = CardService(settings.card, require_session=True,
                                                    training=training.active(settings))
                closers.append(services.card_service.close)
            if with_purge:
                from dxdesk.security.purgeschedule import PurgeScheduler
                from dxdesk.security.retention import RetentionService

                services.purge_scheduler = PurgeScheduler(RetentionService(database, audit, settings.security))
                services.purge_scheduler.start()
                closers.append(services.purge_scheduler.stop)
            if with_sync and settings.store.server_url:
                from dxdesk.store.sync import SyncEngine, SyncScheduler

                from dxdesk.app.maintenance import MSG_SERVER_NOT_AUDITED, MaintenanceError, configured_server_audited
                from dxdesk.store.server import server_password

                url = settings.store.server_url

                def destination_check() -> None:
                    # settings.toml edited by hand must not redirect the desk's data: only a server an
                    # administrator set (db set-server / db join, audited) is synced to, as `dxdesk sync` does.
                    if not configured_server_audited(database, url):
                        raise MaintenanceError(MSG_SERVER_NOT_AUDITED)

                engine = SyncEngine(database, settings.store, connectivity, desk_name=settings.general.desk_name,
                                    password_lookup=lambda: server_password(paths),
                                    destination_check=destination_check)
                services.sync_scheduler = SyncScheduler(engine, on_sync_result)
                services.sync_scheduler.start()
                closers.append(services.sync_scheduler.stop)
        except BaseException:
            for close in reversed(closers):
                close()
            raise
        return services

    @property
    def support_only(self) -> bool:
        return self.mode == MODE_SUPPORT

    def bind_session(self, session: Session | None) -> None:
        """Who is signed in now (None after sign-out): core services check this clerk's role."""
        if self.card_service is not None:
            self.card_service.bind_session(session)

    def support_service(self, session: Session) -> SupportService:
        """The support log for ``session``: role checks, and audit events in the change's transaction."""
        from dxdesk.support.service import SupportService

        return SupportService(self.support_repository, session, self.audit)

    def home_summary(self, session: Session) -> HomeSummary:
        """Today's figures this person may see (blocks on the database: call it from a worker)."""
        from dxdesk.app.dashboard import load_home_summary, visible_figures
        from dxdesk.security.permissions import Permission

        visits, support = visible_figures(session, counter_desk=not self.support_only)
        # Failing background jobs (the retention purge) reach those who oversee the desk.
        oversee = session.can(Permission.VIEW_AUDIT) or session.can(Permission.MANAGE_SETTINGS)
        return load_home_summary(self.database, visits=visits, support=support, problems=oversee,
                                 server_configured=bool(self.settings.store.server_url))

    def close(self) -> None:
        while self._closers:
            close = self._closers.pop()
            try:
                close()
            except Exception:  # closing must go on: the database must still be closed
                log.exception("error while shutting down %s", getattr(close, "__qualname__", close))
