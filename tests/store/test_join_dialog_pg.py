"""The first-start join dialog against a real PostgreSQL (the town's first desk made with the core)."""
from __future__ import annotations

import pytest

from dxdesk.config import load_settings
from dxdesk.security.auth import AuthService
from dxdesk.security.join import DeskJoin, join_town
from dxdesk.security.passwords import ScryptParams
from dxdesk.security.permissions import Role
from dxdesk.security.townkey import fingerprint
from dxdesk.store.models import TownTrust
from dxdesk.store.server import create_server_engine
from dxdesk.store.servertls import INSECURE, ServerTLS
from dxdesk.store.sync import SyncEngine
from dxdesk.ui.security.join_dialog import JoinServerDialog
from dxdesk.ui.tasks import TaskRunner

from .conftest import desk_paths, desk_settings

pytestmark = [pytest.mark.postgres, pytest.mark.ui]

FAST = ScryptParams(n=2**6, r=8, p=1)
ADMIN_PW = "town key holder 1x"


@pytest.fixture
def runner():
    r = TaskRunner()
    yield r
    r.shutdown()


def _town(make_db, pg_url) -> str:
    settings = desk_settings(server_url=pg_url, lab_no_tls=True)
    a = make_db("desk-a", settings=settings)
    AuthService(a, params=FAST).create_first_admin("admin", "町の管理者", ADMIN_PW)
    server = create_server_engine(pg_url, tls=ServerTLS(INSECURE))
    try:
        join_town(a, server, "admin", ADMIN_PW, desk_name="desk-a", server_host="test", confirm=lambda fp: True)
    finally:
        server.dispose()
    SyncEngine(a, settings.store).run_once()  # the town's first desk shares its accounts and key
    with a.session() as s:
        return fingerprint(s.get(TownTrust, "public_key").value)


def test_join_dialog_checks_shows_fingerprint_then_joins_and_signs_in(qtbot, make_db, pg_url, tmp_path, runner):
    town_fingerprint = _town(make_db, pg_url)
    settings = desk_settings(lab_no_tls=True)  # the throw-away cluster has no TLS: the lab opt-out
    paths = desk_paths(tmp_path / "desk-b")
    db = make_db("desk-b", settings=settings)
    auth = AuthService(db, params=FAST, failure_delay_s=0)
    assert auth.needs_first_admin()
    dialog = JoinServerDialog(DeskJoin(db, settings, paths), auth, runner)
    qtbot.addWidget(dialog)
    dialog.show()

    dialog.url_edit.setText(pg_url)
    dialog.login_edit.setText("admin")
    dialog.password_edit.setText("not the password")
    with qtbot.waitSignal(dialog.failed, timeout=20000):
        dialog.ok_button.click()
    assert "パスワードが違います" in dialog.error.text() and not dialog.fingerprint_label.isVisible()

    dialog.password_edit.setText(ADMIN_PW)
    with qtbot.waitSignal(dialog.checked, timeout=20000) as shown:
        dialog.ok_button.click()
    assert shown.args == [town_fingerprint] and town_fingerprint in dialog.fingerprint_label.text()
    assert auth.needs_first_admin()  # nothing changed on the desk before the administrator's "same"
    with qtbot.waitSignal(dialog.joined, timeout=30000) as joined:
        dialog.ok_button.click()
    session = joined.args[0]
    assert (session.login, session.role) == ("admin", Role.ADMINISTRATOR)
    assert load_settings(paths).store.server_url == pg_url
    assert not auth.needs_first_admin() and auth.can_sign(session)
