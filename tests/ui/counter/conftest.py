"""Fixtures for the counter screens: a CounterPage in training mode on the fictional card (counter_harness.py)."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import counter_harness  # noqa: E402

from dxdesk.ui.qtfonts import register_fonts  # noqa: E402


@pytest.fixture
def make_kit(qtbot, tmp_path, monkeypatch):
    register_fonts()
    # The counter runs on the fictional card only in training mode (研修モード), so that is where these
    # tests run: process-wide, as in the app (band on the resident's screen, 見本 on printed pages).
    monkeypatch.setenv("DXDESK_TRAINING", "1")
    kits = []

    def make(**options):
        kit = counter_harness.make_kit(tmp_path, **options)
        qtbot.addWidget(kit.page)
        kits.append(kit)
        return kit

    yield make
    for kit in kits:
        kit.close()


@pytest.fixture
def slow_forms(monkeypatch):
    """The visit's forms are drawn only when the test lets them: yields (started, release) events.

    The print step imports the renderer when a visit reaches it: it is patched where it lives."""
    from dxdesk.app import formpdf

    started, release = threading.Event(), threading.Event()
    real = formpdf.render_visit_pdf

    def slow(payload):
        started.set()
        release.wait(30)
        return real(payload)

    monkeypatch.setattr(formpdf, "render_visit_pdf", slow)
    yield started, release
    release.set()  # never leave a worker waiting
