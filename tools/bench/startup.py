"""``python -m tools.bench startup``: the cold start of the window.

A fresh ``python -m dxdesk`` per run; the first window prints a marker once it has been
painted (DXDESK_STARTUP_PROBE, dxdesk/ui/app.py) and quits. With ``--existing-home`` that
is the daily start of a desk in use: its database current and holding an administrator, so
the first window is the sign-in dialog. A fresh home is the first start: the database is
created and migrated, and the first window is the start choice (join a server, or alone).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time


def _time_to_window(home: str) -> float | None:
    env = {**os.environ, "DXDESK_HOME": home, "DXDESK_STARTUP_PROBE": "1"}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "dxdesk"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    shown = None
    for line in proc.stdout:
        if line.strip() == "dxdesk-window-shown":
            shown = time.perf_counter() - start
            break
    proc.wait(timeout=60)
    return shown


# The desk in use: one administrator, created through the product's own account service.
_ADD_ADMIN = """
from dxdesk.app.composition import AppServices
services = AppServices.open(with_card=False, with_sync=False)
try:
    if services.auth.needs_first_admin():
        services.auth.create_first_admin("admin", "bench admin", "bench password 41")
finally:
    services.close()
"""


def _add_admin(home: str) -> None:
    subprocess.run([sys.executable, "-c", _ADD_ADMIN], env={**os.environ, "DXDESK_HOME": home}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench_startup(runs: int = 5, existing_home: bool = False) -> dict[str, float]:
    """Wall time from launching ``python -m dxdesk`` to the main window being shown.

    Default: a fresh home each run (the first start: database created and migrated). ``existing_home``:
    one home started once untimed and given an administrator, then timed ``runs`` times (the daily
    start: schema already current, the sign-in dialog first).
    """
    times = []
    with tempfile.TemporaryDirectory(prefix="dxdesk-bench-") as shared:
        if existing_home:
            _time_to_window(shared)
            _add_admin(shared)
        for _ in range(runs):
            with tempfile.TemporaryDirectory(prefix="dxdesk-bench-") as fresh:
                shown = _time_to_window(shared if existing_home else fresh)
            if shown is not None:
                times.append(shown)
    if not times:
        raise RuntimeError("the window never reported being shown")
    return {"runs": len(times), "mean_s": statistics.mean(times), "min_s": min(times), "max_s": max(times)}
