"""The counter visit as a state machine: identify → interview → confirm → print → close.

Every method that changes the visit checks the step, appends to the timeline when
the step changes, and writes the journal (when one is attached) before returning,
so a crash loses at most the keystroke in progress. Invalid requests raise
:class:`VisitError` with a bilingual message; the visit is unchanged when they do.

Every change is checked against the signed-in clerk's role (``session``): a visit
without one (restored from the journal and not yet bound with :meth:`bind_session`)
refuses every change with "please sign in". There is no unchecked mode.

Driven from one thread (the UI's or a CLI's); it is not thread-safe.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from dxdesk.i18n import Msg

from . import validators
from .card import IdentifyMethod, VisitCardData
from .catalogue import Catalogue
from .errors import VisitError
from .interview import Answer, Interview
from .procedures import Procedure
from .record import VisitRecord
from .timing import Clock, EventKind, TimelineEvent, VisitStep, VisitTimes, compute_times, system_clock

if TYPE_CHECKING:
    from dxdesk.security.permissions import Session

    from .journal import VisitJournal

log = logging.getLogger(__name__)

GUIDE_SHEET_FORM = "guide_sheet"


def _check(session: "Session | None", permission: str) -> None:
    """``security.permissions.require`` by name; imported late so the counter core loads without it."""
    from dxdesk.security.permissions import Permission, require

    require(session, Permission[permission])


def _wrong_step(action: Msg, step: VisitStep) -> VisitError:
    return VisitError(
        Msg(f"「{step.label.ja}」の段階では{action.ja}できません", f"Cannot {action.en} during the {step.label.en} step."),
        code="invalid_transition",
    )


class Visit:
    """One resident's visit to the counter. Create with :meth:`start`; restore with ``VisitJournal.load``."""

    def __init__(
        self,
        *,
        visit_id: str,
        catalogue: Catalogue,
        clerk_id: str,
        desk_id: str,
        desk_name: str,
        clock: Clock,
        journal: "VisitJournal | None",
        timeline: list[TimelineEvent],
        interview: Interview,
        card: VisitCardData | None = None,
        forms_printed: Sequence[str] = (),
        record: VisitRecord | None = None,
        session: "Session | None" = None,
    ) -> None:
        self.id = visit_id
        # The signed-in clerk: every step checks the role here, not only on the screen. None (a visit
        # restored from the journal) refuses every change until bind_session(); it is not journaled.
        self.session = session
        self.catalogue = catalogue
        self.clerk_id = clerk_id
        self.desk_id = desk_id
        self.desk_name = desk_name
        self.clock = clock
        self.journal = journal
        self._timeline = timeline
        self._interview = interview
        self._card = card
        self._forms_printed = list(forms_printed)
        self._record = record

    @classmethod
    def start(
        cls,
        catalogue: Catalogue,
        *,
        session: "Session",
        desk_id: str,
        desk_name: str = "",
        procedures: Sequence[str] = (),
        clock: Clock = system_clock,
        journal: "VisitJournal | None" = None,
        visit_id: str | None = None,
    ) -> "Visit":
        """受付: a new visit, in the identification step, already saved to the journal.

        The clerk (``session``) needs MANAGE_VISITS, and READ_CARD / READ_MY_NUMBER /
        PRINT_FORMS at the steps that use them; the visit is recorded under the session's clerk id.
        """
        _check(session, "MANAGE_VISITS")
        clerk_id = session.clerk_id
        if not clerk_id.strip() or not desk_id.strip():
            raise VisitError(Msg("職員IDと窓口IDが必要です", "A clerk id and a desk id are required."), code="bad_start")
        interview = Interview(catalogue, procedures)
        visit = cls(
            visit_id=visit_id or str(uuid.uuid4()), catalogue=catalogue, clerk_id=clerk_id, desk_id=desk_id,
            desk_name=desk_name, clock=clock, journal=journal,
            timeline=[TimelineEvent(EventKind.ENTER, VisitStep.IDENTIFY, clock())], interview=interview,
            session=session,
        )
        visit._save()
        log.info("Visit %s started at desk %s", visit.id, desk_id)
        return visit

    # -- state -------------------------------------------------------------------------------------

    @property
    def step(self) -> VisitStep:
        for event in reversed(self._timeline):
            if event.kind is EventKind.CLOSE:
                return VisitStep.CLOSED
            if event.kind is EventKind.ENTER:
                return event.step
        raise AssertionError("a visit timeline always starts with ENTER")

    @property
    def suspended(self) -> bool:
        kinds = [e.kind for e in self._timeline if e.kind in (EventKind.SUSPEND, EventKind.RESUME)]
        return bool(kinds) and kinds[-1] is EventKind.SUSPEND

    @property
    def closed(self) -> bool:
        return self.step is VisitStep.CLOSED

    @property
    def started_at(self) -> datetime:
        return self._timeline[0].at

    @property
    def timeline(self) -> tuple[TimelineEvent, ...]:
        return tuple(self._timeline)

    def times(self) -> VisitTimes:
        """Durations so far (an open visit is measured up to now)."""
        return compute_times(self._timeline, now=None if self.closed else self.clock())

    @property
    def interview(self) -> Interview:
        return self._interview

    @property
    def procedures(self) -> tuple[Procedure, ...]:
        return self._interview.procedures

    @property
    def procedure_ids(self) -> tuple[str, ...]:
        return self._interview.procedure_ids

    @property
    def card(self) -> VisitCardData | None:
        return self._card

    @property
    def identify_method(self) -> IdentifyMethod | None:
        return self._card.method if self._card else None

    @property
    def forms_printed(self) -> tuple[str, ...]:
        return tuple(self._forms_printed)

    @property
    def record(self) -> VisitRecord | None:
        """The closed-visit record (None while open)."""
        return self._record

    @property
    def needs_my_number(self) -> bool:
        """Read the My Number only if this is True (some chosen procedure legally requires it)."""
        return any(p.requires_my_number for p in self.procedures)

    @property
    def forms_to_print(self) -> tuple[str, ...]:
        """Forms of the chosen procedures, in order, then the guide sheet."""
        forms = dict.fromkeys(f for p in self.procedures for f in p.forms if f != GUIDE_SHEET_FORM)
        return (*forms, GUIDE_SHEET_FORM)

    # -- guards ------------------------------------------------------------------------------------

    def _require(self, action: Msg, *steps: VisitStep, permission: str = "MANAGE_VISITS") -> None:
        """The step guards, then the clerk's ``permission`` (MANAGE_VISITS unless the step needs another)."""
        if self.closed:
            raise VisitError(
                Msg(f"終了した受付では{action.ja}できません", f"Cannot {action.en}: the visit is closed."), code="visit_closed"
            )
        if self.suspended:
            raise VisitError(
                Msg(f"受付が中断中です。再開してから{action.ja}してください", f"Cannot {action.en}: the visit is suspended; resume it first."),
                code="visit_suspended",
            )
        if self.step not in steps:
            raise _wrong_step(action, self.step)
        _check(self.session, permission)

    def bind_session(self, session: "Session") -> None:
        """Attach the signed-in clerk to a visit restored from the journal (checks MANAGE_VISITS)."""
        _check(session, "MANAGE_VISITS")
        self.session = session

    def _enter(self, step: VisitStep) -> None:
        self._timeline.append(TimelineEvent(EventKind.ENTER, step, self.clock()))

    def _save(self) -> None:
        if self.journal is not None:
            self.journal.save(self)

    # -- identification ----------------------------------------------------------------------------

    def set_procedures(self, procedure_ids: Sequence[str]) -> None:
        """Choose (or change) the procedures. Allowed until the resident has confirmed."""
        self._require(Msg("手続きを変更", "change the procedures"), VisitStep.IDENTIFY, VisitStep.INTERVIEW, VisitStep.CONFIRM)
        self._interview.set_procedures(procedure_ids)
        if self._card is not None and not self.needs_my_number:
            self._card.drop_my_number()  # no procedure needs it any more: do not keep it a moment longer
        self._save()

    def identify(self, card: VisitCardData) -> None:
        """Record the identity (from the card, or typed by the clerk) and move on to the interview."""
        self._require(Msg("本人確認", "identify the resident"), VisitStep.IDENTIFY,
                      permission="READ_CARD" if card.method.reads_card else "MANAGE_VISITS")
        if card.has_my_number:
            _check(self.session, "READ_MY_NUMBER")
        if card.discarded:
            raise VisitError(Msg("破棄済みの本人情報は使えません", "This identity data was already discarded."), code="bad_card_data")
        if card.has_my_number and not self.needs_my_number:
            raise VisitError(
                Msg("選ばれた手続きでは個人番号を取得できません", "None of the chosen procedures allows collecting the individual number."),
                code="my_number_not_allowed",
            )
        self._card = card
        self._enter(VisitStep.INTERVIEW)
        self._save()
        log.info("Visit %s identified by %s", self.id, card.method.value)

    def attach_my_number(self, my_number: str) -> None:
        """Add the number after identification (procedure added later, read with the PIN or typed from the card)."""
        self._require(Msg("個人番号を追加", "add the individual number"), VisitStep.INTERVIEW, VisitStep.CONFIRM,
                      permission="READ_MY_NUMBER")
        card = self._identified_card()
        if not self.needs_my_number:
            raise VisitError(
                Msg("選ばれた手続きでは個人番号を取得できません", "None of the chosen procedures allows collecting the individual number."),
                code="my_number_not_allowed",
            )
        # After 照合番号B the number comes from a second, PIN-verified read (the B read never opens it);
        # the identity stays the B one, and what was read (face photo included) is kept.
        replacement = VisitCardData(
            card.method, name=card.name, address=card.address, birth_date=card.birth_date, sex=card.sex,
            name_kana=card.name_kana, my_number=my_number, number_added_later=True,
        )
        if card.method.reads_card:
            replacement.items_read = (*(i for i in card.items_read if i != "my_number"), "my_number")
        card.discard()
        self._card = replacement
        self._save()

    def _identified_card(self) -> VisitCardData:
        if self._card is None:
            raise VisitError(Msg("本人確認がまだです", "The resident has not been identified yet."), code="not_identified")
        return self._card

    # -- interview ---------------------------------------------------------------------------------

    def answer(self, question_id: str, raw: Any) -> Answer | None:
        """Validate and store one answer (``AnswerError`` if invalid). Also allowed while confirming: the clerk edits on request."""
        self._require(Msg("回答を入力", "answer questions"), VisitStep.INTERVIEW, VisitStep.CONFIRM)
        value = self._interview.set_answer(question_id, raw)
        self._save()
        return value

    def set_name_kana(self, kana: str) -> str:
        """The reading of the name as the resident confirms it; normalised to katakana."""
        self._require(Msg("ふりがなを入力", "enter the name reading"), VisitStep.INTERVIEW, VisitStep.CONFIRM)
        card = self._identified_card()
        try:
            value = validators.normalize_kana(kana)
        except ValueError:
            raise VisitError(Msg("ふりがなはカタカナかひらがなで入力してください", "Enter the reading in kana only."), code="invalid_answer") from None
        card.set_name_kana(value)
        self._save()
        return value

    def finish_interview(self) -> None:
        """Interview → resident confirmation; refuses while required answers are missing."""
        self._require(Msg("確認に進む", "go to confirmation"), VisitStep.INTERVIEW)
        self._check_ready()
        self._enter(VisitStep.CONFIRM)
        self._save()

    def _check_ready(self) -> None:
        if not self.procedures:
            raise VisitError(Msg("手続きが選ばれていません", "No procedure has been chosen."), code="no_procedures")
        missing = self._interview.missing_required()
        if missing:
            ja = "、".join(q.label.ja for q in missing)
            en = ", ".join(q.label.en for q in missing)
            raise VisitError(Msg(f"未回答の必須項目があります: {ja}", f"Required answers are missing: {en}."), code="missing_answers")
        card = self._identified_card()
        if self.needs_my_number and not card.has_my_number:
            raise VisitError(
                Msg("この手続きには個人番号が必要です", "The chosen procedures need the individual number; read it first."),
                code="my_number_missing",
            )

    def reopen_interview(self) -> None:
        """Back from confirmation to the interview (time keeps adding to the interview step)."""
        self._require(Msg("聞き取りに戻る", "go back to the interview"), VisitStep.CONFIRM)
        self._enter(VisitStep.INTERVIEW)
        self._save()

    def confirm(self) -> None:
        """The resident confirmed what will be printed: on to printing."""
        # Confirming leads straight to printing: PRINT_FORMS.
        self._require(Msg("確認を完了", "complete the confirmation"), VisitStep.CONFIRM, permission="PRINT_FORMS")
        self._check_ready()  # answers may have been edited during confirmation
        self._enter(VisitStep.PRINT)
        self._save()

    # -- printing and closing ----------------------------------------------------------------------

    def record_printed(self, form_id: str) -> None:
        """Note that a form was printed (reprints are noted once)."""
        self._require(Msg("印刷を記録", "record a print"), VisitStep.PRINT, permission="PRINT_FORMS")
        if form_id not in self.forms_to_print:
            raise VisitError(
                Msg(f"様式「{form_id}」はこの受付の手続きに含まれていません", f"Form '{form_id}' is not part of this visit's procedures."),
                code="unknown_form",
            )
        if form_id not in self._forms_printed:
            self._forms_printed.append(form_id)
        self._save()

    def close(self) -> VisitRecord:
        """Finish the visit: build the record, wipe the card data, and return the record for the store."""
        self._require(Msg("受付を終了", "close the visit"), VisitStep.PRINT)
        return self._finish("completed")

    def cancel(self, reason: str = "") -> VisitRecord:
        """Abandon the visit from any open step (also while suspended). ``reason`` must not hold personal data."""
        if self.closed:
            raise VisitError(Msg("この受付は既に終了しています", "The visit is already closed."), code="visit_closed")
        _check(self.session, "MANAGE_VISITS")
        return self._finish("cancelled", reason)

    def _finish(self, outcome: str, reason: str = "") -> VisitRecord:
        now = self.clock()
        self._timeline.append(TimelineEvent(EventKind.CLOSE, VisitStep.CLOSED, now, note=outcome))
        times = compute_times(self._timeline)
        self._record = VisitRecord(
            visit_id=self.id, clerk_id=self.clerk_id, desk_id=self.desk_id, outcome=outcome,
            procedures=self.procedure_ids, identify_method=self.identify_method.value if self.identify_method else None,
            started_at=self.started_at, closed_at=now, step_seconds=dict(times.step_seconds),
            total_seconds=times.total_seconds, active_seconds=times.active_seconds,
            suspended_seconds=times.suspended_seconds, suspensions=times.suspensions,
            forms_printed=tuple(self._forms_printed),
            card_items_read=self._card.items_read if self._card else (), retained=self._retained_fields(),
            cancel_reason=reason,
        )
        if self._card is not None:
            self._card.discard()
        # Answers are on the printed forms; the record keeps none of them.
        self._interview = Interview(self.catalogue, self.procedure_ids)
        self._save()
        log.info("Visit %s %s after %.0f s", self.id, outcome, times.total_seconds)
        return self._record

    def _retained_fields(self) -> dict[str, str]:
        if self._card is None or self._card.discarded:
            return {}
        wanted = dict.fromkeys(f for p in self.procedures for f in p.retain)
        if not self.needs_my_number:
            wanted.pop("my_number", None)  # the loader forbids it already; belt and braces for a privacy rule
        retained: dict[str, str] = {}
        for item in wanted:
            if item == "my_number" and not self._card.has_my_number:
                continue
            value = self._card.value(item)
            if value:
                retained[item] = value.isoformat() if isinstance(value, date) else str(value)
        return retained

    # -- suspension --------------------------------------------------------------------------------

    def suspend(self, reason: str = "resident_away") -> None:
        """The resident stepped away: stop the step clock until :meth:`resume`."""
        self._require(Msg("中断", "suspend"), VisitStep.IDENTIFY, VisitStep.INTERVIEW, VisitStep.CONFIRM, VisitStep.PRINT)
        self._timeline.append(TimelineEvent(EventKind.SUSPEND, self.step, self.clock(), note=reason))
        self._save()

    def resume(self) -> None:
        if self.closed:
            raise VisitError(Msg("この受付は既に終了しています", "The visit is already closed."), code="visit_closed")
        if not self.suspended:
            raise VisitError(Msg("この受付は中断されていません", "The visit is not suspended."), code="invalid_transition")
        _check(self.session, "MANAGE_VISITS")
        self._timeline.append(TimelineEvent(EventKind.RESUME, self.step, self.clock()))
        self._save()

    def _mark_interrupted(self, at: datetime) -> None:
        """After a crash: treat the time since the last save as a suspension (we cannot know better)."""
        if not self.closed and not self.suspended:
            self._timeline.append(TimelineEvent(EventKind.SUSPEND, self.step, max(at, self._timeline[-1].at), note="interrupted"))

    def __repr__(self) -> str:
        return f"<Visit {self.id} step={self.step.value} suspended={self.suspended} procedures={list(self.procedure_ids)}>"
