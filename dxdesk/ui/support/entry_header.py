"""The header row of the support entry form: where, who and when.

Venue, venue type, recorder and role stay the same all day (the page remembers them as
:class:`DayDefaults`); the start time follows the clock until the user or the duration
timer sets it. Per-field error labels are the form's (it owns the error order).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QWidget

from dxdesk.i18n import N_, tr
from dxdesk.support.catalog import Catalog
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.support.widgets import CodeCombo, TabOutDateTimeEdit, section_title, titled

# Suggestions only: the role is free text, stored as typed (in the language of the screen).
HELPER_ROLES = (N_("講師"), N_("補助者"), N_("職員"), N_("ボランティア"))


@dataclass(frozen=True)
class DayDefaults:
    """What the form keeps between records (and the page remembers in settings)."""

    venue: str = ""
    venue_type: str = ""
    helper_name: str = ""
    helper_role: str = ""


class EntryHeader(QFrame):
    """The card with 会場・会場の種類・開始日時・記録者・役割 in one row."""

    def __init__(self, catalog: Catalog, errors: dict[str, QLabel], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")  # the white card look of the form's other groups (entry_choices.card)
        self._catalog = catalog
        self._start_edited = False
        self._setting_start = False  # True while the form itself sets the start time

        self.venue = QComboBox()
        self.venue.setObjectName("venue")
        self.venue.setEditable(True)
        self.venue.setFont(ui_font(14))
        self.venue.setMinimumWidth(220)
        venue_edit = self.venue.lineEdit()
        assert venue_edit is not None  # an editable combo box always has its line edit
        venue_edit.setPlaceholderText(tr("例: 中央公民館"))
        self.venue.addItems([v.name for v in catalog.venues if v.active])
        self.venue.setAccessibleName(tr("会場"))
        # A drop-down, not buttons: it is filled in from the venue and changed about never.
        self.venue_type = CodeCombo([(vt.code, vt.label.text()) for vt in catalog.venue_types], tr("選んでください"))
        self.venue_type.setObjectName("venueType")
        self.venue_type.setAccessibleName(tr("会場の種類"))
        # Never narrower than its longest type: English names are longer than the Japanese ones.
        self.venue_type.setMinimumWidth(max(190, self.venue_type.sizeHint().width()))
        self.helper_name = QLineEdit()
        self.helper_name.setObjectName("helperName")
        self.helper_name.setFont(ui_font(14))
        self.helper_name.setPlaceholderText(tr("記録する人"))
        self.helper_name.setAccessibleName(tr("記録者"))
        self.helper_role = QComboBox()
        self.helper_role.setObjectName("helperRole")
        self.helper_role.setEditable(True)
        self.helper_role.setFont(ui_font(14))
        self.helper_role.addItems([tr(role) for role in HELPER_ROLES])
        self.helper_role.setAccessibleName(tr("支援者の役割"))
        self.started = TabOutDateTimeEdit()
        self.started.setObjectName("startedAt")
        self.started.setDisplayFormat("yyyy/MM/dd HH:mm")
        self.started.setCalendarPopup(True)
        self.started.setFont(ui_font(14))
        self.started.setAccessibleName(tr("開始日時"))
        self.started.setToolTip(tr("変更しなければ「記録した時刻 − 所要時間」になります"))

        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 12, 10)
        row.setSpacing(10)
        row.addWidget(titled(section_title(tr("会場"), "Alt+V"), self.venue, errors["venue"]), 3)
        row.addWidget(titled(section_title(tr("会場の種類")), self.venue_type, errors["venue_type"]), 2)
        row.addWidget(titled(section_title(tr("開始日時")), self.started, errors["started_at"]), 2)
        row.addWidget(titled(section_title(tr("記録者")), self.helper_name), 2)
        row.addWidget(titled(section_title(tr("役割")), self.helper_role, errors["helper_role"]), 2)

        self.venue.currentTextChanged.connect(self._venue_changed)
        self.started.dateTimeChanged.connect(self._start_changed)

    # --- venue and the day's defaults ----------------------------------------------
    def _venue_changed(self, name: str) -> None:
        known = self._catalog.venue(name.strip())
        if known is not None:
            self.venue_type.set_value(known.venue_type)

    def set_catalog(self, catalog: Catalog) -> None:
        """Take a newer catalog (a venue was added) without losing what is typed."""
        self._catalog = catalog
        current = self.venue.currentText()
        known = {self.venue.itemText(i) for i in range(self.venue.count())}
        for v in catalog.venues:
            if v.active and v.name not in known:
                self.venue.addItem(v.name)
        self.venue.setCurrentText(current)

    def day_defaults(self) -> DayDefaults:
        return DayDefaults(
            venue=self.venue.currentText().strip(),
            venue_type=self.venue_type.value(),
            helper_name=self.helper_name.text().strip(),
            helper_role=self.helper_role.currentText().strip(),
        )

    def apply_defaults(self, d: DayDefaults) -> None:
        self.venue.setCurrentText(d.venue)
        if d.venue_type:
            self.venue_type.set_value(d.venue_type)
        self.helper_name.setText(d.helper_name)
        self.helper_role.setCurrentText(d.helper_role)

    # --- start time ------------------------------------------------------------------
    def _start_changed(self, _value: QDateTime) -> None:
        if not self._setting_start:
            self._start_edited = True

    def set_start(self, when: datetime, *, edited: bool) -> None:
        """Show ``when`` (to the minute); ``edited`` says whether it is now a chosen time
        (a loaded record, the timer's start) or only the clock's suggestion."""
        self._setting_start = True
        try:
            # PySide6 converts a datetime; its stubs list only Qt types.
            self.started.setDateTime(QDateTime(when.replace(second=0, microsecond=0)))  # type: ignore[call-overload]
        finally:
            self._setting_start = False
        self._start_edited = edited

    def started_at(self, now: datetime, duration_minutes: int) -> datetime:
        """The record's start: as set, or else "now minus its length" (volunteers log after the session)."""
        if self._start_edited:
            chosen = self.started.dateTime().toPython()
            assert isinstance(chosen, datetime)
            return chosen
        return (now - timedelta(minutes=duration_minutes)).replace(second=0, microsecond=0)
