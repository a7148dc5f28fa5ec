"""The fast entry form of the support-session log (also used, pre-filled, to edit a record).

The header row (where, who, when) is :mod:`entry_header`, the toggle groups are
:mod:`entry_choices` and the duration with its timer is :mod:`duration`; this module lays
them out and turns them into a record. The form only builds and validates a :class:`SupportSession`; saving is the page's job
(it runs the repository call in the background and then calls :meth:`save_succeeded`
or :meth:`save_failed`). The form never clears itself on a failed save.
"""
from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from dxdesk.i18n import Msg, tr
from dxdesk.support.catalog import Catalog
from dxdesk.support.model import MAX_PEOPLE, FieldError, SupportSession, validate
from dxdesk.support.notecheck import note_warning
from dxdesk.ui.qtfonts import ui_font
from dxdesk.ui.support.duration import DurationPicker
from dxdesk.ui.support.entry_choices import (
    age_band_group,
    card,
    contact_fields,
    device_group,
    flag_toggles,
    outcome_group,
    topic_grid,
)
from dxdesk.ui.support.entry_header import DayDefaults, EntryHeader
from dxdesk.ui.support.keyboard import SHORTCUT_HINT, install_entry_keys, set_entry_tab_order
from dxdesk.ui.support.widgets import (
    Banner,
    Counter,
    big_button,
    field_error_label,
    repolish,
    section_title,
    set_field_error,
    titled,
)

__all__ = ["DayDefaults", "EntryForm"]  # DayDefaults lives in entry_header; the page imports it from here

