"""#14 acceptance: every counter step, route and dialog fits a 1366×728 screen (a 1366×768 laptop less the
taskbar) and a 1920×1080 one, in Japanese and English, with no text elided or clipped.

Each screen size runs fit_steps.py in a child pytest: Qt's offscreen platform takes its screen size from a
config file at start-up (screens.py), and one process has one platform.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from screens import SCREENS, platform_for

HERE = Path(__file__).parent
ROOT = HERE.parents[2]


def run_fit_steps(screen: str, tmp_path: Path, shots: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM=platform_for(screen, tmp_path), DXDESK_FIT_SCREEN=screen,
               DXDESK_HOME=str(tmp_path / "home"))
    if shots is not None:
        env["DXDESK_FIT_SHOTS"] = str(shots)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "--no-header", "-rN",
         str(HERE / "fit_steps.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_every_counter_step_fits_the_screen(screen, tmp_path):
    result = run_fit_steps(screen, tmp_path)
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-2000:]
