"""Parse the ``[form_map.<form id>]`` tables of a procedure file.

A form template reads ``interview.<key>``; the procedure says where each key comes from::

    [form_map.juminhyo_request]
    count_juminhyo = { question = "juminhyo_copies" }
    scope = { question = "scope", map = { household = "all", some = "part" } }
    kana_name = { card = "name_kana", kana = "hiragana" }
    purpose_note = [ { question = "juminhyo_purpose_other" }, { question = "juminhyo_purpose", label = true } ]
    count_kisai = "manual"
    movers = { rows = [ { name = { card = "name" }, birth_date = { card = "birth_date" } } ] }

Problems are reported through the file parser's ``issue`` callback with the dotted key
(``form_map.juminhyo_request.scope.map.houshold``), never raised, so one run lists them all.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from dxdesk.i18n import Msg

from .procedures import CARD_SOURCES, KANA_SCRIPTS, FieldMapping, Question, QuestionType, ShowIf, ValueSource

IssueSink = Callable[[str, Msg], object]  # what it returns is ignored

_KEY_RE = re.compile(r"[a-z][a-z0-9_]*")
_SOURCE_KEYS = {"question", "card", "value", "map", "label", "when", "kana"}
MANUAL = "manual"


def parse_form_maps(
    value: Any, questions: Mapping[str, Question], forms: tuple[str, ...] | list[str], issue: IssueSink,
) -> tuple[tuple[str, tuple[FieldMapping, ...]], ...]:
    """The procedure's mappings by form id; issues for anything malformed."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        issue("form_map", Msg("[form_map.様式ID] の表で指定してください", "must be tables [form_map.<form id>]"))
        return ()
    parser = _MapParser(questions, issue)
    result: list[tuple[str, tuple[FieldMapping, ...]]] = []
    for form_id, table in value.items():
        key = f"form_map.{form_id}"
        if form_id not in forms:
            issue(key, Msg(
                f"様式「{form_id}」はこの手続きの forms にありません", f"form '{form_id}' is not in this procedure's forms",
            ))
            continue
        if not isinstance(table, dict):
            issue(key, Msg("表で指定してください", "must be a table"))
            continue
        mappings = [m for k, raw in table.items() if (m := parser.field(k, raw, f"{key}.{k}", allow_rows=True))]
        result.append((form_id, tuple(mappings)))
    return tuple(result)


