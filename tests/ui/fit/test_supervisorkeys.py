"""The internal-name scan of the supervisor's pages finds what #14 saw: an event code in a table cell, card item
names, a permission id in a combo box and a role id in a label (a check that could not fail would hide them)."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from supervisorkeys import leaked_names


def _page(qtbot, texts: dict[str, str]) -> QWidget:
    page = QWidget()
    layout = QVBoxLayout(page)
    table = QTableWidget(1, 2)
    table.setItem(0, 0, QTableWidgetItem(texts["cell"]))
    table.setItem(0, 1, QTableWidgetItem(texts["items"]))
    combo = QComboBox()
    combo.addItems(["すべて", texts["combo"]])
    for w in (QLabel(texts["label"]), table, combo):
        layout.addWidget(w)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    return page


def test_the_scan_finds_codes_in_cells_combos_and_labels(qtbot):
    page = _page(qtbot, {"cell": "support.change", "items": "basic4, pinless", "combo": "log_support",
                         "label": "役割: supervisor"})
    found = " ".join(leaked_names(page, "ja"))
    for code in ("support.change", "basic4", "pinless", "log_support", "supervisor"):
        assert repr(code) in found, (code, found)
    found_en = " ".join(leaked_names(page, "en"))
    for code in ("support.change", "basic4", "log_support"):
        assert repr(code) in found_en, (code, found_en)


def test_labels_pass(qtbot):
    page = _page(qtbot, {"cell": "支援記録の変更", "items": "基本4情報、照合番号Bで読取", "combo": "支援記録の入力",
                         "label": "役割: 管理監督者"})
    assert leaked_names(page, "ja") == []
