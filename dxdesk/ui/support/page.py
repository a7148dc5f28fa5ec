"""SupportPage: the support-session log screen (tabs 記録 / 一覧 / レポート).

Built by the app bootstrap with core services::

    SupportPage(repository, catalog, settings, runner=task_runner)

``repository`` is any :class:`dxdesk.support.repository.SupportRepository` (the SQL one
in the app, the in-memory one in tests), ``catalog`` its :class:`Catalog`, ``settings``
the app :class:`dxdesk.config.Settings` (``general.municipality`` for report titles,
``support.default_*`` for the venue/helper remembered between records).
"""
from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from dxdesk.config import Settings, save_settings
from dxdesk.i18n import current_language, tr
from dxdesk.support.catalog import Catalog, Venue
from dxdesk.support.model import SupportSession, local_now
from dxdesk.support.repository import SessionQuery, SupportRepository
from dxdesk.ui.focus import focus_first_control
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.support.entry import DayDefaults, EntryForm
from dxdesk.ui.errors import error_text
from dxdesk.ui.support.jobs import Jobs, field_errors
from dxdesk.ui.support.list import SessionListTab
from dxdesk.ui.support.reports import ReportsTab
from dxdesk.ui.support.widgets import STYLE_SHEET
from dxdesk.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

TAB_ENTRY, TAB_LIST, TAB_REPORTS = 0, 1, 2


def confirmation_text(s: SupportSession, catalog: Catalog, today_count: int) -> str:
    topics = catalog.topic_label(s.topics[0], current_language())
    if len(s.topics) > 1:
        topics += tr(" ほか{count}件").format(count=len(s.topics) - 1)
    return tr("✓ 記録しました　{time}　{venue}　{topics}　{minutes}分（本日 {count} 件目）").format(
        time=f"{s.started_at:%H:%M}", venue=s.venue, topics=topics, minutes=s.duration_minutes, count=today_count)