class _MapParser:
    def __init__(self, questions: Mapping[str, Question], issue: IssueSink) -> None:
        self.questions = questions
        self.issue = issue

    def field(self, name: str, raw: Any, key: str, *, allow_rows: bool) -> FieldMapping | None:
        if not _KEY_RE.fullmatch(name):
            self.issue(key, Msg(
                "項目名は英小文字で始まる英小文字・数字・_ で指定してください",
                "a field key is lower-case letters, digits and _, starting with a letter",
            ))
            return None
        if raw == MANUAL:
            return FieldMapping(name, manual=True)
        if isinstance(raw, str):
            self.issue(key, Msg(
                f"文字列は \"{MANUAL}\" だけです。定数は {{ value = \"...\" }} と書いてください",
                f"the only plain string allowed is \"{MANUAL}\"; write a constant as {{ value = \"...\" }}",
            ))
            return None
        if isinstance(raw, dict) and "rows" in raw:
            if not allow_rows:
                self.issue(key, Msg("rows の中に rows は書けません", "rows cannot be nested"))
                return None
            return self._rows(name, raw, key)
        tables = raw if isinstance(raw, list) else [raw]
        if not tables or not all(isinstance(t, dict) for t in tables):
            self.issue(key, Msg(
                "{ question = ... } などの表、その配列、または \"manual\" で指定してください",
                "must be a table like { question = ... }, an array of such tables, or \"manual\"",
            ))
            return None
        where: Callable[[int], str] = (lambda n: f"{key}[{n}]") if isinstance(raw, list) else (lambda n: key)
        sources = [self._source(t, where(n)) for n, t in enumerate(tables)]
        if any(s is None for s in sources):
            return None
        return FieldMapping(name, sources=tuple(s for s in sources if s is not None))

    def _rows(self, name: str, raw: dict[str, Any], key: str) -> FieldMapping | None:
        extra = set(raw) - {"rows"}
        if extra:
            self.issue(f"{key}.{sorted(extra)[0]}", Msg("rows の表には rows だけを書いてください", "a rows table has only the key rows"))
        rows = raw["rows"]
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            self.issue(f"{key}.rows", Msg(
                "列名 = 取得元 の表の配列で指定してください", "must be a non-empty array of tables (column = source)",
            ))
            return None
        parsed: list[tuple[FieldMapping, ...]] = []
        for n, row in enumerate(rows):
            columns = [self.field(col, spec, f"{key}.rows[{n}].{col}", allow_rows=False) for col, spec in row.items()]
            if any(c is None for c in columns):
                return None
            parsed.append(tuple(c for c in columns if c is not None))
        return FieldMapping(name, rows=tuple(parsed))

    def _source(self, raw: dict[str, Any], key: str) -> ValueSource | None:
        problems = 0

        def bad(sub: str, message: Msg) -> None:
            nonlocal problems
            problems += 1
            self.issue(f"{key}.{sub}" if sub else key, message)

        for extra in sorted(set(raw) - _SOURCE_KEYS):
            bad(extra, Msg(
                f"不明なキーです（使えるキー: {', '.join(sorted(_SOURCE_KEYS))}）",
                f"unknown key (allowed: {', '.join(sorted(_SOURCE_KEYS))})",
            ))
        kinds = [k for k in ("question", "card", "value") if k in raw]
        if len(kinds) != 1:
            bad("", Msg("question・card・value のどれか一つを指定してください", "give exactly one of question, card or value"))
            return None
        question: Question | None = None
        if "question" in raw:
            question = self.questions.get(raw["question"]) if isinstance(raw["question"], str) else None
            if question is None:
                bad("question", Msg(
                    f"質問「{raw['question']}」はこの手続きにありません", f"question '{raw['question']}' is not asked by this procedure",
                ))
        if "card" in raw and raw["card"] not in CARD_SOURCES:
            bad("card", Msg(
                f"本人情報「{raw['card']}」は使えません（{', '.join(CARD_SOURCES)}）",
                f"unknown card value '{raw['card']}' (one of {', '.join(CARD_SOURCES)})",
            ))
        if "value" in raw and not isinstance(raw["value"], (str, int, bool)):
            bad("value", Msg("定数は文字列・整数・true/false で指定してください", "a constant must be text, a whole number or true/false"))
        unknown_question = "question" in raw and question is None  # already reported; skip follow-up noise
        choice_map = self._choice_map(raw["map"], question, bad) if "map" in raw and not unknown_question else ()
        label = raw.get("label", False)
        if not isinstance(label, bool):
            bad("label", Msg("true か false を指定してください", "must be true or false"))
        elif label and choice_map:
            bad("label", Msg("label と map は同時に指定できません", "give either label or map, not both"))
        elif label and not unknown_question and (question is None or not question.choices):
            bad("label", Msg("label は選択肢のある質問だけに指定できます", "label only applies to a question with choices"))
        kana = raw.get("kana", "")
        if kana and kana not in KANA_SCRIPTS:
            bad("kana", Msg(f"kana は {' / '.join(KANA_SCRIPTS)} のどちらかです", f"kana is one of {', '.join(KANA_SCRIPTS)}"))
        when = self._conditions(raw.get("when"), bad)
        if problems:
            return None
        return ValueSource(
            question=question.id if question else None, card=raw.get("card"), value=raw.get("value"),
            choice_map=choice_map, label=bool(label), when=when, kana=kana,
        )

    def _choice_map(
        self, value: Any, question: Question | None, bad: Callable[[str, Msg], None],
    ) -> tuple[tuple[str, Any], ...]:
        if question is None:
            bad("map", Msg("map は question と一緒に指定してください", "map only applies to a question"))
            return ()
        if not isinstance(value, dict) or not value:
            bad("map", Msg("回答 = 様式の値 の表で指定してください", "must be a table of answer = form value"))
            return ()
        known = {c.value for c in question.choices} if question.choices else (
            {"true", "false"} if question.type is QuestionType.BOOL else None
        )
        pairs: list[tuple[str, Any]] = []
        for answer, form_value in value.items():
            if known is not None and answer not in known:
                bad(f"map.{answer}", Msg(
                    f"「{answer}」は質問「{question.id}」の選択肢にありません", f"'{answer}' is not a choice of '{question.id}'",
                ))
            elif not isinstance(form_value, (str, int, bool)):
                bad(f"map.{answer}", Msg("様式の値は文字列・整数・true/false です", "a form value is text, a whole number or true/false"))
            else:
                pairs.append((answer, form_value))
        return tuple(pairs)

    def _conditions(self, value: Any, bad: Callable[[str, Msg], None]) -> tuple[ShowIf, ...]:
        if value is None:
            return ()
        tables = value if isinstance(value, list) else [value]
        result: list[ShowIf] = []
        for n, raw in enumerate(tables):
            sub = "when" if not isinstance(value, list) else f"when[{n}]"
            if not isinstance(raw, dict) or set(raw) - {"question", "equals", "one_of"}:
                bad(sub, Msg("{ question, equals } または { question, one_of } の表です", "must be { question, equals } or { question, one_of }"))
                continue
            question = raw.get("question")
            target = self.questions.get(question) if isinstance(question, str) else None
            if target is None:
                bad(f"{sub}.question", Msg(
                    f"条件の質問「{raw.get('question')}」はこの手続きにありません",
                    f"condition question '{raw.get('question')}' is not asked by this procedure",
                ))
                continue
            if ("equals" in raw) == ("one_of" in raw):
                bad(sub, Msg("equals か one_of のどちらか一方を指定してください", "give exactly one of equals or one_of"))
                continue
            wanted = [raw["equals"]] if "equals" in raw else raw["one_of"]
            if not isinstance(wanted, list) or not wanted:
                bad(f"{sub}.one_of", Msg("空でない配列にしてください", "must be a non-empty array"))
                continue
            choices = {c.value for c in target.choices}
            strange = [w for w in wanted if choices and str(w) not in choices]
            if strange:
                bad(sub, Msg(
                    f"「{strange[0]}」は質問「{target.id}」の選択肢にありません", f"'{strange[0]}' is not a choice of '{target.id}'",
                ))
                continue
            result.append(ShowIf(target.id, equals=raw["equals"]) if "equals" in raw
                          else ShowIf(target.id, one_of=tuple(str(v) for v in wanted)))
        return tuple(result)
