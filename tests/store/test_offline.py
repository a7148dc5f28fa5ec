from __future__ import annotations

import socket
from datetime import datetime, timezone

import pytest

from dxdesk.i18n import Msg
from dxdesk.store.connectivity import ConnectivityMode, ConnectivityState, StoreStatus
from dxdesk.store.servertls import INSECURE, ServerTLS
from dxdesk.store.server import CONNECT_TIMEOUT_S, ServerConfigError, create_server_engine, parse_server_url
from dxdesk.store.sync import ServerUnreachableError, SyncEngine

from .conftest import desk_settings
from .test_writer import _session


def _closed_port() -> int:
    with socket.socket() as s:  # bound then released: nothing listens there
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_server_means_offline_mode_and_work_continues(make_db):
    settings = desk_settings(server_url=f"postgresql://dxdesk@127.0.0.1:{_closed_port()}/dxdesk", lab_no_tls=True)
    db = make_db(settings=settings)  # opening never touches the server
    engine = SyncEngine(db, settings.store)
    assert engine.connectivity.mode is ConnectivityMode.OFFLINE

    db.writer.run(lambda s: s.add(_session()))
    with pytest.raises(ServerUnreachableError) as info:
        engine.run_once()
    assert "オフラインで業務を続けられます" in info.value.message.ja
    status = engine.connectivity.status()
    assert status == StoreStatus(ConnectivityMode.OFFLINE, 1, None, info.value.message)
    assert engine.connectivity.status_text("ja") == "オフライン — 未送信 1件"
    assert engine.connectivity.status_text("en") == "Offline — 1 waiting to sync"

    db.writer.run(lambda s: s.add(_session()))  # still saving locally
    assert db.pending_count() == 2


def test_server_engine_uses_a_short_connect_timeout():
    engine = create_server_engine("postgresql://dxdesk@server.example/dxdesk", "secret", ServerTLS(INSECURE))
    try:
        assert engine.url.query["connect_timeout"] == str(CONNECT_TIMEOUT_S) == "3"
        assert engine.url.drivername == "postgresql+psycopg" and engine.url.password == "secret"
    finally:
        engine.dispose()
    assert "secret" not in repr(engine.url)


@pytest.mark.parametrize("url, fragment", [
    ("mysql://x@h/db", "PostgreSQL URL"),
    ("postgresql://u:pw@h/db", "do not put the password"),
    ("not a url", "invalid server URL"),
])
def test_bad_server_urls_are_explained(url, fragment):
    with pytest.raises(ServerConfigError, match=fragment):
        parse_server_url(url)


def test_modes_and_the_one_switch():
    settings = desk_settings().store
    state = ConnectivityState(settings, pending_count=lambda: 12)
    assert state.mode is ConnectivityMode.DISABLED and not state.should_sync()
    assert state.status_text("ja") == "ローカル保存のみ（サーバー未設定）"

    settings.server_url = "postgresql://dxdesk@server/dxdesk"
    assert state.mode is ConnectivityMode.OFFLINE  # configured, not reached yet
    state.report_success(datetime.now(timezone.utc))
    assert state.status_text("ja") == "オンライン — 未送信 12件"

    state.set_work_offline(True)
    assert state.mode is ConnectivityMode.MANUAL_OFFLINE and not state.should_sync()
    assert state.status_text("en") == "Offline (manual) — 12 waiting to sync"
    state.set_work_offline(False)
    state.report_failure(Msg("x", "x"))
    assert state.status_text("ja") == "オフライン — 未送信 12件"
