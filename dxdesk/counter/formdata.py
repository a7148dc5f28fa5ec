"""Data for the forms engine and for the 手続き案内票 (guide sheet).

:func:`build_form_data` gives the forms engine three namespaces that form
templates reference as ``card.name``, ``interview.phone``, ``computed.today``.
:func:`guide_sheet_data` gives the resident's receipt: procedures, where to go next,
and which card items were read at which desk, never the values themselves.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from dxdesk.i18n import Msg
from dxdesk.timeutil import local_date

from .card import CARD_ITEM_LABELS, SEX_LABELS
from .errors import VisitError
from .formmap import map_form_interview
from .procedures import Question, QuestionType
from .timing import EventKind, VisitStep
from .visit import Visit


def build_form_data(visit: Visit, form_id: str | None = None) -> dict[str, dict[str, Any]]:
    """``{"card": {...}, "interview": {...}, "computed": {...}}`` for printing this visit's forms.

    ``interview`` holds every visible answer under its question id (plus ``<id>_label`` for
    choices). With ``form_id`` it also holds the keys that form's template reads, filled by the
    ``[form_map.<form_id>]`` tables of the chosen procedures that print it (see
    :mod:`dxdesk.counter.formmap`). Dates are :class:`datetime.date` (the forms engine renders
    和暦); the My Number is present only when a chosen procedure requires it.
    """
    card = visit.card
    if card is None:
        raise VisitError(Msg("本人確認がまだです", "The resident has not been identified yet."), code="not_identified")
    if card.discarded:
        raise VisitError(Msg("本人情報は既に破棄されています", "The identity data of this visit has already been discarded."),
                         code="card_data_discarded")
    # The form's date is the desk's calendar day: the clock runs in UTC, and 00:00-09:00 JST is still
    # yesterday in UTC, so a form printed at opening time would carry the wrong 申請日 (and age). The
    # desk's zone is a setting (not the PC's zone), shared with the support log: see dxdesk.timeutil.
    today = local_date(visit.clock())
    from dxdesk.forms.data import age_on  # late: importing dxdesk.forms loads ReportLab (~0.15 s)

    card_data: dict[str, Any] = {
        "name": card.name,
        "family_name": card.family_name,
        "given_name": card.given_name,
        "name_kana": card.name_kana,
        "address": card.address,
        "birth_date": card.birth_date,
        "sex": card.sex,
        "sex_label": SEX_LABELS[card.sex].ja,
    }
    if visit.needs_my_number and card.has_my_number:
        card_data["my_number"] = card.my_number()
    interview: dict[str, Any] = {}
    answers = visit.interview.answers()
    for question in visit.interview.visible_questions():
        value = answers.get(question.id)
        if value is None:
            continue
        interview[question.id] = value
        if question.type is QuestionType.CHOICE:
            label = question.choice_label(str(value))
            interview[f"{question.id}_label"] = label.ja if label else str(value)
        elif question.type is QuestionType.MULTI:
            interview[f"{question.id}_label"] = "、".join(
                (question.choice_label(v) or Msg(v, v)).ja for v in value  # type: ignore[union-attr]
            )
    if form_id is not None:
        # The card's values without the My Number: a mapping may never copy it into interview.*.
        card_values = {k: v for k, v in card_data.items() if k != "my_number"}
        interview = map_form_interview(form_id, visit.procedures, visit.interview, card_values, interview)
    computed = {
        "today": today,
        "age": age_on(card.birth_date, today),
        "visit_id": visit.id,
        "desk_id": visit.desk_id,
        "desk_name": visit.desk_name,
        "clerk_id": visit.clerk_id,
        "procedures": [p.name.ja for p in visit.procedures],
        "identify_method": card.method.label.ja,
        # The forms' 窓口記入欄 box "本人確認: マイナンバーカード".
        "id_verified_by_card": card.method.reads_card,
    }
    return {"card": card_data, "interview": interview, "computed": computed}


def guide_sheet_data(visit: Visit) -> dict[str, Any]:
    """Data for the 手続き案内票. Works before and after close: it uses no card values."""
    procedures = [
        {
            "id": p.id,
            "name_ja": p.name.ja,
            "name_en": p.name.en,
            "counter_id": p.counter.id,
            "counter_ja": p.counter.name.ja,
            "counter_en": p.counter.name.en,
            "forms": list(p.forms),
        }
        for p in visit.procedures
    ]
    # Where to go next: one entry per counter, in order of first appearance.
    next_counters: dict[str, dict[str, Any]] = {}
    for p in visit.procedures:
        entry = next_counters.setdefault(
            p.counter.id, {"counter_id": p.counter.id, "counter_ja": p.counter.name.ja, "counter_en": p.counter.name.en,
                           "procedures_ja": [], "procedures_en": []},
        )
        entry["procedures_ja"].append(p.name.ja)
        entry["procedures_en"].append(p.name.en)
    suggestions = [
        {"id": p.id, "name_ja": p.name.ja, "name_en": p.name.en, "counter_ja": p.counter.name.ja, "counter_en": p.counter.name.en}
        for p in visit.interview.suggested_follow_ons()
    ]
    method = visit.identify_method
    items = visit.card.items_read if visit.card else ()
    read_at = next((e.at for e in visit.timeline if e.kind is EventKind.ENTER and e.step is VisitStep.INTERVIEW), None)
    return {
        "visit_id": visit.id,
        "date": local_date(visit.started_at),  # the desk's day, not UTC's (see build_form_data)
        "desk_id": visit.desk_id,
        "desk_name": visit.desk_name,
        "procedures": procedures,
        "next_counters": list(next_counters.values()),
        "suggested": suggestions,
        "identify_method_ja": method.label.ja if method else "",
        "identify_method_en": method.label.en if method else "",
        "card_items_read": [
            {"item": item, "label_ja": CARD_ITEM_LABELS[item].ja, "label_en": CARD_ITEM_LABELS[item].en} for item in items
        ],
        "card_read_at": read_at if items else None,
        "card_read_by_desk": visit.desk_name or visit.desk_id if items else "",
    }


@dataclass(frozen=True)
class ConfirmationItem:
    """One line of the resident confirmation view (large text, second screen)."""

    key: str  # "card.name", "interview.phone", ...
    label: Msg
    value: str  # display text; the My Number is masked
    reading: str = ""  # furigana for the name


def confirmation_items(visit: Visit) -> list[ConfirmationItem]:
    """What will be printed, as the resident should check it. Dates stay ISO: the UI formats 和暦."""
    card = visit.card
    if card is None or card.discarded:
        raise VisitError(Msg("本人確認がまだです", "The resident has not been identified yet."), code="not_identified")
    items = [
        ConfirmationItem("card.name", CARD_ITEM_LABELS["name"], card.name, reading=card.name_kana),
        ConfirmationItem("card.address", CARD_ITEM_LABELS["address"], card.address),
        ConfirmationItem("card.birth_date", CARD_ITEM_LABELS["birth_date"], card.birth_date.isoformat()),
        ConfirmationItem("card.sex", CARD_ITEM_LABELS["sex"], SEX_LABELS[card.sex].ja),
    ]
    if visit.needs_my_number and card.has_my_number:
        items.append(ConfirmationItem("card.my_number", CARD_ITEM_LABELS["my_number"], card.masked_my_number()))
    answers = visit.interview.answers()
    for question in visit.interview.visible_questions():
        if question.id in answers:
            items.append(ConfirmationItem(f"interview.{question.id}", question.label, _display(question, answers[question.id])))
    return items


def _display(question: Question, value: Any) -> str:
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "、".join((question.choice_label(v) or Msg(v, v)).ja for v in value)
    label = question.choice_label(str(value)) if question.choices else None
    return label.ja if label else str(value)
