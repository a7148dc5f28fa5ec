"""Training mode (研修モード) keeps its records apart: own database, journal and keys; no outbox, no sync."""
from __future__ import annotations

import logging
import os
import sqlite3
from contextlib import closing

import pytest

from dxdesk import training
from dxdesk.cli import build_parser, main
from dxdesk.config import Settings, load_settings, save_settings
from dxdesk.paths import app_paths
from dxdesk.services import AppServices
from dxdesk.store.keys import database_key_user, secret_location
from dxdesk.store.sync import SyncEngine, SyncError

# A server that would be synced to if this were a normal desk (nothing listens there).
SERVER_URL = "postgresql+psycopg://dxdesk@127.0.0.1:9/dxdesk"


def _sign_in_and_add_a_clerk(services: AppServices) -> None:
    admin = services.auth.create_first_admin("admin", "管理者", "correct horse 1")
    services.auth.create_account(admin, "clerk", "窓口 さん", "clerk", "correct horse 2")
    services.auth.sign_in("clerk", "correct horse 2")


def _outbox_rows(path) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


def _accounts(path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM clerks").fetchone()[0])


def test_training_desk_has_its_own_database_never_synced_and_no_outbox(dxdesk_home):
    base = app_paths()
    settings = load_settings(base)
    settings.general.training = True
    settings.store.server_url = SERVER_URL  # a joined desk: training must still never sync
    save_settings(settings, base)

    services = AppServices.open(settings=settings, with_card=False)
    try:
        assert training.active()
        db_path = services.database.path
        assert db_path == base.data_dir / "training" / "dxdesk.sqlite3"
        assert db_path != base.database_file
        assert services.database.training
        assert services.sync_scheduler is None  # no sync thread at all
        assert services.journal.directory == base.data_dir / "training" / "visits"
        assert services.connectivity.mode.name == "DISABLED"
        _sign_in_and_add_a_clerk(services)
        with pytest.raises(SyncError):  # not even "sync now" can send a training record
            SyncEngine(services.database, settings.store)
        # The training database has its own key, not the desk's.
        user = database_key_user(settings.general.desk_id)
        assert secret_location(user, services.paths) is not None
        assert secret_location(user, base) is None
    finally:
        services.close()
    assert _accounts(db_path) == 2
    assert _outbox_rows(db_path) == 0  # training records never reach the outbox
    assert not base.database_file.exists()  # the desk's real database was never even created

    # The same actions at a normal town desk do fill the outbox (so the check above can fail). A desk
    # that never had a server queues nothing either (issue #17): this one has one.
    from dxdesk.store.session import start_queuing

    os.environ[training.TRAINING_ENV] = "0"
    settings.general.training = False
    real = AppServices.open(settings=settings, with_card=False, with_sync=False)
    try:
        assert real.database.path == base.database_file and not real.database.training
        real.database.writer.run(start_queuing)
        before = _outbox_rows(base.database_file)
        _sign_in_and_add_a_clerk(real)
    finally:
        real.close()
    assert _outbox_rows(base.database_file) > before
    assert _accounts(db_path) == 2  # and the training database was left alone


def test_training_flag_and_setting_switch_the_whole_process(dxdesk_home, capsys):
    assert build_parser().parse_args(["--training"]).training
    assert not training.active()
    assert main(["--training", "form", "list"]) == 0
    assert training.active()
    assert app_paths().data_dir == dxdesk_home / "data" / "training"

    os.environ[training.TRAINING_ENV] = "0"
    assert app_paths().data_dir == dxdesk_home / "data"
    settings = Settings()
    settings.general.training = True
    save_settings(settings, app_paths())
    assert main(["form", "list"]) == 0
    assert training.active()
    assert app_paths().data_dir == dxdesk_home / "data" / "training"


def test_old_settings_with_simulate_when_no_reader_still_load(dxdesk_home, caplog):
    paths = app_paths().ensure()
    paths.settings_file.write_text(
        'version = 1\n[general]\ndesk_id = "d-1"\n[card]\nreader_prefix = "SONY"\nsimulate_when_no_reader = true\n',
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING):
        settings = load_settings(paths)
    assert settings.card.reader_prefix == "SONY" and not settings.general.training
    assert settings.version == 2
    assert not hasattr(settings.card, "simulate_when_no_reader")
    assert "simulate_when_no_reader" not in caplog.text  # dropped by the upgrade, not warned about


def test_training_settings_start_as_the_desks_and_never_change_them(dxdesk_home):
    desk_paths = app_paths()
    desk = load_settings(desk_paths)
    desk.general.municipality = "研修町"
    desk.store.server_url = SERVER_URL
    save_settings(desk, desk_paths)
    desk_file = desk_paths.settings_file.read_bytes()

    training.activate()
    paths = app_paths()
    assert paths.settings_file == dxdesk_home / "data" / "training" / "config" / "settings.toml"
    practice = load_settings(paths)
    assert practice.general.municipality == "研修町"  # a copy of the desk's settings to start with
    practice.general.municipality = "練習で変えた町"
    practice.store.server_url = "postgresql+psycopg://elsewhere/dxdesk"
    save_settings(practice, paths)  # what the admin page does in training mode
    assert load_settings(paths).general.municipality == "練習で変えた町"
    assert desk_paths.settings_file.read_bytes() == desk_file  # the real desk's settings are untouched


def test_sync_refuses_in_training_mode_even_with_a_server_set(dxdesk_home, capsys):
    training.activate()
    settings = load_settings(app_paths())  # the training desk's own settings
    settings.store.server_url = SERVER_URL
    save_settings(settings, app_paths())
    assert main(["--training", "sync"]) == 2
    assert "training mode never syncs" in capsys.readouterr().err
