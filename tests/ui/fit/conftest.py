"""The fit tests run the counter on an offscreen screen of a given size (screens.py, test_counter_fit.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "counter"))

import counter_harness  # noqa: E402

from dxdesk import i18n  # noqa: E402
from dxdesk.ui.qtfonts import register_fonts  # noqa: E402


@pytest.fixture
def fit_kit(qtbot, tmp_path, monkeypatch):
    """make_kit(**options): a signed-in clerk's CounterPage on the training card (研修モード, as in
    tests/ui/counter), closed after the test."""
    register_fonts()
    monkeypatch.setenv("DXDESK_TRAINING", "1")
    kits = []

    def make(**options):
        kit = counter_harness.make_kit(tmp_path / str(len(kits)), **options)
        kits.append(kit)
        return kit

    yield make
    for kit in kits:
        kit.close()


@pytest.fixture(params=["ja", "en"])
def language(request):
    """The fit steps run once in Japanese and once in English; Japanese is put back after."""
    i18n.set_language(request.param)
    yield request.param
    i18n.set_language("ja")
