"""A supporter's laptop (general.mode = "support") never gets card or visit machinery."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timezone

from dxdesk.config import Settings, load_settings
from dxdesk.counter.journal import default_journal_dir
from dxdesk.paths import app_paths
from dxdesk.security.permissions import Role, Session
from dxdesk.app.composition import AppServices, desk_mode
from dxdesk.support.service import SupportService


def _settings(mode: str) -> Settings:
    settings = load_settings()
    settings.general.mode = mode
    return settings


def _card_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("card-io")]


def test_support_mode_opens_no_card_service_journal_or_catalogue():
    before = _card_threads()
    services = AppServices.open(settings=_settings("support"), with_card=True, with_sync=False)
    try:
        assert services.support_only
        assert services.card_service is None and services.journal is None and services.catalogue is None
        assert not default_journal_dir().exists()
        assert _card_threads() == before
        services.bind_session(None)  # nothing to bind: must not fail
        session = Session("s1", "vol", "支援員", Role.SUPPORTER, datetime.now(timezone.utc))
        assert isinstance(services.support_service(session), SupportService)
    finally:
        services.close()
    assert not default_journal_dir().exists()
    assert not (app_paths().data_dir / "visits").exists()


def test_counter_mode_card_service_requires_a_signed_in_clerk():
    services = AppServices.open(settings=_settings("counter"), with_card=True, with_sync=False)
    try:
        assert not services.support_only and services.journal is not None
        assert services.card_service.require_session
    finally:
        services.close()


def test_unknown_mode_falls_back_to_the_mode_without_card_data(caplog):
    with caplog.at_level(logging.ERROR):
        assert desk_mode(_settings("kiosk")) == "support"
    assert "general.mode 'kiosk' is unknown" in caplog.text
    assert desk_mode(_settings(" Counter ")) == "counter"
