"""The theme gives number fields the same text inset as text fields."""
from __future__ import annotations

from PySide6.QtWidgets import QDateTimeEdit, QDoubleSpinBox, QSpinBox, QVBoxLayout, QWidget

from dxdesk.ui.app import create_application
from dxdesk.ui.theme import SPIN_TEXT_INSET_PX, apply_theme


def test_spin_boxes_get_the_text_fields_inset_and_date_edits_keep_theirs(qtbot):
    app = create_application([])
    apply_theme(app)  # a second call must not install a second filter (still one inset, not two)
    host = QWidget()
    col = QVBoxLayout(host)
    spin, dspin, date_edit = QSpinBox(), QDoubleSpinBox(), QDateTimeEdit()
    date_edit.setCalendarPopup(True)
    for w in (spin, dspin, date_edit):
        col.addWidget(w)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    for number in (spin, dspin):
        margins = number.lineEdit().textMargins()
        assert (margins.left(), margins.right()) == (SPIN_TEXT_INSET_PX, SPIN_TEXT_INSET_PX)
    assert date_edit.lineEdit().textMargins().left() == 0
    filters = [c for c in app.children() if c.objectName() == "dxdeskSpinBoxInset"]
    assert len(filters) == 1
