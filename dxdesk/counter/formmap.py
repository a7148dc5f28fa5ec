"""Apply the procedures' ``[form_map.<form>]`` tables: answers → the keys a form template reads.

The catalogue speaks in question ids (``juminhyo_copies``, ``scope = household``); a form
template reads its own keys (``interview.count_juminhyo``, ``interview.scope = all``).
The mapping lives in the procedure file, so a town that edits a form or a procedure fixes
the link in data, not in code. Parsing and validation: :mod:`dxdesk.counter.formmap_parse`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import jaconv

from .interview import Answer, Interview
from .procedures import FieldMapping, Procedure, Question, ValueSource


def map_form_interview(
    form_id: str, procedures: Iterable[Procedure], interview: Interview, card: Mapping[str, Any],
    base: Mapping[str, Any],
) -> dict[str, Any]:
    """``base`` (answers under their own ids) plus the mapped keys of every procedure printing ``form_id``.

    When two chosen procedures map the same key, the first one (in the visit's order) that gives
    a value wins. A mapped key never falls back to an answer of the same id: that answer is in the
    catalogue's vocabulary, not the form's (``scope = household`` would print as a bad value).
    """
    result = dict(base)
    answers = interview.answers()
    mapped: dict[str, Any] = {}
    claimed: set[str] = set()
    for procedure in procedures:
        if form_id not in procedure.forms:
            continue
        context = _Context(procedure, interview, answers, card)
        for mapping in procedure.form_map(form_id):
            claimed.add(mapping.key)
            if mapping.key not in mapped:
                value = context.field(mapping)
                if value is not None:
                    mapped[mapping.key] = value
    for key in claimed:
        result.pop(key, None)
    result.update(mapped)
    return result


class _Context:
    def __init__(self, procedure: Procedure, interview: Interview, answers: Mapping[str, Answer],
                 card: Mapping[str, Any]) -> None:
        self.procedure, self.interview, self.answers, self.card = procedure, interview, answers, card

    def field(self, mapping: FieldMapping) -> Any:
        if mapping.manual:
            return None
        if mapping.rows:
            rows = []
            for columns in mapping.rows:
                row = {c.key: v for c in columns if (v := self.field(c)) is not None}
                if row:
                    rows.append(row)
            return rows or None
        return next((v for s in mapping.sources if (v := self.source(s)) is not None), None)

    def source(self, source: ValueSource) -> Any:
        if not all(self.interview.condition_met(c) for c in source.when):
            return None
        if source.question is not None:
            value = self._answer(source)
        elif source.card is not None:
            value = self.card.get(source.card)
        else:
            value = source.value
        if source.kana and isinstance(value, str):
            value = jaconv.kata2hira(value) if source.kana == "hiragana" else jaconv.hira2kata(value)
        return None if value in ("", []) else value

    def _answer(self, source: ValueSource) -> Any:
        assert source.question is not None
        value = self.answers.get(source.question)
        question = self.procedure.question(source.question)
        if value is None or question is None:
            return None
        if source.label:
            return "、".join(_label(question, v) for v in value) if isinstance(value, list) else _label(question, value)
        if source.choice_map:
            table = dict(source.choice_map)
            if isinstance(value, list):
                return [table.get(v, v) for v in value]
            key = ("true" if value else "false") if isinstance(value, bool) else str(value)
            return table.get(key, value)
        return value


def _label(question: Question, value: Any) -> str:
    label = question.choice_label(str(value))
    return label.ja if label else str(value)
