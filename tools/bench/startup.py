"""``python -m tools.bench startup``: the cold start of the main window.

A fresh ``python -m dxdesk`` per run in an empty DXDESK_HOME; the window prints a
marker once it is on screen (DXDESK_STARTUP_PROBE, dxdesk/ui/app.py) and quits.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time


def bench_startup(runs: int = 5) -> dict[str, float]:
    """Wall time from launching ``python -m dxdesk`` to the main window being shown."""
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="dxdesk-bench-") as home:
            env = {**os.environ, "DXDESK_HOME": home, "DXDESK_STARTUP_PROBE": "1"}
            env.setdefault("QT_QPA_PLATFORM", "offscreen")
            start = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-m", "dxdesk"], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True)
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.strip() == "dxdesk-window-shown":
                    times.append(time.perf_counter() - start)
                    break
            proc.wait(timeout=60)
    if not times:
        raise RuntimeError("the window never reported being shown")
    return {"runs": len(times), "mean_s": statistics.mean(times), "min_s": min(times), "max_s": max(times)}
