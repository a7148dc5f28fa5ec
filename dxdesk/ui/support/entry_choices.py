"""The toggle groups of the support entry form and the cards they sit in.

Everything here is a big touch target (see widgets.py); the form decides the layout
and reads the values. Labels come from the core catalog, shortened where a row of
buttons needs it (the full text stays the tooltip and the accessible name).
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QVBoxLayout

from dxdesk.i18n import N_, tr
from dxdesk.support.catalog import AGE_BAND_LABELS, AGE_BANDS, DEVICE_LABELS, DEVICES, OUTCOME_LABELS, OUTCOMES, Catalog
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.support.widgets import ChoiceGroup, MultiChoiceGrid, ToggleButton

# Short age labels fit three to a row at 14 pt; the title says 「歳」 and the full label is the tooltip.
AGE_BAND_SHORT = {"<65": N_("〜64"), "65-69": N_("65〜69"), "70-74": N_("70〜74"), "75-79": N_("75〜79"),
                  "80+": N_("80〜")}
CONTACT_WARNING = N_("連絡先は暗号化して保存し、フォローアップ完了時に削除します。氏名は書かないでください。")


def card() -> tuple[QFrame, QVBoxLayout]:
    """A white card grouping part of the form (topics, the three columns)."""
    frame = QFrame()
    frame.setObjectName("card")
    col = QVBoxLayout(frame)
    col.setContentsMargins(12, 8, 12, 10)
    col.setSpacing(8)
    return frame, col


def topic_grid(catalog: Catalog) -> MultiChoiceGrid:
    """The active topics in the catalog's order, four to a row (Alt+1〜0, - pick them)."""
    return MultiChoiceGrid([(t.code, t.label.text()) for t in catalog.sorted_topics() if t.active], columns=4)


def device_group() -> ChoiceGroup:
    return ChoiceGroup([(d, DEVICE_LABELS[d].text()) for d in DEVICES], columns=2)


def age_band_group() -> ChoiceGroup:
    group = ChoiceGroup([(a, tr(AGE_BAND_SHORT[a])) for a in AGE_BANDS], columns=3)
    for code, b in zip(AGE_BANDS, group.buttons):
        b.setAccessibleName(AGE_BAND_LABELS[code].text())
        b.setToolTip(AGE_BAND_LABELS[code].text())
    return group


def outcome_group() -> ChoiceGroup:
    return ChoiceGroup([(o, OUTCOME_LABELS[o].text()) for o in OUTCOMES])


def flag_toggles() -> tuple[ToggleButton, ToggleButton]:
    """フォローアップ必要 (Alt+F) and 再訪 (Alt+R): on/off buttons that take Tab focus."""
    follow_up = ToggleButton(tr("フォローアップ必要"))
    follow_up.setObjectName("followUp")
    follow_up.setToolTip("Alt+F")
    repeat = ToggleButton(tr("再訪（以前にも来られた方）"))
    repeat.setObjectName("repeatVisitor")
    repeat.setToolTip("Alt+R")
    for b in (follow_up, repeat):
        b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return follow_up, repeat


def contact_fields() -> tuple[QLineEdit, QLabel]:
    """The follow-up contact and the privacy warning shown while follow-up is on."""
    contact = QLineEdit()
    contact.setObjectName("followUpContact")
    contact.setFont(ui_font(14))
    contact.setPlaceholderText(tr("連絡先（任意・電話番号など）"))
    contact.setAccessibleName(tr("フォローアップの連絡先"))
    warning = QLabel(tr(CONTACT_WARNING))
    warning.setObjectName("contactWarning")
    warning.setProperty("role", "warning")
    warning.setFont(ui_font(10))
    warning.setWordWrap(True)
    return contact, warning
