from __future__ import annotations

from datetime import date

import pytest

from dxdesk.counter import AnswerError, Interview, VisitError


def test_answers_are_normalised(catalogue):
    interview = Interview(catalogue, ["tennyu"])
    assert interview.set_answer("new_postal_code", "〒０５９－０９０２") == "059-0902"
    assert interview.set_answer("phone", "０９０１２３４５６７８") == "090-1234-5678"
    assert interview.set_answer("moved_on", "R8.3.28") == date(2026, 3, 28)
    assert interview.set_answer("members_moving", "２") == 2
    assert interview.set_answer("special_move_in", "いいえ") is False
    assert interview.set_answer("new_address", "  北海道白老町大町１丁目１番地  ") == "北海道白老町大町１丁目１番地"


@pytest.mark.parametrize(
    ("question", "raw", "fragment"),
    [
        ("new_postal_code", "059-090", "7 digits"),
        ("phone", "12345", "Phone"),
        ("moved_on", "1989-12-31", "on or after 1990-01-01"),  # validation.min of the question
        ("moved_on", "next week", "date"),
        ("members_moving", "0", "at least 1"),
        ("members_moving", "21", "at most 20"),
        ("members_moving", "two", "whole number"),
        ("household", "commune", "choices"),
        ("special_move_in", "maybe", "yes or no"),
        ("new_address", "x", "at least 2"),
    ],
)
def test_invalid_answers_raise_with_bilingual_message(catalogue, question, raw, fragment):
    interview = Interview(catalogue, ["tennyu"])
    with pytest.raises(AnswerError) as info:
        interview.set_answer(question, raw)
    assert info.value.question_id == question
    assert fragment in info.value.message.en and info.value.message.ja
    assert raw not in str(info.value)  # messages never echo what was typed
    assert question not in interview.raw_answers()


def test_kana_question(catalogue):
    interview = Interview(catalogue, ["jido_teate"])
    interview.set_answer("use_public_account", False)
    assert interview.set_answer("bank_account_holder_kana", "やまだ はなこ") == "ヤマダ\u3000ハナコ"
    with pytest.raises(AnswerError):
        interview.set_answer("bank_account_holder_kana", "山田花子")


def test_regex_validation(catalogue):
    interview = Interview(catalogue, ["inkan_shomei"])
    interview.set_answer("has_inkan_card", True)
    assert interview.set_answer("inkan_card_number", "00123") == "00123"
    with pytest.raises(AnswerError):
        interview.set_answer("inkan_card_number", "A-12")


def test_multi_answers(catalogue):
    interview = Interview(catalogue, ["zei_shomei"])
    assert interview.set_answer("tax_certificate_types", ["shotoku", "kazei", "shotoku"]) == ["shotoku", "kazei"]
    assert interview.set_answer("tax_certificate_types", "nozei") == ["nozei"]
    with pytest.raises(AnswerError):
        interview.set_answer("tax_certificate_types", ["shotoku", "bogus"])


def test_visibility_follows_answers_and_chains(catalogue):
    interview = Interview(catalogue, ["tennyu"])
    visible = lambda: {q.id for q in interview.visible_questions()}  # noqa: E731
    assert "head_of_household" not in visible()
    assert "has_school_children" not in visible()
    interview.set_answer("household", "join")
    assert {"head_of_household", "relationship"} <= visible()
    interview.set_answer("head_of_household", "山田太郎")
    interview.set_answer("household", "new")
    # Hidden again: the answer is kept (the clerk may switch back) but not given to the forms.
    assert "head_of_household" in interview.raw_answers()
    assert "head_of_household" not in interview.answers()
    interview.set_answer("has_children_under_18", True)
    assert "has_school_children" in visible()


def test_missing_required_only_counts_visible_questions(catalogue):
    interview = Interview(catalogue, ["juminhyo"])
    assert {q.id for q in interview.missing_required()} == {"juminhyo_copies", "scope", "juminhyo_purpose", "requester"}
    interview.set_answer("juminhyo_copies", 1)
    interview.set_answer("scope", "some")
    interview.set_answer("juminhyo_purpose", "other")
    interview.set_answer("requester", "self")
    assert {q.id for q in interview.missing_required()} == {"listed_people", "juminhyo_purpose_other"}
    interview.set_answer("scope", "household")
    interview.set_answer("juminhyo_purpose_other", "奨学金の申請")
    assert interview.is_complete()


def test_empty_input_clears_answer(catalogue):
    interview = Interview(catalogue, ["juminhyo"])
    interview.set_answer("juminhyo_copies", 2)
    assert interview.set_answer("juminhyo_copies", "  ") is None
    assert "juminhyo_copies" not in interview.raw_answers()


def test_shared_questions_are_asked_once(catalogue):
    interview = Interview(catalogue, ["tennyu", "kokuho_kanyu", "jido_teate"])
    ids = [q.id for q in interview.questions]
    assert ids.count("phone") == 1
    assert len(ids) == len(set(ids))


def test_follow_ons_exclude_chosen_and_respect_answers(catalogue):
    interview = Interview(catalogue, ["tennyu", "inkan_toroku"])
    # Unanswered conditions still suggest: better one suggestion too many than a missed 14-day deadline.
    assert [p.id for p in interview.suggested_follow_ons()] == [
        "kokuho_kanyu", "jido_teate", "tenko", "kaigo_hoken", "mynacard_jusho", "inkan_shomei",
    ]
    interview.set_answer("insurance", "employer")
    interview.set_answer("has_children_under_18", False)
    interview.set_answer("has_member_65_plus", True)
    # tenko's condition question is hidden (no children), so it is ruled out too.
    assert [p.id for p in interview.suggested_follow_ons()] == ["kaigo_hoken", "mynacard_jusho", "inkan_shomei"]


def test_moving_out_follow_ons(catalogue):
    interview = Interview(catalogue, ["tenshutsu"])
    interview.set_answer("insurance", "kokuho")
    interview.set_answer("receives_child_allowance", False)
    interview.set_answer("has_school_children", True)
    assert [p.id for p in interview.suggested_follow_ons()] == ["kokuho_soshitsu", "tenko"]


def test_changing_procedures_keeps_applicable_answers(catalogue):
    interview = Interview(catalogue, ["tennyu"])
    interview.set_answer("phone", "09012345678")
    interview.set_answer("new_address", "北海道白老町大町１丁目１番地")
    interview.set_procedures(["kokuho_kanyu"])
    assert interview.raw_answers() == {"phone": "090-1234-5678"}


def test_unknown_procedure_and_question(catalogue):
    with pytest.raises(VisitError) as info:
        Interview(catalogue, ["no_such_thing"])
    assert info.value.code == "unknown_procedure"
    with pytest.raises(VisitError) as info:
        Interview(catalogue, ["juminhyo"]).set_answer("honseki", "x")
    assert info.value.code == "unknown_question"


def test_json_roundtrip_restores_types(catalogue):
    interview = Interview(catalogue, ["tennyu"])
    interview.set_answer("moved_on", "2026-03-28")
    interview.set_answer("members_moving", 3)
    restored = Interview.from_json(catalogue, ["tennyu"], interview.to_json())
    assert restored.raw_answers() == {"moved_on": date(2026, 3, 28), "members_moving": 3}
