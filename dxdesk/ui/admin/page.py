"""The 管理 page: one tab per administrative area, shown only when the role allows it.

Hiding a tab is convenience, not security: every service call checks the role again
and a refusal arrives as PermissionDeniedError, shown as its Japanese message.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from dxdesk.app.handoff import Handoff
from dxdesk.app.recovery import RecoveryKeys
from dxdesk.app.settings import SettingsChanges
from dxdesk.config import Settings
from dxdesk.i18n import N_, tr
from dxdesk.paths import AppPaths
from dxdesk.security.auditview import AuditService
from dxdesk.security.auth import AuthService
from dxdesk.security.permissions import Permission, Session
from dxdesk.store.connectivity import ConnectivityState
from dxdesk.store.sync import SyncResult
from dxdesk.ui.admin.accounts import AccountsTab
from dxdesk.ui.admin.audit import AuditTab
from dxdesk.ui.admin.calibration import CalibrationTab
from dxdesk.ui.admin.connection import ConnectionTab
from dxdesk.ui.admin.display import DisplayTab
from dxdesk.ui.admin.handoff import HandoffTab
from dxdesk.ui.admin.recovery import RecoveryTab
from dxdesk.ui.focus import focus_first_control
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.tasks import TaskRunner
from dxdesk.ui.theme import SECTION_PT, heading

# Tab titles are msgids: shown through tr(), and show_tab() accepts them in either language.
TAB_ACCOUNTS = N_("アカウント")
TAB_AUDIT = N_("監査ログ")
TAB_CONNECTION = N_("接続・同期")
TAB_CALIBRATION = N_("プリンタ調整")
TAB_DISPLAY = N_("表示設定")
TAB_RECOVERY = N_("復旧キー")
TAB_HANDOFF = N_("データ引き渡し")

# Which permission opens which tab (the role table itself lives in dxdesk.security.permissions).
TAB_PERMISSIONS: dict[str, Permission] = {
    TAB_ACCOUNTS: Permission.MANAGE_ACCOUNTS,
    TAB_AUDIT: Permission.VIEW_AUDIT,
    TAB_CONNECTION: Permission.MANAGE_SETTINGS,
    TAB_CALIBRATION: Permission.MANAGE_SETTINGS,
    TAB_DISPLAY: Permission.MANAGE_SETTINGS,
    TAB_RECOVERY: Permission.MANAGE_KEYS,
    TAB_HANDOFF: Permission.MANAGE_SETTINGS,
}


class AdminPage(QWidget):
    def __init__(self, session: Session, auth: AuthService, audit_service: AuditService,
                 connectivity: ConnectivityState, settings: Settings, runner: TaskRunner,
                 parent: QWidget | None = None, *, sync: Callable[[], SyncResult | None] | None = None,
                 paths: AppPaths | None = None, printers: list[str] | None = None,
                 changes: SettingsChanges | None = None, recovery: RecoveryKeys | None = None,
                 handoff: Handoff | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("adminPage")
        self.setFont(ui_font(12))
        self.session = session
        self.tabs = QTabWidget(self)
        self.accounts_tab: AccountsTab | None = None
        self.audit_tab: AuditTab | None = None
        self.connection_tab: ConnectionTab | None = None
        self.calibration_tab: CalibrationTab | None = None
        self.display_tab: DisplayTab | None = None
        self.recovery_tab: RecoveryTab | None = None
        self.handoff_tab: HandoffTab | None = None
        # Every settings tab saves through the one audited use case (the app's, or one on this audit log).
        changes = changes or SettingsChanges(audit_service.audit, settings, paths)

        if session.can(TAB_PERMISSIONS[TAB_ACCOUNTS]):
            self.accounts_tab = AccountsTab(session, auth, runner, self)
            self.tabs.addTab(self.accounts_tab, tr(TAB_ACCOUNTS))
            self.accounts_tab.refresh()
        if session.can(TAB_PERMISSIONS[TAB_AUDIT]):
            self.audit_tab = AuditTab(session, audit_service, runner, self)
            self.tabs.addTab(self.audit_tab, tr(TAB_AUDIT))
            self.audit_tab.refresh()
        if session.can(TAB_PERMISSIONS[TAB_CONNECTION]):
            self.connection_tab = ConnectionTab(session, connectivity, settings, runner, sync=sync,
                                                changes=changes, parent=self)
            self.tabs.addTab(self.connection_tab, tr(TAB_CONNECTION))
        if session.can(TAB_PERMISSIONS[TAB_CALIBRATION]):
            self.calibration_tab = CalibrationTab(session, settings, runner, changes=changes,
                                                  printers=printers, parent=self)
            self.tabs.addTab(self.calibration_tab, tr(TAB_CALIBRATION))
        if session.can(TAB_PERMISSIONS[TAB_DISPLAY]):
            self.display_tab = DisplayTab(session, settings, runner, changes=changes, parent=self)
            self.tabs.addTab(self.display_tab, tr(TAB_DISPLAY))
        if session.can(TAB_PERMISSIONS[TAB_RECOVERY]):
            recovery = recovery or RecoveryKeys(audit_service.database, audit_service.audit,
                                                settings.general.municipality)
            self.recovery_tab = RecoveryTab(session, recovery, runner, parent=self)
            self.tabs.addTab(self.recovery_tab, tr(TAB_RECOVERY))
        if session.can(TAB_PERMISSIONS[TAB_HANDOFF]):
            # On the shared Settings: the counter's printing reads the hand-off setting from it.
            handoff = handoff or Handoff(settings, audit_service.audit, paths)
            self.handoff_tab = HandoffTab(session, handoff, runner, parent=self)
            self.tabs.addTab(self.handoff_tab, tr(TAB_HANDOFF))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        title = heading(tr("管理"), SECTION_PT, self)
        who = QLabel(tr("{name}（{role}）").format(name=session.display_name, role=session.role.label.text()), self)
        who.setProperty("role", "hint")
        layout.addWidget(title)
        layout.addWidget(who)
        if self.tabs.count():
            layout.addWidget(self.tabs, 1)
        else:
            self.tabs.hide()
            empty = QLabel(tr("この役割で使える管理機能はありません。"), self)
            empty.setProperty("role", "hint")
            layout.addWidget(empty)
            layout.addStretch(1)

    def shutdown(self) -> None:
        """Stop background polling before the services close (sign-out, quit)."""
        if self.connection_tab is not None:
            self.connection_tab.shutdown()

    def focus_first(self) -> None:
        """Ctrl+N lands here: the first control of the open tab (not the tab bar)."""
        tab = self.tabs.currentWidget()
        focus_first_control(tab if tab is not None else self)

    def tab_titles(self) -> list[str]:
        return [self.tabs.tabText(i) for i in range(self.tabs.count())]

    def show_tab(self, title: str) -> bool:
        """``title`` as shown, or its Japanese msgid (e.g. TAB_CALIBRATION) in any language."""
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i) in (title, tr(title)):
                self.tabs.setCurrentIndex(i)
                return True
        return False
