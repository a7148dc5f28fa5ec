"""Screenshots of the supervisor's and administrator's pages on a 1366×728 screen, Japanese and English, into
docs/screenshots/supervisor/1366/ (the steps of supervisor_steps.py, unhappy paths included: an empty filter
result, a refused account, a failed sync in the audit log).

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui/fit/make_supervisor_screenshots.py
Look at each PNG before committing it.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from test_supervisor_fit import run_supervisor_steps  # noqa: E402

OUT = HERE.parents[2] / "docs" / "screenshots" / "supervisor" / "1366"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.png"):
        old.unlink()
    with tempfile.TemporaryDirectory(prefix="dxdesk-supervisor-shots-") as tmp:
        result = run_supervisor_steps("1366x728", Path(tmp), shots=OUT)
    print(result.stdout[-3000:], result.stderr[-2000:])
    print(f"{len(list(OUT.glob('*.png')))} screenshots in {OUT}")
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
