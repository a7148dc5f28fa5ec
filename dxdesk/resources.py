"""One way to find bundled resources, from a source checkout or a PyInstaller build."""
from __future__ import annotations

import sys
from pathlib import Path


def resource_root() -> Path:
    # PyInstaller unpacks datas under sys._MEIPASS; from source, resources/ sits beside dxdesk/.
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resource_root().joinpath(*parts)
