"""The fast entry form of the support-session log (also used, pre-filled, to edit a record).

The form only builds and validates a :class:`SupportSession`; saving is the page's job
(it runs the repository call in the background and then calls :meth:`save_succeeded`
or :meth:`save_failed`). The form never clears itself on a failed save.
"""
from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from dxdesk.i18n import N_, Msg, tr
from dxdesk.support.catalog import AGE_BAND_LABELS, AGE_BANDS, DEVICE_LABELS, DEVICES, OUTCOME_LABELS, OUTCOMES, Catalog
from dxdesk.support.model import MAX_PEOPLE, FieldError, SupportSession, validate
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.support.duration import DurationPicker
from dxdesk.ui.support.keyboard import SHORTCUT_HINT, install_entry_keys, set_entry_tab_order
from dxdesk.ui.support.widgets import (
    Banner,
    ChoiceGroup,
    CodeCombo,
    Counter,
    MultiChoiceGrid,
    TabOutDateTimeEdit,
    ToggleButton,
    big_button,
    field_error_label,
    repolish,
    section_title,
    set_field_error,
    titled,
)

# Short age labels fit three to a row at 14 pt; the title says 「歳」 and the full label is the tooltip.
AGE_BAND_SHORT = {"<65": N_("〜64"), "65-69": N_("65〜69"), "70-74": N_("70〜74"), "75-79": N_("75〜79"),
                  "80+": N_("80〜")}
# Suggestions only: the role is free text, stored as typed (in the language of the screen).
HELPER_ROLES = (N_("講師"), N_("補助者"), N_("職員"), N_("ボランティア"))
CONTACT_WARNING = N_("連絡先は暗号化して保存し、フォローアップ完了時に削除します。氏名は書かないでください。")

# Choice fields the form checks itself: the core's message lists codes, but on this
# screen the only way to get them wrong is to choose nothing.
_REQUIRED_CHOICES = {
    "venue_type": Msg("会場の種類を選んでください。", "Choose the venue type."),
    "device": Msg("端末を選んでください。", "Choose the device."),
    "age_band": Msg("年齢層を選んでください。", "Choose the age group."),
    "outcome": Msg("結果を選んでください。", "Choose the outcome."),
}


@dataclass(frozen=True)
class DayDefaults:
    """What the form keeps between records (and the page remembers in settings)."""

    venue: str = ""
    venue_type: str = ""
    helper_name: str = ""
    helper_role: str = ""


def _card() -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName("card")
    col = QVBoxLayout(frame)
    col.setContentsMargins(12, 8, 12, 10)
    col.setSpacing(8)
    return frame, col