# Choice fields the form checks itself: the core's message lists codes, but on this
# screen the only way to get them wrong is to choose nothing.
_REQUIRED_CHOICES = {
    "venue_type": Msg("会場の種類を選んでください。", "Choose the venue type."),
    "device": Msg("端末を選んでください。", "Choose the device."),
    "age_band": Msg("年齢層を選んでください。", "Choose the age group."),
    "outcome": Msg("結果を選んでください。", "Choose the outcome."),
}


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
        self._busy = False
        self._build()
        install_entry_keys(self)
        self.apply_defaults(defaults)
        self.reset()

    # --- construction ------------------------------------------------------
    def _build(self) -> None:
        self.errors: dict[str, QLabel] = {
            name: field_error_label()
            for name in (
                "venue", "venue_type", "helper_role", "started_at", "topics", "device", "age_band",
                "attendees", "helpers", "duration_minutes", "outcome", "follow_up_contact", "note",
            )
        }
        self.header = EntryHeader(self._catalog, self.errors)
        # The header's fields are the form's too: keyboard.py and the tests reach them here.
        self.venue, self.venue_type, self.started = self.header.venue, self.header.venue_type, self.header.started
        self.helper_name, self.helper_role = self.header.helper_name, self.header.helper_role
        self.topics = topic_grid(self._catalog)
        self.device = device_group()
        self.age_band = age_band_group()
        self.attendees = Counter(1, MAX_PEOPLE, 1)
        self.attendees.spin.setObjectName("attendees")
        self.attendees.spin.setAccessibleName(tr("参加者数"))
        self.helpers = Counter(1, MAX_PEOPLE, 1)
        self.helpers.spin.setObjectName("helpers")
        self.helpers.spin.setAccessibleName(tr("支援者数"))
        self.duration = DurationPicker(self._clock)
        self.outcome = outcome_group()
        self.follow_up, self.repeat = flag_toggles()
        self.contact, self.contact_warning = contact_fields()
        self.note = QLineEdit()
        self.note.setObjectName("note")
        self.note.setFont(ui_font(14))
        self.note.setPlaceholderText(tr("メモ（任意・氏名などは書かない）"))
        self.note.setAccessibleName(tr("メモ"))
        # A gentle warning, never a refusal: the pattern check (dxdesk.support.notecheck) can be wrong.
        self.note_warning = QLabel("")
        self.note_warning.setObjectName("noteWarning")
        self.note_warning.setProperty("role", "warning")
        self.note_warning.setFont(ui_font(10))
        self.note_warning.setWordWrap(True)
        self.note_warning.hide()
        self.notes_synced = True  # the page sets it from [store] keep_support_notes_on_desk
        self.note.textChanged.connect(self._check_note)

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
        topics_card, tcol = card()
        title_row = QHBoxLayout()
        title_row.addWidget(section_title(tr("相談内容（複数選択可）"), "Alt+1〜0, -"))
        title_row.addStretch(1)
        title_row.addWidget(self.mode_label)
        tcol.addLayout(title_row)
        tcol.addWidget(self.topics)
        tcol.addWidget(self.errors["topics"])

        who, acol = card()
        acol.addWidget(titled(section_title(tr("端末"), "Alt+D"), self.device, self.errors["device"]))
        acol.addWidget(titled(section_title(tr("年齢層（歳）"), "Alt+A"), self.age_band, self.errors["age_band"]))
        acol.addStretch(1)

        how, bcol = card()
        people = QHBoxLayout()
        people.addWidget(titled(section_title(tr("参加者"), "Alt+P"), self.attendees, self.errors["attendees"]))
        people.addWidget(titled(section_title(tr("支援者"), "Alt+H"), self.helpers, self.errors["helpers"]))
        bcol.addLayout(people)
        bcol.addWidget(titled(section_title(tr("所要時間"), tr("Alt+M・タイマー Alt+S")), self.duration,
                              self.errors["duration_minutes"]))
        bcol.addStretch(1)

        more, ccol = card()
        ccol.addWidget(titled(section_title(tr("結果"), "Alt+O"), self.outcome, self.errors["outcome"]))
        flags = QHBoxLayout()
        flags.addWidget(self.follow_up)
        flags.addWidget(self.repeat)
        ccol.addLayout(flags)
        ccol.addWidget(self.contact)
        ccol.addWidget(self.contact_warning)
        ccol.addWidget(self.errors["follow_up_contact"])
        ccol.addWidget(titled(section_title(tr("メモ"), "Alt+N"), self.note, self.errors["note"]))
        ccol.addWidget(self.note_warning)
        ccol.addStretch(1)

        columns = QHBoxLayout()
        columns.setSpacing(8)
        for column, stretch in ((who, 30), (how, 33), (more, 37)):
            columns.addWidget(column, stretch)

        fields = QWidget()
        fcol = QVBoxLayout(fields)
        fcol.setContentsMargins(0, 0, 0, 0)
        fcol.setSpacing(8)
        fcol.addWidget(self.header)
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
        self.duration.timer_started.connect(self._timer_started)
        self.save_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self._clear_clicked)

    # --- reactions -----------------------------------------------------------
    def _follow_up_toggled(self, on: bool) -> None:
        self.contact.setEnabled(on and (self._editing is None or self._editing.follow_up_closed_at is None))
        self.contact_warning.setVisible(on)

    def _timer_started(self, when: datetime) -> None:
        if self._editing is None:  # a new session starts when its timer does
            self.header.set_start(when, edited=True)

    def _clear_clicked(self) -> None:
        if self._editing is not None:
            self.load(self._editing)  # in edit mode "clear" means "undo my changes"
        else:
            self.reset()

    def set_catalog(self, catalog: Catalog) -> None:
        """Take a newer catalog (a venue was added); topics stay as built."""
        self._catalog = catalog
        self.header.set_catalog(catalog)

    # --- state ---------------------------------------------------------------
    def day_defaults(self) -> DayDefaults:
        return self.header.day_defaults()

    def apply_defaults(self, d: DayDefaults) -> None:
        self.header.apply_defaults(d)

    def _check_note(self, text: str) -> None:
        warning = note_warning(text, synced=self.notes_synced)
        self.note_warning.setText(warning.text() if warning else "")
        self.note_warning.setVisible(warning is not None)

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
        self.header.set_start(self._clock(), edited=False)
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
        self.header.set_start(session.started_at, edited=True)
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
        started = self.header.started_at(self._clock(), duration)
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
