"""``dxdesk bench``: performance numbers printed, never asserted in tests.

Each capability keeps its own benchmark next to its code (``dxdesk card bench``,
``dxdesk form bench``, ``dxdesk support bench``); this module measures what spans
the whole app, starting with the cold start of the main window.
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


def _cmd_bench(args) -> int:
    if args.what == "startup":
        r = bench_startup(args.runs)
        print(f"startup: window shown in mean {r['mean_s']:.2f} s (min {r['min_s']:.2f}, max {r['max_s']:.2f}, "
              f"{r['runs']} cold runs, QT_QPA_PLATFORM={os.environ.get('QT_QPA_PLATFORM', 'offscreen')})")
    return 0


def register(sub) -> None:
    p = sub.add_parser("bench", help="measure performance (prints numbers)")
    p.add_argument("what", choices=["startup"], help="what to measure")
    p.add_argument("--runs", type=int, default=5)
    p.set_defaults(func=_cmd_bench)