class EntryForm(QWidget):
    """Emits :attr:`submitted` with a validated record when the user presses 記録する."""

    submitted = Signal(object)  # SupportSession

    def __init__(
        self,
        catalog: Catalog,
        clock: Callable[[], datetime],
        defaults: DayDefaults = DayDefaults(),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("entryForm")
        self._catalog = catalog
        self._clock = clock
        self._editing: SupportSession | None = None
        self._draft_id = str(uuid.uuid4())
        self._start_edited = False
        self._setting_start = False  # True while the form itself sets the start time
        self._busy = False
        self._build()
        install_entry_keys(self)
        self.apply_defaults(defaults)
        self.reset()

    # --- construction ------------------------------------------------------
    def _build(self) -> None:
        cat = self._catalog
        self.venue = QComboBox()
        self.venue.setObjectName("venue")
        self.venue.setEditable(True)
        self.venue.setFont(ui_font(14))
        self.venue.setMinimumWidth(220)
        self.venue.lineEdit().setPlaceholderText(tr("例: 中央公民館"))
        self.venue.addItems([v.name for v in cat.venues if v.active])
        self.venue.setAccessibleName(tr("会場"))
        # A drop-down, not buttons: it is filled in from the venue and changed about never.
        self.venue_type = CodeCombo([(vt.code, vt.label.text()) for vt in cat.venue_types], tr("選んでください"))
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

        topics = [(t.code, t.label.text()) for t in cat.sorted_topics() if t.active]
        self.topics = MultiChoiceGrid(topics, columns=4)
        self.device = ChoiceGroup([(d, DEVICE_LABELS[d].text()) for d in DEVICES], columns=2)
        self.age_band = ChoiceGroup([(a, tr(AGE_BAND_SHORT[a])) for a in AGE_BANDS], columns=3)
        for code, b in zip(AGE_BANDS, self.age_band.buttons):
            b.setAccessibleName(AGE_BAND_LABELS[code].text())
            b.setToolTip(AGE_BAND_LABELS[code].text())
        self.attendees = Counter(1, MAX_PEOPLE, 1)
        self.attendees.spin.setObjectName("attendees")
        self.attendees.spin.setAccessibleName(tr("参加者数"))
        self.helpers = Counter(1, MAX_PEOPLE, 1)
        self.helpers.spin.setObjectName("helpers")
        self.helpers.spin.setAccessibleName(tr("支援者数"))
        self.duration = DurationPicker(self._clock)
        self.outcome = ChoiceGroup([(o, OUTCOME_LABELS[o].text()) for o in OUTCOMES])
        self.follow_up = ToggleButton(tr("フォローアップ必要"))
        self.follow_up.setObjectName("followUp")
        self.follow_up.setToolTip("Alt+F")
        self.repeat = ToggleButton(tr("再訪（以前にも来られた方）"))
        self.repeat.setObjectName("repeatVisitor")
        self.repeat.setToolTip("Alt+R")
        for b in (self.follow_up, self.repeat):
            b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.contact = QLineEdit()
        self.contact.setObjectName("followUpContact")
        self.contact.setFont(ui_font(14))
        self.contact.setPlaceholderText(tr("連絡先（任意・電話番号など）"))
        self.contact.setAccessibleName(tr("フォローアップの連絡先"))
        self.contact_warning = QLabel(tr(CONTACT_WARNING))
        self.contact_warning.setObjectName("contactWarning")
        self.contact_warning.setProperty("role", "warning")
        self.contact_warning.setFont(ui_font(10))
        self.contact_warning.setWordWrap(True)
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.note.setFont(ui_font(14))
        self.note.setPlaceholderText(tr("メモ（任意・氏名などは書かない）"))
        self.note.setAccessibleName(tr("メモ"))

        self.errors: dict[str, QLabel] = {
            name: field_error_label()
            for name in (
                "venue", "venue_type", "helper_role", "started_at", "topics", "device", "age_band",
                "attendees", "helpers", "duration_minutes", "outcome", "follow_up_contact", "note",
            )
        }
        self.mode_label = QLabel("")
        self.mode_label.setFont(ui_font(13, bold=True))
        self.mode_label.setProperty("role", "title")
        self.banner = Banner()
        self.save_button = big_button(tr("記録する (Ctrl+Enter)"), "primary", 16)
        self.save_button.setMinimumHeight(52)
        self.cancel_button = big_button(tr("入力を消去"), "secondary")
        self.cancel_button.setObjectName("clearButton")
        for b in (self.save_button, self.cancel_button):
            b.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.hint = QLabel(tr(SHORTCUT_HINT))
        self.hint.setProperty("role", "hint")
        self.hint.setFont(ui_font(10))
        self.hint.setWordWrap(True)

        # --- layout: one header row, topics across the width, three columns, fixed save bar ---
        header, hcol = _card()
        row1 = QHBoxLayout()
        row1.setSpacing(10)
        row1.addWidget(titled(section_title(tr("会場"), "Alt+V"), self.venue, self.errors["venue"]), 3)
        row1.addWidget(titled(section_title(tr("会場の種類")), self.venue_type, self.errors["venue_type"]), 2)
        row1.addWidget(titled(section_title(tr("開始日時")), self.started, self.errors["started_at"]), 2)
        row1.addWidget(titled(section_title(tr("記録者")), self.helper_name), 2)
        row1.addWidget(titled(section_title(tr("役割")), self.helper_role, self.errors["helper_role"]), 2)
        hcol.addLayout(row1)

        topics_card, tcol = _card()
        title_row = QHBoxLayout()
        title_row.addWidget(section_title(tr("相談内容（複数選択可）"), "Alt+1〜0, -"))
        title_row.addStretch(1)
        title_row.addWidget(self.mode_label)
        tcol.addLayout(title_row)
        tcol.addWidget(self.topics)
        tcol.addWidget(self.errors["topics"])

        who, acol = _card()
        acol.addWidget(titled(section_title(tr("端末"), "Alt+D"), self.device, self.errors["device"]))
        acol.addWidget(titled(section_title(tr("年齢層（歳）"), "Alt+A"), self.age_band, self.errors["age_band"]))
        acol.addStretch(1)

        how, bcol = _card()
        people = QHBoxLayout()
        people.addWidget(titled(section_title(tr("参加者"), "Alt+P"), self.attendees, self.errors["attendees"]))
        people.addWidget(titled(section_title(tr("支援者"), "Alt+H"), self.helpers, self.errors["helpers"]))
        bcol.addLayout(people)
        bcol.addWidget(titled(section_title(tr("所要時間"), tr("Alt+M・タイマー Alt+S")), self.duration,
                              self.errors["duration_minutes"]))
        bcol.addStretch(1)

        more, ccol = _card()
        ccol.addWidget(titled(section_title(tr("結果"), "Alt+O"), self.outcome, self.errors["outcome"]))
        flags = QHBoxLayout()
        flags.addWidget(self.follow_up)
        flags.addWidget(self.repeat)
        ccol.addLayout(flags)
        ccol.addWidget(self.contact)
        ccol.addWidget(self.contact_warning)
        ccol.addWidget(self.errors["follow_up_contact"])
        ccol.addWidget(titled(section_title(tr("メモ"), "Alt+N"), self.note, self.errors["note"]))
        ccol.addStretch(1)

        columns = QHBoxLayout()
        columns.setSpacing(8)
        for card, stretch in ((who, 30), (how, 33), (more, 37)):
            columns.addWidget(card, stretch)

        fields = QWidget()
        fcol = QVBoxLayout(fields)
        fcol.setContentsMargins(0, 0, 0, 0)
        fcol.setSpacing(8)
        fcol.addWidget(header)
        fcol.addWidget(topics_card)
        fcol.addLayout(columns, 1)
        scroll = QScrollArea()  # only scrolls on screens smaller than 1280x800
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(fields)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        bottom = QHBoxLayout()
        bottom.setSpacing(10)
        bottom.addWidget(self.banner, 20)
        bottom.addStretch(1)  # keeps the buttons right-aligned while there is no message
        bottom.addWidget(self.cancel_button)
        bottom.addWidget(self.save_button)

        col = QVBoxLayout(self)
        col.setContentsMargins(8, 8, 8, 4)
        col.setSpacing(6)
        col.addWidget(scroll, 1)
        col.addLayout(bottom)
        col.addWidget(self.hint)
        set_entry_tab_order(self)

        self.follow_up.toggled.connect(self._follow_up_toggled)
        self.venue.currentTextChanged.connect(self._venue_changed)
        self.started.dateTimeChanged.connect(self._start_changed)
        self.duration.timer_started.connect(self._timer_started)
        self.save_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self._clear_clicked)

    # --- reactions -----------------------------------------------------------
    def _follow_up_toggled(self, on: bool) -> None:
        self.contact.setEnabled(on and (self._editing is None or self._editing.follow_up_closed_at is None))
        self.contact_warning.setVisible(on)

    def _venue_changed(self, name: str) -> None:
        known = self._catalog.venue(name.strip())
        if known is not None:
            self.venue_type.set_value(known.venue_type)

    def _start_changed(self, _value: QDateTime) -> None:
        if not self._setting_start:
            self._start_edited = True

    def _timer_started(self, when: datetime) -> None:
        if self._editing is None:  # a new session starts when its timer does
            self._set_start(when)
            self._start_edited = True

    def _set_start(self, when: datetime) -> None:
        self._setting_start = True
        try:
            self.started.setDateTime(QDateTime(when.replace(second=0, microsecond=0)))
        finally:
            self._setting_start = False

    def _clear_clicked(self) -> None:
        if self._editing is not None:
            self.load(self._editing)  # in edit mode "clear" means "undo my changes"
        else:
            self.reset()

    def set_catalog(self, catalog: Catalog) -> None:
        """Take a newer catalog (a venue was added); topics stay as built."""
        self._catalog = catalog
        current = self.venue.currentText()
        known = {self.venue.itemText(i) for i in range(self.venue.count())}
        for v in catalog.venues:
            if v.active and v.name not in known:
                self.venue.addItem(v.name)
        self.venue.setCurrentText(current)

    # --- state ---------------------------------------------------------------
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

    def reset(self) -> None:
        """Empty the per-session fields; venue and helper stay (they are the same all day)."""
        self._editing = None
        self._draft_id = str(uuid.uuid4())
        self.topics.set_values(())
        for group in (self.device, self.age_band, self.outcome):
            group.set_value("")
        self.attendees.set_value(1)
        self.helpers.set_value(1)
        self.duration.reset()
        self.follow_up.setChecked(False)
        self.repeat.setChecked(False)
        self.contact.clear()
        self.note.clear()
        self._set_start(self._clock())
        self._start_edited = False
        self._follow_up_toggled(False)
        self.clear_errors()
        self.mode_label.setText("")

    def load(self, session: SupportSession) -> None:
        """Fill the form with an existing record for editing."""
        self.reset()
        self._editing = session
        self.venue.setCurrentText(session.venue)
        self.venue_type.set_value(session.venue_type)
        self.helper_role.setCurrentText(session.helper_role)
        self.helper_name.setText(session.logged_by)
        self._set_start(session.started_at)
        self._start_edited = True
        self.topics.set_values(session.topics)
        self.device.set_value(session.device)
        self.age_band.set_value(session.age_band)
        self.attendees.set_value(session.attendees)
        self.helpers.set_value(session.helpers)
        self.duration.set_minutes(session.duration_minutes)
        self.outcome.set_value(session.outcome)
        self.follow_up.setChecked(session.follow_up_needed)
        self.repeat.setChecked(session.repeat_visitor)
        self.contact.setText(session.follow_up_contact or "")
        self.note.setText(session.note)
        self._follow_up_toggled(session.follow_up_needed)
        closed = session.follow_up_closed_at
        self.mode_label.setText(
            tr("編集中の記録") + (tr("（フォローアップ完了 {date}）").format(date=f"{closed:%m/%d}") if closed else "")
        )

    @property
    def editing(self) -> SupportSession | None:
        return self._editing

    def draft(self) -> SupportSession:
        """The record as currently entered (not validated)."""
        duration = self.duration.minutes()
        if self._start_edited:
            started = self.started.dateTime().toPython()
        else:
            # Volunteers log after the session: its start was "now minus its length".
            started = (self._clock() - timedelta(minutes=duration)).replace(second=0, microsecond=0)
        follow_up = self.follow_up.isChecked()
        contact = self.contact.text().strip() if follow_up and self.contact.isEnabled() else ""
        values = dict(
            started_at=started,
            venue=self.venue.currentText().strip(),
            venue_type=self.venue_type.value(),
            topics=self.topics.values(),
            device=self.device.value(),
            age_band=self.age_band.value(),
            attendees=self.attendees.value(),
            helpers=self.helpers.value(),
            duration_minutes=duration,
            outcome=self.outcome.value(),
            note=self.note.text().strip(),
            helper_role=self.helper_role.currentText().strip(),
            follow_up_needed=follow_up,
            follow_up_contact=contact or None,
            repeat_visitor=self.repeat.isChecked(),
            logged_by=self.helper_name.text().strip(),
        )
        if self._editing is not None:
            if not follow_up:
                values["follow_up_closed_at"] = None
            elif self._editing.follow_up_closed_at is not None:
                values["follow_up_contact"] = None  # a closed follow-up keeps no contact
            return dataclasses.replace(self._editing, **values)  # type: ignore[arg-type]
        return SupportSession(id=self._draft_id, **values)  # type: ignore[arg-type]

    # --- validation and saving -----------------------------------------------------
    def check(self) -> list[FieldError]:
        session = self.draft()
        errors = [
            FieldError(name, message)
            for name, message in _REQUIRED_CHOICES.items()
            if not getattr(session, name)
        ]
        errors += [e for e in validate(session, self._catalog) if e.field not in {x.field for x in errors}]
        return errors

    def clear_errors(self) -> None:
        for label in self.errors.values():
            set_field_error(label, "")
        for w in (self.venue, self.attendees.spin, self.helpers.spin, self.duration.spin, self.contact, self.note):
            w.setProperty("invalid", False)
            repolish(w)

    def show_errors(self, errors: list[FieldError]) -> None:
        self.clear_errors()
        by_field: dict[str, list[str]] = {}
        for e in errors:
            by_field.setdefault(e.field if e.field in self.errors else "", []).append(e.message.text())
        for name, texts in by_field.items():
            if name:
                set_field_error(self.errors[name], "\n".join(texts))
        marks = {"venue": self.venue, "attendees": self.attendees.spin, "helpers": self.helpers.spin,
                 "duration_minutes": self.duration.spin, "follow_up_contact": self.contact, "note": self.note}
        for name, widget in marks.items():
            if name in by_field:
                widget.setProperty("invalid", True)
                repolish(widget)
        general = "\n".join(by_field.get("", []))
        self.banner.show_message("error", tr("入力内容を確認してください（赤字の項目）。") + (f"\n{general}" if general else ""))
        # Focus the first problem in screen order (the order the errors dict was built in).
        order = list(self.errors)
        self._focus_field(min((e.field for e in errors), key=lambda f: order.index(f) if f in order else len(order)))

    def _focus_field(self, name: str) -> None:
        target = {
            "venue": lambda: self.venue.setFocus(), "venue_type": self.venue_type.focus,
            "topics": self.topics.focus, "device": self.device.focus, "age_band": self.age_band.focus,
            "attendees": lambda: self.attendees.spin.setFocus(), "helpers": lambda: self.helpers.spin.setFocus(),
            "duration_minutes": self.duration.quick.focus, "outcome": self.outcome.focus,
            "follow_up_contact": lambda: self.contact.setFocus(), "note": lambda: self.note.setFocus(),
            "started_at": lambda: self.started.setFocus(), "helper_role": lambda: self.helper_role.setFocus(),
        }.get(name)
        if target is not None:
            target()

    def submit(self) -> None:
        if self._busy:
            return  # one save at a time: a double Ctrl+Enter must not log twice
        if self.duration.running:
            self.duration.toggle_timer()  # saving ends the session: take the timer's minutes
        errors = self.check()
        if errors:
            self.show_errors(errors)
            return
        self.clear_errors()
        self.set_busy(True)
        self.submitted.emit(self.draft())

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.save_button.setEnabled(not busy)
        if busy:
            self.banner.show_message("info", tr("保存しています…"))

    def save_succeeded(self, saved: SupportSession, text: str) -> None:
        self.set_busy(False)
        if self._editing is None:
            self.reset()
            self.topics.focus()  # ready for the next person
        self.banner.show_message("ok", text)

    def save_failed(self, message: str, errors: list[FieldError] | None = None) -> None:
        """Keep every value; show why (per field when the core said which)."""
        self.set_busy(False)
        if errors:
            self.show_errors(errors)
        else:
            self.banner.show_message("error", message)