class SupportPage(QWidget):
    session_saved = Signal(object)  # SupportSession as stored

    def __init__(
        self,
        repository: SupportRepository,
        catalog: Catalog,
        settings: Settings,
        runner: TaskRunner | None = None,
        clock: Callable[[], datetime] = local_now,
    ) -> None:
        super().__init__()
        self.setObjectName("supportPage")
        self.setStyleSheet(STYLE_SHEET)
        self._repository = repository
        self._catalog = catalog
        self._settings = settings
        self._clock = clock
        self._own_runner = runner is None
        self.runner = runner or TaskRunner(max_workers=1)
        self.jobs = Jobs(self.runner, self)

        remembered = settings.support
        default_venue = catalog.venue(remembered.default_venue)
        self.entry = EntryForm(
            catalog,
            clock,
            DayDefaults(
                venue=remembered.default_venue,
                venue_type=default_venue.venue_type if default_venue else "",
                helper_name=remembered.default_helper_name,
                helper_role=remembered.default_helper_role,
            ),
        )
        self.entry.notes_synced = not settings.store.keep_support_notes_on_desk
        self.list = SessionListTab(repository, catalog, self.jobs, clock, lambda: self.entry.day_defaults().helper_name)
        self.reports = ReportsTab(repository, catalog, self.jobs, clock, settings.general.municipality)

        self.tabs = QTabWidget()
        self.tabs.setFont(ui_font(14))
        self.tabs.setDocumentMode(True)
        # Tabs switch with Ctrl+Tab / Ctrl+Shift+Tab; a focusable tab bar would only add a Tab stop
        # outside the form (and outside the reach of the form's Alt shortcuts).
        self.tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.tabs.addTab(self.entry, tr("記録"))
        self.tabs.addTab(self.list, tr("一覧"))
        self.tabs.addTab(self.reports, tr("レポート"))
        self._apply_role()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 4)
        layout.addWidget(self.tabs)

        self.entry.submitted.connect(self._save)
        self.list.changed.connect(self.reports.refresh)
        self.tabs.currentChanged.connect(self._tab_changed)
        if self.tabs.currentIndex() == TAB_LIST:  # a supervisor opens on the list: load it (off the GUI thread)
            self.list.refresh()
        self.setFocusProxy(self.entry.topics.buttons[0] if self.entry.topics.buttons else self.entry)

    def _apply_role(self) -> None:
        """Hide the tabs the signed-in person cannot use (the service would refuse them anyway).

        A :class:`~dxdesk.support.service.SupportService` knows its session; a bare repository (tests,
        tools) has no role to apply. Hidden, not removed: tab indexes (TAB_*) stay the same.
        """
        session = getattr(self._repository, "session", None)
        if session is None or not hasattr(session, "can"):
            return
        from dxdesk.security.permissions import Permission

        self.tabs.setTabVisible(TAB_ENTRY, session.can(Permission.LOG_SUPPORT))
        self.list.importer.setVisible(session.can(Permission.LOG_SUPPORT))  # importing is logging sessions
        self.list.set_editable(session.can(Permission.LOG_SUPPORT))
        self.tabs.setTabVisible(TAB_REPORTS, session.can(Permission.VIEW_REPORTS))
        if not self.tabs.isTabVisible(TAB_ENTRY):
            self.tabs.setCurrentIndex(TAB_LIST)  # a supervisor reads; they do not log sessions

    def tab_titles(self) -> list[str]:
        """The tabs this person sees."""
        return [self.tabs.tabText(i) for i in range(self.tabs.count()) if self.tabs.isTabVisible(i)]

    def focus_first(self) -> None:
        """Ctrl+N lands on the open tab's first control (the topic grid on 記録)."""
        index = self.tabs.currentIndex()
        if index == TAB_ENTRY:
            self.entry.topics.focus()
            return
        focus_first_control(self.tabs.currentWidget())

    # --- tabs -------------------------------------------------------------------
    def _tab_changed(self, index: int) -> None:
        # Lists are cheap to reload and may have changed (another PC syncs, a save here).
        if index == TAB_LIST:
            self.list.refresh()
        elif index == TAB_REPORTS:
            self.reports.refresh()
        elif index == TAB_ENTRY:
            self.entry.topics.focus()

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)

    # --- saving a new record ------------------------------------------------------
    def _save(self, session: SupportSession) -> None:
        defaults = self.entry.day_defaults()
        repo = self._repository
        catalog = self._catalog
        today = session.started_at.date()

        def work() -> tuple[SupportSession, Catalog | None, int]:
            saved = repo.add(session, by=session.logged_by)
            new_catalog = None
            known = catalog.venue(saved.venue)
            if known is None or known.venue_type != saved.venue_type:
                # Next time, picking this venue fills in its type.
                new_catalog = repo.save_venue(Venue(saved.venue, saved.venue_type))
            today_count = len(repo.list(SessionQuery(date_from=today, date_to=today)))
            return saved, new_catalog, today_count

        self.jobs.run("add session", work, lambda r: self._saved(*r, defaults=defaults), self._save_failed)

    def _saved(self, saved: SupportSession, new_catalog: Catalog | None, today_count: int, *,
               defaults: DayDefaults) -> None:
        if new_catalog is not None:
            self._catalog = new_catalog
            self.entry.set_catalog(new_catalog)
        self._remember(defaults)
        self.entry.save_succeeded(saved, confirmation_text(saved, self._catalog, today_count))
        self.session_saved.emit(saved)

    def _save_failed(self, exc: BaseException) -> None:
        self.entry.save_failed(error_text(exc), field_errors(exc))

    def _remember(self, d: DayDefaults) -> None:
        current = self._settings.support
        wanted = dataclasses.replace(
            current, default_venue=d.venue, default_helper_name=d.helper_name, default_helper_role=d.helper_role
        )
        if wanted == current:
            return
        self._settings.support = wanted
        try:
            save_settings(self._settings)
        except OSError as exc:  # not worth interrupting a volunteer: the record itself is saved
            log.warning("support: could not remember venue/helper in settings (%s)", type(exc).__name__)

    def shutdown(self) -> None:
        """Stop the page's own worker thread (only when it created one)."""
        if self._own_runner:
            self.runner.shutdown()
