"""Status is always true (#13 item 7): sync failures are shown as such, never "Online"."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text

from dxdesk.cli import main
from dxdesk.config import SecuritySettings, load_settings
from dxdesk.doctor import Status
from dxdesk.paths import app_paths
from dxdesk.security.purgeschedule import PurgeScheduler
from dxdesk.security.retention import RetentionService
from dxdesk.store.connectivity import ConnectivityMode
from dxdesk.store.database import open_database
from dxdesk.store.health import doctor_check
from dxdesk.store.problems import PURGE, current_problems
from dxdesk.store.server import parse_server_url
from dxdesk.store.sync import SyncEngine

from .conftest import desk_settings
from .test_sync_pg import _support


def _engine(make_db, url, name="desk-a"):
    settings = desk_settings(server_url=url, lab_no_tls=True)
    db = make_db(name, settings=settings)
    return db, SyncEngine(db, settings.store)


@pytest.mark.postgres
def test_refused_sign_in_is_shown_as_authentication_not_online(make_db, pg_url):
    db, engine = _engine(make_db, pg_url)
    assert engine.run_once().pending == 0
    assert engine.connectivity.status().mode is ConnectivityMode.ONLINE
    assert engine.connectivity.status_text("en").startswith("Online")

    wrong = parse_server_url(pg_url).set(username="no_such_role").render_as_string(hide_password=False)
    bad = SyncEngine(db, engine.settings, connectivity=engine.connectivity,
                     server_engine=create_engine(wrong))
    _support(db)
    with pytest.raises(Exception) as caught:
        bad.run_once()
    assert type(caught.value).__name__ == "SyncAuthError"
    text_en = engine.connectivity.status_text("en")
    assert text_en == "Sync error: server sign-in refused — 1 waiting to sync"
    assert "認証" in engine.connectivity.status_text("ja")


@pytest.mark.postgres
def test_server_schema_newer_than_this_dxdesk_is_shown_as_such(make_db, pg_url):
    db, engine = _engine(make_db, pg_url)
    engine.run_once()
    server = create_engine(parse_server_url(pg_url))
    with server.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    server.dispose()
    fresh = SyncEngine(db, engine.settings)
    with pytest.raises(Exception) as caught:
        fresh.run_once()
    assert type(caught.value).__name__ == "ServerSchemaTooNewError"
    assert fresh.connectivity.status_text("en").startswith("Sync error: server schema is newer")


@pytest.mark.postgres
def test_set_aside_records_show_in_status_db_status_and_doctor(make_db, pg_url, capsys, desk_accounts):
    # An administrator points the desk at the throw-away cluster on 127.0.0.1 (lab opt-out: no TLS there).
    assert main(["db", "set-server", pg_url, "--no-password", "--insecure-no-tls", "--as", "admin"]) == 0
    settings = load_settings(app_paths())
    db = open_database()
    try:
        engine = SyncEngine(db, settings.store)
        engine.run_once()
        server = create_engine(parse_server_url(pg_url))
        with server.begin() as conn:
            conn.execute(text("ALTER TABLE support_sessions ADD CONSTRAINT ck_t CHECK (attendees < 100)"))
        server.dispose()
        _support(db, attendees=500)
        _support(db)
        result = engine.run_once()
        assert (result.sent, result.set_aside) == (1, 1)
        assert engine.connectivity.status_text("en") == \
            "Sync: 1 set aside (refused by the server) — 0 waiting to sync"
    finally:
        db.close()
    capsys.readouterr()
    assert main(["db", "status"]) == 0
    out = capsys.readouterr().out
    assert "set aside: support_sessions" in out and "check failed (ck_t" in out and "--retry-set-aside" in out
    check = doctor_check(app_paths())
    assert check.status is Status.WARN and "1 record(s) refused by the server" in check.detail
    assert main(["sync"]) == 1  # nothing new to send, but the set-aside record is reported
    assert "set aside (refused by the server): 1" in capsys.readouterr().out


def test_an_unexpected_sync_failure_is_not_online(db):
    settings = desk_settings(server_url="postgresql://dxdesk@server.example/dxdesk")
    engine = SyncEngine(db, settings.store)
    engine.connectivity.report_success(__import__("datetime").datetime.now())

    def broken() -> None:
        raise RuntimeError("a bug")
    engine.server = broken  # type: ignore[method-assign]
    with pytest.raises(Exception):
        engine.run_once()
    assert engine.connectivity.status_text("en").startswith("Sync error")


def test_a_failing_purge_reaches_doctor_and_the_home_summary():
    from dxdesk.security.audit import AuditLog

    failed = threading.Event()
    db = open_database()

    class BrokenRetention(RetentionService):
        def purge_as_system(self):
            failed.set()
            raise OSError("disk gone")

    try:
        scheduler = PurgeScheduler(BrokenRetention(db, AuditLog(db), SecuritySettings()))
        scheduler.start()
        assert failed.wait(30)
        scheduler.stop()
        assert current_problems(db)[PURGE][0] == "retention purge failed (OSError)"

        from dxdesk.app.dashboard import load_home_summary

        assert load_home_summary(db, visits=False, support=False, problems=True).problems == (PURGE,)
        assert load_home_summary(db, visits=False, support=False).problems == ()
    finally:
        db.close()
    check = doctor_check(app_paths())
    assert check.status is Status.WARN and "purge: retention purge failed (OSError)" in check.detail


@pytest.mark.parametrize(("driver_text", "kind", "label"), [
    ("connection failed: SSL error: certificate verify failed", "SyncTlsError", "Sync error: TLS"),
    ('connection failed: FATAL:  password authentication failed for user "dxdesk"', "SyncAuthError",
     "Sync error: server sign-in refused"),
    ("connection to server at 10.0.0.5 failed: timeout expired", "ServerUnreachableError", None),
])
def test_connection_failures_are_told_apart(db, driver_text, kind, label):
    import sqlalchemy.exc as sa_exc

    settings = desk_settings(server_url="postgresql://dxdesk@server.example/dxdesk")
    engine = SyncEngine(db, settings.store)

    def failing():
        raise sa_exc.OperationalError("connect", {}, Exception(driver_text))
    engine.server = failing  # type: ignore[method-assign]
    with pytest.raises(Exception) as caught:
        engine.run_once()
    assert type(caught.value).__name__ == kind
    status = engine.connectivity.status_text("en")
    assert status.startswith(label) if label else status.startswith("Offline")


@pytest.mark.postgres
def test_the_window_sync_never_follows_a_server_edited_into_settings_by_hand(pg_url, desk_accounts):
    """settings.toml edited by hand (no audited db set-server) must not redirect the window's sync."""
    from dxdesk.app.maintenance import MaintenanceError
    from dxdesk.services import AppServices
    from dxdesk.store.servertls import INSECURE

    settings = load_settings(app_paths())
    settings.store.server_url = pg_url
    settings.store.server_tls = INSECURE
    settings.store.sync_interval_s = 3600  # the scheduler's own first run is enough; this test calls it too
    services = AppServices.open(settings=settings, with_card=False)
    try:
        assert services.sync_scheduler is not None
        with pytest.raises(MaintenanceError):
            services.sync_scheduler.engine.run_once()
        status = services.connectivity.status_text("en")
        assert not status.startswith("Online") and "Sync error" in status, status
        from dxdesk.store.session import queuing

        # Refused before anything was queued for that server (queuing starts only with an audited server).
        with services.database.session() as s:
            assert not queuing(s)
        assert services.database.pending_count() == 0
    finally:
        services.close()
