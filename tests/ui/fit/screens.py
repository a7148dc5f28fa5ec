"""Offscreen screens of a given available geometry, for the fit tests and the 1366 screenshots.

Qt's offscreen platform reads its screens from a JSON file (``-platform offscreen:configfile=PATH``). The
screen's whole geometry stands for the *available* geometry of a real desk: 1366×768 less a 40 px taskbar.
"""
from __future__ import annotations

import json
from pathlib import Path

SCREENS = {"1366x728": (1366, 728), "1920x1080": (1920, 1080)}


def platform_for(name: str, directory: Path) -> str:
    """The QT_QPA_PLATFORM value for an offscreen screen named in SCREENS; the config goes to ``directory``."""
    width, height = SCREENS[name]
    config = directory / f"screen-{name}.json"
    config.write_text(json.dumps({"screens": [{
        "name": name, "x": 0, "y": 0, "width": width, "height": height,
        "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}), encoding="utf-8")
    return f"offscreen:configfile={config}"
