from PySide6.QtGui import QFontDatabase, QFontMetrics
from PySide6.QtWidgets import QLabel

from dxdesk.ui.app import build_main_window
from dxdesk.ui.qtfonts import UI_FAMILY, register_fonts, ui_font


def test_fonts_registered_and_cover_japanese(qapp):
    register_fonts()
    assert UI_FAMILY in QFontDatabase.families()
    metrics = QFontMetrics(ui_font(12))
    for ch in "窓口支援髙﨑":
        assert metrics.inFontUcs4(ord(ch)), ch


def test_main_window_opens_shows_japanese_name_and_closes(qtbot):
    register_fonts()
    window = build_main_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert "窓口支援システム" in window.windowTitle()
    texts = [label.text() for label in window.findChildren(QLabel)]
    assert any("窓口支援システム" in t for t in texts)
    assert window.close()
