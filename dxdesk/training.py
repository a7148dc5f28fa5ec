"""Training mode (研修モード): practise the counter on fictional cards without touching real records.

Switched on by ``[general] training = true`` in settings.toml or by ``dxdesk --training``. While it
is on, this whole process:

- keeps its records in a separate database, visit journal and key set under ``<data>/training/``
  (:func:`training_paths`); that database never writes outbox rows and is never synced;
- reads only the built-in fictional cards (the simulator through pcscd/vpcd when one is inserted,
  else in-process), never a real resident's card;
- prints 「見本」 across every page of every form and report (:func:`draw_sample_mark`);
- shows the band :data:`TRAINING_BAND` on every screen.

The switch is process-wide on purpose (an environment variable, so a child process such as the
demo driver inherits it): every path, renderer and card read must agree on it, and a flag threaded
through each call would leave one call site that forgets it. Qt-free.
"""
from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

from dxdesk.i18n import Msg

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

    from dxdesk.config import Settings
    from dxdesk.paths import AppPaths

TRAINING_ENV = "DXDESK_TRAINING"
TRAINING_DIR = "training"
TRAINING_BAND = Msg("研修モード — 実際の手続きには使えません", "Training mode — not for real procedures")
SAMPLE_MARK = "見本"  # i18n: ja-only (printed on Japanese documents)
SAMPLE_NOTE = "見本 — 研修モードで印刷したもので、実際の手続きには使えません"  # i18n: ja-only (printed)


def activate() -> None:
    """Put this process (and the processes it starts) in training mode."""
    os.environ[TRAINING_ENV] = "1"


def active(settings: "Settings | None" = None) -> bool:
    """True when this process is in training mode (the flag, or ``settings.general.training``)."""
    if os.environ.get(TRAINING_ENV, "") == "1":
        return True
    return bool(settings is not None and settings.general.training)


def activate_from_settings_file(paths: "AppPaths") -> bool:
    """``[general] training = true`` in the settings file switches training mode on; returns active().

    Reads the file without creating it (``dxdesk --help`` must not write settings) and ignores a file
    it cannot read: the command that needs the settings reports that problem itself.
    """
    if active():
        return True
    import tomllib

    try:
        data = tomllib.loads(paths.settings_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False
    general = data.get("general")
    if isinstance(general, dict) and general.get("training") is True:
        activate()
        return True
    return False


def desk_paths(paths: "AppPaths", settings: "Settings | None" = None) -> "AppPaths":
    """The folders the desk's store uses: the training desk's own (below) in training mode, else ``paths``."""
    return training_paths(paths) if active(settings) else paths


def training_paths(paths: "AppPaths") -> "AppPaths":
    """The training desk's folders, all under ``<data>/training/``: its database, journal and backups,
    and in ``config/`` its own settings file and key-file fallback; only the log folder is shared.

    Its settings start as a copy of the desk's (dxdesk.config.load_settings), so an administrator
    practising in training mode changes the training desk's settings, never the real desk's.
    """
    if paths.training:
        return paths
    root = paths.data_dir / TRAINING_DIR
    return replace(paths, config_dir=root / "config", data_dir=root, cache_dir=paths.cache_dir / TRAINING_DIR,
                   training=True, desk_config_dir=paths.config_dir)


def draw_sample_mark(c: "Canvas", width_pt: float, height_pt: float) -> None:
    """「見本」 large, diagonal and light grey across the current page (on top of its content)."""
    from reportlab.lib.units import mm

    from dxdesk.forms.glyphs import font_name

    font = font_name("gothic_bold")
    size = min(width_pt, height_pt) * 0.34
    c.saveState()
    c.setFillColorRGB(0.55, 0.55, 0.55)
    c.setFillAlpha(0.35)  # light: the form under it stays readable
    c.translate(width_pt / 2, height_pt / 2)
    c.rotate(35)
    c.setFont(font, size)
    c.drawCentredString(0, -size * 0.35, SAMPLE_MARK)
    c.restoreState()
    # The same word, small and level, in the top margin: it says why, and text search and extraction
    # find it (PDF text tools split diagonal text into single characters).
    c.saveState()
    c.setFillColorRGB(0.35, 0.35, 0.35)
    c.setFont(font, 8)
    c.drawCentredString(width_pt / 2, height_pt - 4 * mm - 8, SAMPLE_NOTE)
    c.restoreState()
