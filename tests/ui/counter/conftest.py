"""Fixtures for the counter screens: a CounterPage over the simulated card (see counter_harness.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import counter_harness  # noqa: E402

from dxdesk.ui.qtfonts import register_fonts  # noqa: E402


@pytest.fixture
def make_kit(qtbot, tmp_path):
    register_fonts()
    kits = []

    def make(**options):
        kit = counter_harness.make_kit(tmp_path, **options)
        qtbot.addWidget(kit.page)
        kits.append(kit)
        return kit

    yield make
    for kit in kits:
        kit.close()
