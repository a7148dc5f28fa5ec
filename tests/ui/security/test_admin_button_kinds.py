"""Each admin tab shows its main action as the primary button and deactivation as the danger one."""
from __future__ import annotations

import pytest
from accounts import add_ready_account

from dxdesk.config import load_settings
from dxdesk.security.auditview import AuditService
from dxdesk.security.permissions import Role
from dxdesk.store.connectivity import ConnectivityState
from dxdesk.ui.admin import AdminPage

from .conftest import PASSWORD

pytestmark = pytest.mark.ui


def test_main_actions_are_primary_and_deactivate_is_danger(qtbot, auth, db, runner, admin):
    settings = load_settings()
    auth.create_account(admin, "clerk1", "窓口 一郎", Role.CLERK, PASSWORD)
    page = AdminPage(admin, auth, AuditService(db, auth.audit), ConnectivityState(settings.store, db.pending_count),
                     settings, runner, printers=["Counter-Printer-A"])
    qtbot.addWidget(page)
    page.show()
    accounts = page.accounts_tab
    assert accounts.add_button.property("kind") == "primary"
    assert page.connection_tab.sync_button.property("kind") == "primary"
    assert page.calibration_tab.save_button.property("kind") == "primary"

    qtbot.waitUntil(lambda: accounts.table.rowCount() == 2, timeout=5000)
    accounts.select_login("clerk1")
    assert accounts.active_button.text() == "無効にする"
    assert accounts.active_button.property("kind") == "danger"
    auth.deactivate_account(admin, "clerk1")
    accounts.refresh()
    qtbot.waitUntil(lambda: accounts.active_button.text() == "有効にする", timeout=5000)
    assert accounts.active_button.property("kind") == "secondary"  # giving access back is not destructive


def test_audit_search_is_primary_for_a_supervisor(qtbot, auth, db, runner, admin):
    settings = load_settings()
    supervisor = add_ready_account(auth, admin, "super1", "監督 花子", Role.SUPERVISOR, PASSWORD)
    page = AdminPage(supervisor, auth, AuditService(db, auth.audit),
                     ConnectivityState(settings.store, db.pending_count), settings, runner)
    qtbot.addWidget(page)
    assert page.audit_tab.search_button.property("kind") == "primary"
