"""The 研修モード band: on every screen of a training-mode process, so nobody takes it for real work."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QLabel, QWidget

from dxdesk import training
from dxdesk.i18n import tr
from dxdesk.ui.qtfonts import ui_font

BAND_OBJECT_NAME = "trainingBand"
BAND_BACKGROUND = "#a14a00"


def training_band(parent: QWidget | None = None) -> QLabel | None:
    """The band, or None outside training mode."""
    if not training.active():
        return None
    band = QLabel(tr("研修モード — 実際の手続きには使えません"), parent)
    band.setObjectName(BAND_OBJECT_NAME)
    # Its own style, not the theme's: the band must show on any window, themed or not (white on dark
    # orange, 5.6:1, and unlike any colour the screens use for their own messages).
    band.setStyleSheet(f"QLabel#{BAND_OBJECT_NAME} {{ background: {BAND_BACKGROUND}; color: #ffffff; "
                       "padding: 6px 12px; font-weight: bold; }")
    band.setAlignment(Qt.AlignmentFlag.AlignCenter)
    band.setFont(ui_font(16, bold=True))
    band.setAccessibleName(band.text())
    return band


def add_training_band(layout: QBoxLayout, parent: QWidget | None = None) -> QLabel | None:
    """Put the band at the top of ``layout`` in training mode; returns it (None otherwise)."""
    band = training_band(parent)
    if band is not None:
        layout.insertWidget(0, band)
    return band
