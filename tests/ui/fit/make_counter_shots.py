"""Render docs/screenshots/counter/1366/NN-*-{ja,en}.png: every counter step and route at 1366×768 (the
728 px left by the taskbar), from the fit harness's own run (fit_steps.py with DXDESK_FIT_SHOTS).

    QT_QPA_PLATFORM=offscreen DXDESK_SKIP_FROZEN=1 uv run --frozen --no-sync python tests/ui/fit/make_counter_shots.py

Look at every picture before committing it (README.md in that folder says what each one shows).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from test_counter_fit import ROOT, run_fit_steps  # noqa: E402

OUT = ROOT / "docs" / "screenshots" / "counter" / "1366"

# committed name → the harness's picture (language prefix added); "-dialog1" is the first dialog open.
JAPANESE = {
    "01-start": "01-start",
    "02-start-nothing-chosen": "01-start-error",
    "03-identify": "02-identify",
    "04-pin-pad": "03-pin-pad-dialog1",
    "05-interview-follow-ons": "05-interview-long-follow-ons",
    "06-interview-missing-answers": "06-interview-missing",
    "07-wrong-pin-one-try-left": "08-wrong-pin-low-tries",
    "08-wrong-pin-resident-notice": "08-wrong-pin-low-tries-dialog1",
    "09-code-b-errors": "09-code-b-error",
    "09b-code-b-for-a-number-procedure": "09b-code-b-number-procedure",
    "10-code-b-then-number-not-allowed": "10-code-b-then-number-needed",
    "11-code-b-then-number-offer": "10b-code-b-number-offer",
    "12-code-b-then-number-pin": "10c-code-b-number-pin-pad",
    "13-number-read-panel": "11-number-read-panel",
    "14-manual-entry": "13-manual",
    "15-manual-entry-errors": "14-manual-errors",
    "16-confirm": "16-confirm",
    "17-print": "17-print",
    "18-done": "18-done",
}
ENGLISH = ("01-start", "03-identify", "04-pin-pad", "05-interview-follow-ons", "06-interview-missing-answers",
           "07-wrong-pin-one-try-left", "11-code-b-then-number-offer", "15-manual-entry-errors", "16-confirm",
           "17-print", "18-done")


def main() -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage

    with tempfile.TemporaryDirectory() as tmp:
        shots = Path(tmp) / "shots"
        result = run_fit_steps("1366x728", Path(tmp), shots)
        if result.returncode != 0:
            print(result.stdout[-4000:], result.stderr[-2000:], sep="\n")
            return 1
        app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - QImage needs an application
        OUT.mkdir(parents=True, exist_ok=True)
        wanted = [(f"{name}-ja", f"ja-{shot}") for name, shot in JAPANESE.items()]
        wanted += [(f"{name}-en", f"en-{JAPANESE[name]}") for name in ENGLISH]
        for name, shot in wanted:
            image = QImage(str(shots / f"{shot}.png"))
            if image.isNull():
                print(f"missing: {shot}")
                return 1
            # 256 colours: a quarter of the size, and a screen of flat colours and text reads the same.
            image = image.convertToFormat(QImage.Format.Format_Indexed8, Qt.ImageConversionFlag.AvoidDither
                                          | Qt.ImageConversionFlag.ThresholdDither)
            image.save(str(OUT / f"{name}.png"), "PNG", 0)  # 0: smallest file
            print(OUT / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
