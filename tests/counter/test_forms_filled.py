"""Every shipped procedure that prints a form fills it completely from a fully answered visit.

This is the integration the [form_map] tables exist for: the real catalogue, the real form
templates, the forms engine and pdftotext on the result. A town edit that breaks the link
(a renamed choice, a new form box) fails here or in ``dxdesk procedures check``.
"""
from __future__ import annotations

import shutil
import subprocess
from datetime import date
from typing import Any

import pytest

from dxdesk.counter import Question, QuestionType, Visit, build_form_data, load_catalogue
from dxdesk.forms import FormData, fill_form, find_template
from clerks import clerk_session

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")

SPECIAL = {"inkan_card_number": "12345678", "fiscal_year": 2025}
MOVED_ON = date(2026, 3, 28)  # 令和8年3月28日


def _answer_for(question: Question, pick: str) -> Any:
    """A valid answer; ``pick`` = "first" or "last" choice, so both ends of each branch are printed."""
    if question.id in SPECIAL:
        return SPECIAL[question.id]
    t, rules = question.type, question.validation
    if t is QuestionType.CHOICE:
        return (question.choices[0] if pick == "first" else question.choices[-1]).value
    if t is QuestionType.MULTI:
        return [c.value for c in question.choices]  # every certificate: every count line
    if t is QuestionType.BOOL:
        return pick == "first"
    if t is QuestionType.INT:
        return max(int(rules.min or 1), 1)
    if t is QuestionType.DATE:
        return MOVED_ON
    if t is QuestionType.POSTAL_CODE:
        return "059-0902"
    if t is QuestionType.PHONE:
        return "0144-82-1234"
    if t is QuestionType.KANA:
        return "テスト"
    return "北海道白老町大町２丁目３番地" if "address" in question.id else "テスト記入"


def answered_visit(kit, catalogue, clock, procedure_id: str, pick: str) -> Visit:
    procedure = catalogue.get(procedure_id)
    visit = Visit.start(catalogue, session=clerk_session("c"), desk_id="d", desk_name="住民課 1番窓口", procedures=[procedure_id], clock=clock)
    visit.identify(kit.card_with_pin(with_number=procedure.requires_my_number))
    visit.set_name_kana("こくとう みきや")
    # Answering may reveal questions (show_if): go round until every visible one is answered.
    while missing := [q for q in visit.interview.visible_questions() if q.id not in visit.interview.raw_answers()]:
        for question in missing:
            visit.answer(question.id, _answer_for(question, pick))
    visit.finish_interview()
    return visit


def pdf_text(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True, timeout=60)
    return done.stdout.decode("utf-8")


PROCEDURES_WITH_FORMS = [p.id for p in load_catalogue() if p.forms]
# What must be on paper for each form, beyond the card's name and address (always checked).
KEY_FIELDS = {
    "juminhyo_request": ("kana_name", "count_juminhyo", "scope", "purpose", "relationship"),
    "idou_todoke": ("kana_name", "move_type", "moving_date", "new_address", "previous_address", "movers"),
    "inkan_request": ("kana_name", "count_inkan", "visitor", "purpose_note"),
    "koseki_request": ("kana_name", "honseki", "hittousha", "target_name", "count_zenbu", "count_fuhyo",
                       "purpose_note", "relationship"),
    "tax_certificate_request": ("kana_name", "tax_year", "count_shotoku", "count_kazei", "purpose", "relationship"),
}


def test_every_shipped_procedure_with_forms_is_covered():
    forms = {f for pid in PROCEDURES_WITH_FORMS for f in load_catalogue().get(pid).forms}
    assert forms == set(KEY_FIELDS)


@pytest.mark.parametrize("procedure_id", PROCEDURES_WITH_FORMS)
def test_fully_answered_visit_fills_its_forms(kit, catalogue, clock, procedure_id):
    filled: dict[str, set[str]] = {}
    for pick in ("first", "last"):
        visit = answered_visit(kit, catalogue, clock, procedure_id, pick)
        for form_id in catalogue.get(procedure_id).forms:
            data = build_form_data(visit, form_id)
            result = fill_form(form_id, FormData.from_dict(data).with_computed(today=date(2026, 4, 1)))
            assert [i for i in result.issues if i.kind == "bad_value"] == [], (pick, result.issues)
            assert result.issues == [], (pick, result.issues)
            interview = data["interview"]
            for key in KEY_FIELDS[form_id]:
                assert interview.get(key) not in (None, "", []), (form_id, pick, key)
            filled.setdefault(form_id, set()).update(k for k, v in interview.items() if v not in (None, "", []))
            text = pdf_text(result.pdf)
            flat = text.replace(" ", "").replace("\u3000", "")
            assert "こくとうみきや" in flat  # the confirmed reading on the ふりがな line
            assert kit.RESIDENT_NAME.replace("\u3000", "") in flat
            if form_id == "idou_todoke":
                assert "令和8年3月28日" in flat  # 異動日
                assert "昭和55年2月17日" in flat  # the mover's birth date in the 異動する人 table
            if form_id == "koseki_request":
                assert "テスト記入" in flat  # 本籍 / 筆頭者
    # Over both passes every interview.* box of the template got a value, unless the procedure says "manual".
    procedure = catalogue.get(procedure_id)
    for form_id, keys in filled.items():
        manual = {m.key for m in procedure.form_map(form_id) if m.manual}
        wanted = {f.source.split(".", 1)[1] for f in find_template(form_id).fields if f.source.startswith("interview.")}
        assert wanted - manual <= keys, (form_id, sorted(wanted - manual - keys))


def test_counts_and_purpose_are_printed(kit, catalogue, clock):
    visit = answered_visit(kit, catalogue, clock, "juminhyo", "last")  # purpose "その他", requester agent
    visit.reopen_interview()
    visit.answer("juminhyo_copies", 7)
    visit.answer("juminhyo_purpose_other", "奨学金の申請")
    result = fill_form("juminhyo_request", FormData.from_dict(build_form_data(visit, "juminhyo_request")).with_computed())
    flat = pdf_text(result.pdf).replace(" ", "")
    assert "奨学金の申請" in flat
    assert any(line.strip().startswith("住民票の写し") and line.rstrip().endswith("7通") for line in flat.splitlines())
