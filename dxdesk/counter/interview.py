"""The interview (聞き取り): questions of the chosen procedures, answers, visibility, follow-ons.

Answers are normalised on entry (postal codes, phones, kana, dates), so what the
forms engine receives is already canonical. Questions hidden by a ``show_if``
condition keep their answer (the clerk may flip the condition back) but are left
out of :meth:`Interview.answers`, of missing-answer checks and of the forms.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from dxdesk.i18n import Msg

from . import validators
from .catalogue import Catalogue
from .errors import AnswerError, VisitError
from .procedures import Procedure, Question, QuestionType, ShowIf

Answer = str | int | bool | date | list[str]

_REASONS = {  # English reasons from validators → bilingual messages
    "postal": Msg("郵便番号は7桁の数字で入力してください（例: 123-4567）", "Postal code must be 7 digits, e.g. 123-4567."),
    "phone": Msg("電話番号は0から始まる10桁または11桁で入力してください", "Phone number must be 10 or 11 digits starting with 0."),
    "kana": Msg("カタカナまたはひらがなで入力してください", "Enter the reading in katakana or hiragana only."),
    "date": Msg("日付を入力してください（例: 2025-04-01、令和7年4月1日）", "Enter a date, e.g. 2025-04-01 or 令和7年4月1日."),
    "int": Msg("整数で入力してください", "Enter a whole number."),
}


class Interview:
    """Answers for a set of chosen procedures. Not thread-safe: drive it from one thread (the UI's)."""

    def __init__(self, catalogue: Catalogue, procedure_ids: Sequence[str] = (), answers: dict[str, Answer] | None = None):
        self.catalogue = catalogue
        self._procedures: tuple[Procedure, ...] = ()
        self._answers: dict[str, Answer] = {}
        self.set_procedures(procedure_ids)
        for qid, value in (answers or {}).items():
            if qid in self._questions:
                self._answers[qid] = value

    # -- procedures ------------------------------------------------------------------------------

    @property
    def procedures(self) -> tuple[Procedure, ...]:
        return self._procedures

    @property
    def procedure_ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self._procedures)

    def set_procedures(self, procedure_ids: Sequence[str]) -> None:
        """Choose the procedures; answers to questions that still apply are kept."""
        chosen: list[Procedure] = []
        for pid in dict.fromkeys(procedure_ids):  # de-duplicate, keep order
            if pid not in self.catalogue:
                raise VisitError(
                    Msg(f"手続き「{pid}」はカタログにありません", f"Procedure '{pid}' is not in the catalogue."),
                    code="unknown_procedure",
                )
            chosen.append(self.catalogue.get(pid))
        self._procedures = tuple(chosen)
        # Shared question ids (e.g. phone) are asked once, in the order of the first procedure.
        self._questions: dict[str, Question] = {}
        for p in self._procedures:
            for q in p.questions:
                self._questions.setdefault(q.id, q)
        self._answers = {k: v for k, v in self._answers.items() if k in self._questions}

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(self._questions.values())

    def question(self, question_id: str) -> Question:
        try:
            return self._questions[question_id]
        except KeyError:
            raise VisitError(
                Msg(f"質問「{question_id}」は選ばれた手続きにありません", f"Question '{question_id}' is not asked for the chosen procedures."),
                code="unknown_question",
            ) from None

    # -- answers ---------------------------------------------------------------------------------

    def set_answer(self, question_id: str, raw: Any) -> Answer | None:
        """Validate and store an answer; returns the normalised value. Empty input clears it."""
        question = self.question(question_id)
        if raw is None or (isinstance(raw, str) and not raw.strip()) or (isinstance(raw, (list, tuple)) and not raw):
            self._answers.pop(question_id, None)
            return None
        value = normalize_answer(question, raw)
        self._answers[question_id] = value
        return value

    def clear_answer(self, question_id: str) -> None:
        self._answers.pop(question_id, None)

    def raw_answers(self) -> dict[str, Answer]:
        """Every stored answer, hidden ones included (for the journal)."""
        return dict(self._answers)

    def answers(self) -> dict[str, Answer]:
        """Answers to visible questions only: what the forms get."""
        visible = {q.id for q in self.visible_questions()}
        return {k: v for k, v in self._answers.items() if k in visible}

    def is_visible(self, question: Question) -> bool:
        return question.show_if is None or self._matches(question.show_if) is True

    def condition_met(self, condition: ShowIf) -> bool:
        """Whether a visible answer meets the condition now (an open or hidden one does not)."""
        return self._matches(condition) is True

    def _matches(self, condition: ShowIf) -> bool | None:
        """Whether the answer meets the condition: True, False, or None while it cannot be known yet.

        A controlling question that is itself ruled out counts as not matching; one whose own
        condition is still open leaves this one open too.
        """
        controller = self._questions.get(condition.question)
        if controller is None:
            return None
        if controller.show_if is not None:
            upstream = self._matches(controller.show_if)
            if upstream is not True:
                return upstream
        answer = self._answers.get(condition.question)
        if answer is None:
            return None
        values = [str(v) for v in answer] if isinstance(answer, list) else [_as_text(answer)]
        wanted = [_as_text(condition.equals)] if condition.one_of == () else list(condition.one_of)
        return any(v in wanted for v in values)

    def visible_questions(self) -> list[Question]:
        return [q for q in self._questions.values() if self.is_visible(q)]

    def missing_required(self) -> list[Question]:
        return [q for q in self.visible_questions() if q.required and q.id not in self._answers]

    def is_complete(self) -> bool:
        return not self.missing_required()

    # -- follow-ons ------------------------------------------------------------------------------

    def suggested_follow_ons(self) -> list[Procedure]:
        """Follow-ons of the chosen procedures, minus those already chosen, in order of mention.

        A conditional follow-on is left out only when its condition's answer is known and does not match.
        """
        chosen = set(self.procedure_ids)
        suggested: dict[str, Procedure] = {}
        for p in self._procedures:
            for follow_on in p.follow_ons:
                fid = follow_on.id
                if fid in chosen or fid not in self.catalogue:
                    continue
                if follow_on.show_if is not None and self._matches(follow_on.show_if) is False:
                    continue
                suggested.setdefault(fid, self.catalogue.get(fid))
        return list(suggested.values())

    # -- persistence -----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self._answers.items()}

    @classmethod
    def from_json(cls, catalogue: Catalogue, procedure_ids: Sequence[str], data: dict[str, Any]) -> "Interview":
        interview = cls(catalogue, procedure_ids)
        for qid, value in data.items():
            question = interview._questions.get(qid)
            if question is None:
                continue  # the catalogue changed since the crash; that answer no longer applies
            interview._answers[qid] = date.fromisoformat(value) if question.type is QuestionType.DATE else value
        return interview


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def normalize_answer(question: Question, raw: Any) -> Answer:
    """One answer, validated against the question's type, choices and limits."""
    qid, rules = question.id, question.validation
    t = question.type
    try:
        if t is QuestionType.POSTAL_CODE:
            return validators.normalize_postal_code(str(raw))
        if t is QuestionType.PHONE:
            return validators.normalize_phone(str(raw))
        if t is QuestionType.BOOL:
            return _parse_bool(qid, raw)
        if t is QuestionType.CHOICE:
            return _check_choice(question, raw)
        if t is QuestionType.MULTI:
            values = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, Iterable) else [raw]
            return [_check_choice(question, v) for v in dict.fromkeys(values)]
        if t is QuestionType.INT:
            number = validators.parse_int(raw)
            if rules.min is not None and number < int(rules.min):
                raise AnswerError(qid, Msg(f"{rules.min} 以上で入力してください", f"Must be at least {rules.min}."))
            if rules.max is not None and number > int(rules.max):
                raise AnswerError(qid, Msg(f"{rules.max} 以下で入力してください", f"Must be at most {rules.max}."))
            return number
        if t is QuestionType.DATE:
            day = raw if isinstance(raw, date) else validators.parse_date(str(raw))
            if rules.min is not None and day < date.fromisoformat(str(rules.min)):
                raise AnswerError(qid, Msg(f"{rules.min} 以降の日付を入力してください", f"Date must be on or after {rules.min}."))
            if rules.max is not None and day > date.fromisoformat(str(rules.max)):
                raise AnswerError(qid, Msg(f"{rules.max} 以前の日付を入力してください", f"Date must be on or before {rules.max}."))
            return day
        text = validators.normalize_kana(str(raw)) if t is QuestionType.KANA else str(raw).strip()
        return _check_text(question, text)
    except ValueError:
        reason = {
            QuestionType.POSTAL_CODE: "postal", QuestionType.PHONE: "phone", QuestionType.KANA: "kana",
            QuestionType.DATE: "date", QuestionType.INT: "int",
        }[t]
        raise AnswerError(qid, _REASONS[reason]) from None


def _check_text(question: Question, text: str) -> str:
    rules = question.validation
    if rules.min is not None and len(text) < int(rules.min):
        raise AnswerError(question.id, Msg(f"{rules.min} 文字以上で入力してください", f"Enter at least {rules.min} characters."))
    if rules.max is not None and len(text) > int(rules.max):
        raise AnswerError(question.id, Msg(f"{rules.max} 文字以内で入力してください", f"Enter at most {rules.max} characters."))
    if rules.regex is not None and not re.fullmatch(rules.regex, text):
        raise AnswerError(question.id, Msg("入力の形式が正しくありません", "The answer does not have the expected format."))
    return text


def _check_choice(question: Question, raw: Any) -> str:
    value = str(raw)
    if question.choice_label(value) is None:
        raise AnswerError(question.id, Msg("選択肢から選んでください", "Pick one of the offered choices."))
    return value


def _parse_bool(question_id: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "yes", "y", "1", "はい"):
        return True
    if text in ("false", "no", "n", "0", "いいえ"):
        return False
    raise AnswerError(question_id, Msg("はい か いいえ で答えてください", "Answer yes or no."))
