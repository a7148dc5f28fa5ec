"""Shared fixtures: every test runs with its own DXDESK_HOME and Qt offscreen."""
from __future__ import annotations

import os
import time

import pytest

from signin import desk_accounts, prompts  # noqa: F401 - fixtures for signed-in CLI tests (tests/signin.py)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests must never touch the developer's real keyring.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"


@pytest.fixture(autouse=True)
def dxdesk_home(tmp_path, monkeypatch):
    home = tmp_path / "dxdesk-home"
    monkeypatch.setenv("DXDESK_HOME", str(home))
    # Training mode is process-wide (dxdesk.training); "0" here means `dxdesk --training` run inside a
    # test is switched off again when the test ends (monkeypatch restores the variable).
    monkeypatch.setenv("DXDESK_TRAINING", "0")
    return home


@pytest.fixture
def utc_pc(monkeypatch):
    """The PC's own clock runs in UTC (a common image for town-hall PCs) while the desk keeps JST."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
