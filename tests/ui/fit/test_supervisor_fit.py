"""#14 items 8 and 12 on the supervisor's and administrator's pages: on a 1366×728 screen (a 1366×768 laptop
less the taskbar) and a 1920×1080 one, in Japanese and English, nothing is clipped or elided (table cells
excepted: they elide on purpose and open whole with Enter) and no internal name is on screen.

Each screen size runs supervisor_steps.py in a child pytest (one process has one offscreen platform).
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


def run_supervisor_steps(screen: str, tmp_path: Path, shots: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM=platform_for(screen, tmp_path), DXDESK_FIT_SCREEN=screen)
    if shots is not None:
        env["DXDESK_FIT_SHOTS"] = str(shots)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header", "-rN",
         str(HERE / "supervisor_steps.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_supervisor_and_admin_pages_fit_and_show_no_internal_names(screen, tmp_path):
    result = run_supervisor_steps(screen, tmp_path)
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-3000:]
    assert "4 passed" in result.stdout and "skipped" not in result.stdout, result.stdout[-2000:]
