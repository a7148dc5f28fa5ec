"""Load and validate the procedures catalogue (resources/procedures/*.toml + the town's overrides).

Every problem is reported as a :class:`CatalogueIssue` naming the file and the key
(e.g. ``tennyu.toml: questions[3].type``), so a town clerk editing a TOML file sees
exactly what to fix. A file in the town folder (``app_paths().data_dir/"procedures"``)
replaces the shipped procedure with the same id, or adds a new one.
"""
from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from dxdesk.errors import DetailedError
from dxdesk.i18n import Msg
from dxdesk.paths import app_paths
from dxdesk.resources import resource_path

from .formmap_parse import parse_form_maps
from .procedures import (
    CARD_FIELDS,
    KNOWN_FORM_IDS,
    Choice,
    Counter,
    FollowOn,
    Procedure,
    Question,
    QuestionType,
    ShowIf,
    Validation,
)

log = logging.getLogger(__name__)

_ID_RE = re.compile(r"[a-z][a-z0-9_]*")
_PROCEDURE_KEYS = {
    "id", "name", "description", "counter", "forms", "requires_my_number", "my_number_note", "retain",
    "questions", "follow_ons", "form_map",
}
_QUESTION_KEYS = {"id", "label", "type", "required", "choices", "validation", "show_if", "help"}


@dataclass(frozen=True)
class CatalogueIssue:
    file: str
    key: str  # dotted path inside the file, "" for the whole file
    message: Msg
    warning: bool = False  # worth a look, but the procedure still works (e.g. a form field left to the clerk)

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}: " if self.key else f"{self.file}: "
        return f"{where}{'warning: ' if self.warning else ''}{self.message.en}"


class CatalogueError(DetailedError):
    ja_lead = "手続きの定義ファイルに誤りがあります。手続きを管理している担当者に連絡してください"

    def __init__(self, issues: Sequence[CatalogueIssue]) -> None:
        self.issues = tuple(issues)
        lines = "\n".join(str(i) for i in self.issues)
        super().__init__(f"{len(self.issues)} problem(s) in the procedures catalogue:\n{lines}")


class Catalogue:
    """The validated procedures, in a stable order (file name order, town additions last)."""

    def __init__(self, procedures: Iterable[Procedure]) -> None:
        self._by_id = {p.id: p for p in procedures}

    def __iter__(self) -> Iterator[Procedure]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, procedure_id: object) -> bool:
        return procedure_id in self._by_id

    def get(self, procedure_id: str) -> Procedure:
        """The procedure, or KeyError (callers in the visit turn it into a VisitError)."""
        return self._by_id[procedure_id]

    def ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)


def default_catalogue_dirs() -> list[Path]:
    """Shipped catalogue first, then the town's folder (which wins on equal ids)."""
    return [resource_path("procedures"), app_paths().data_dir / "procedures"]


def known_form_ids() -> frozenset[str]:
    """Ids of the form templates the forms engine can fill (shipped and the town's own)."""
    from dxdesk.forms.registry import template_dirs

    found = {p.stem for d in template_dirs() if d.is_dir() for p in d.glob("*.toml")}
    return KNOWN_FORM_IDS | found


def load_catalogue(dirs: Sequence[Path] | None = None, known_forms: Iterable[str] | None = None) -> Catalogue:
    """The catalogue, or :class:`CatalogueError` listing every problem at once."""
    catalogue, issues = check_catalogue(dirs, known_forms)
    if issues:
        raise CatalogueError(issues)
    return catalogue


def check_catalogue(
    dirs: Sequence[Path] | None = None, known_forms: Iterable[str] | None = None
) -> tuple[Catalogue, list[CatalogueIssue]]:
    """Load what is valid and list what is not; procedures with problems are left out."""
    forms = frozenset(known_forms) if known_forms is not None else known_form_ids()
    issues: list[CatalogueIssue] = []
    merged: dict[str, Procedure] = {}
    for directory in dirs if dirs is not None else default_catalogue_dirs():
        if not directory.is_dir():
            continue
        seen_here: dict[str, str] = {}
        for path in sorted(directory.glob("*.toml")):
            parser = _FileParser(path, forms)
            procedure = parser.parse()
            issues.extend(parser.issues)
            if procedure is None:
                continue
            if procedure.id in seen_here:
                issues.append(parser.issue("id", Msg(
                    f"手続きID「{procedure.id}」は {seen_here[procedure.id]} と重複しています",
                    f"duplicate procedure id '{procedure.id}' (also in {seen_here[procedure.id]})",
                )))
                continue
            seen_here[procedure.id] = path.name
            if procedure.id in merged:
                log.info("Procedure %s from %s replaces the shipped one", procedure.id, path)
            merged[procedure.id] = procedure
    issues.extend(_cross_check(merged))
    bad_files = {i.file for i in issues}
    valid = [p for p in merged.values() if p.source_file not in bad_files]
    return Catalogue(valid), issues


def _cross_check(procedures: dict[str, Procedure]) -> list[CatalogueIssue]:
    """Checks that need the whole catalogue: follow-on ids, shared question ids."""
    issues: list[CatalogueIssue] = []
    shared: dict[str, tuple[Question, str]] = {}
    for p in procedures.values():
        for n, follow_on in enumerate(p.follow_ons):
            follow = follow_on.id
            if follow not in procedures:
                issues.append(CatalogueIssue(p.source_file, f"follow_ons[{n}]", Msg(
                    f"関連手続き「{follow}」はカタログにありません", f"follow-on procedure '{follow}' does not exist",
                )))
            elif follow == p.id:
                issues.append(CatalogueIssue(p.source_file, f"follow_ons[{n}]", Msg(
                    "手続き自身を関連手続きにはできません", "a procedure cannot be its own follow-on",
                )))
        for n, q in enumerate(p.questions):
            # One interview merges the questions of all chosen procedures by id, so a shared id
            # must mean the same question everywhere.
            if q.id in shared:
                other, where = shared[q.id]
                if (other.type, other.choices) != (q.type, q.choices):
                    issues.append(CatalogueIssue(p.source_file, f"questions[{n}].id", Msg(
                        f"質問ID「{q.id}」は {where} で別の型・選択肢で定義されています",
                        f"question id '{q.id}' is defined with a different type or choices in {where}",
                    )))
            else:
                shared[q.id] = (q, p.source_file)
    return issues


class _FileParser:
    """Parses one TOML file into a Procedure, collecting issues instead of stopping at the first."""

    def __init__(self, path: Path, known_forms: frozenset[str]) -> None:
        self.path = path
        self.file = str(path)
        self.known_forms = known_forms
        self.issues: list[CatalogueIssue] = []

    def issue(self, key: str, message: Msg) -> CatalogueIssue:
        found = CatalogueIssue(self.file, key, message)
        self.issues.append(found)
        return found

    def parse(self) -> Procedure | None:
        try:
            data = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            self.issue("", Msg(f"ファイルを読めません: {exc}", f"cannot read the file: {exc}"))
            return None
        except tomllib.TOMLDecodeError as exc:
            self.issue("", Msg(f"TOMLの書式が正しくありません: {exc}", f"not valid TOML: {exc}"))
            return None
        self._unknown_keys(data, _PROCEDURE_KEYS, "")
        pid = self._id(data.get("id"), "id")
        if pid and pid != self.path.stem:
            self.issue("id", Msg(
                f"ID「{pid}」はファイル名（{self.path.stem}）と一致させてください",
                f"id '{pid}' must match the file name ({self.path.stem}.toml)",
            ))
        name = self._msg(data.get("name"), "name", required=True)
        description = self._msg(data.get("description"), "description", required=False)
        counter = self._counter(data.get("counter"))
        forms = self._str_list(data.get("forms", []), "forms")
        for n, form in enumerate(forms):
            if form not in self.known_forms:
                self.issue(f"forms[{n}]", Msg(f"様式「{form}」は存在しません", f"unknown form id '{form}'"))
        if len(set(forms)) != len(forms):
            self.issue("forms", Msg("様式が重複しています", "a form is listed twice"))
        requires = data.get("requires_my_number", False)
        if not isinstance(requires, bool):
            self.issue("requires_my_number", Msg("true か false を指定してください", "must be true or false"))
            requires = False
        note = self._msg(data.get("my_number_note"), "my_number_note", required=requires)
        retain = self._str_list(data.get("retain", []), "retain")
        for n, item in enumerate(retain):
            if item not in CARD_FIELDS:
                self.issue(f"retain[{n}]", Msg(
                    f"保持項目「{item}」は不明です（{', '.join(CARD_FIELDS)}）",
                    f"unknown card field '{item}' (one of {', '.join(CARD_FIELDS)})",
                ))
        if "my_number" in retain and not requires:
            self.issue("retain", Msg(
                "個人番号を保持できるのは requires_my_number = true の手続きだけです",
                "my_number may be retained only by a procedure with requires_my_number = true",
            ))
        questions = self._questions(data.get("questions", []))
        follow_ons = self._follow_ons(data.get("follow_ons", []), {q.id: q for q in questions})
        form_maps = parse_form_maps(data.get("form_map"), {q.id: q for q in questions}, forms, self.issue)
        if self.issues or not pid or name is None or counter is None:
            return None
        return Procedure(
            id=pid, name=name, counter=counter, forms=tuple(forms), requires_my_number=requires,
            my_number_note=note, retain=tuple(retain), questions=tuple(questions),
            follow_ons=tuple(follow_ons), description=description, source_file=self.file, form_maps=form_maps,
        )

    # -- pieces ---------------------------------------------------------------------------------

    def _unknown_keys(self, table: dict[str, Any], allowed: set[str], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                self.issue(f"{prefix}{key}", Msg(
                    f"不明なキーです（使えるキー: {', '.join(sorted(allowed))}）",
                    f"unknown key (allowed: {', '.join(sorted(allowed))})",
                ))

    def _id(self, value: Any, key: str) -> str | None:
        if not isinstance(value, str) or not _ID_RE.fullmatch(value):
            self.issue(key, Msg(
                "IDは英小文字で始まる英小文字・数字・_ で指定してください",
                "id is required: lower-case letters, digits and _, starting with a letter",
            ))
            return None
        return value

    def _msg(self, value: Any, key: str, *, required: bool) -> Msg | None:
        if value is None:
            if required:
                self.issue(key, Msg("必須です（ja と en を指定）", "required (a table with ja and en)"))
            return None
        if (
            not isinstance(value, dict)
            or set(value) != {"ja", "en"}
            or not all(isinstance(v, str) and v.strip() for v in value.values())
        ):
            self.issue(key, Msg("ja と en の両方を文字列で指定してください", "needs exactly ja and en, both non-empty text"))
            return None
        return Msg(ja=value["ja"], en=value["en"])

    def _str_list(self, value: Any, key: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.issue(key, Msg("文字列のリストで指定してください", "must be a list of strings"))
            return []
        return list(value)

    def _follow_ons(self, value: Any, questions: dict[str, Question]) -> list[FollowOn]:
        if not isinstance(value, list):
            self.issue("follow_ons", Msg("配列で指定してください", "must be an array"))
            return []
        result: list[FollowOn] = []
        for n, raw in enumerate(value):
            key = f"follow_ons[{n}]"
            if isinstance(raw, str):
                result.append(FollowOn(raw))
            elif isinstance(raw, dict):
                self._unknown_keys(raw, {"id", "show_if"}, f"{key}.")
                fid = self._id(raw.get("id"), f"{key}.id")
                show_if = self._show_if(raw.get("show_if"), f"{key}.show_if", questions)
                if fid:
                    result.append(FollowOn(fid, show_if))
            else:
                self.issue(key, Msg("手続きIDか {id, show_if} の表で指定してください", "must be a procedure id or a table {id, show_if}"))
        if len({f.id for f in result}) != len(result):
            self.issue("follow_ons", Msg("関連手続きが重複しています", "a follow-on procedure is listed twice"))
        return result

    def _counter(self, value: Any) -> Counter | None:
        if not isinstance(value, dict):
            self.issue("counter", Msg("窓口（id, ja, en）を指定してください", "required: a table with id, ja and en"))
            return None
        self._unknown_keys(value, {"id", "ja", "en"}, "counter.")
        cid = self._id(value.get("id"), "counter.id")
        name = self._msg({k: value.get(k) for k in ("ja", "en")}, "counter", required=True)
        return Counter(cid, name) if cid and name else None

    def _questions(self, value: Any) -> list[Question]:
        if not isinstance(value, list):
            self.issue("questions", Msg("[[questions]] の配列で指定してください", "must be an array of [[questions]] tables"))
            return []
        result: list[Question] = []
        seen: set[str] = set()
        for n, raw in enumerate(value):
            key = f"questions[{n}]"
            if not isinstance(raw, dict):
                self.issue(key, Msg("表で指定してください", "must be a table"))
                continue
            question = self._question(raw, key, {q.id: q for q in result})
            if question is None:
                continue
            if question.id in seen:
                self.issue(f"{key}.id", Msg(f"質問ID「{question.id}」が重複しています", f"duplicate question id '{question.id}'"))
                continue
            seen.add(question.id)
            result.append(question)
        return result

    def _question(self, raw: dict[str, Any], key: str, earlier: dict[str, Question]) -> Question | None:
        before = len(self.issues)
        self._unknown_keys(raw, _QUESTION_KEYS, f"{key}.")
        qid = self._id(raw.get("id"), f"{key}.id")
        label = self._msg(raw.get("label"), f"{key}.label", required=True)
        help_msg = self._msg(raw.get("help"), f"{key}.help", required=False)
        try:
            qtype = QuestionType(raw.get("type"))
        except ValueError:
            self.issue(f"{key}.type", Msg(
                f"質問の型「{raw.get('type')}」は不明です（{', '.join(t.value for t in QuestionType)}）",
                f"unknown question type '{raw.get('type')}' (one of {', '.join(t.value for t in QuestionType)})",
            ))
            return None
        required = raw.get("required", False)
        if not isinstance(required, bool):
            self.issue(f"{key}.required", Msg("true か false を指定してください", "must be true or false"))
        choices = self._choices(raw.get("choices"), f"{key}.choices", qtype)
        validation = self._validation(raw.get("validation"), f"{key}.validation", qtype)
        show_if = self._show_if(raw.get("show_if"), f"{key}.show_if", earlier)
        if len(self.issues) > before or qid is None or label is None:
            return None
        return Question(qid, label, qtype, bool(required), choices, validation, show_if, help_msg)

    def _choices(self, value: Any, key: str, qtype: QuestionType) -> tuple[Choice, ...]:
        wants = qtype in (QuestionType.CHOICE, QuestionType.MULTI)
        if value is None:
            if wants:
                self.issue(key, Msg("choice/multi の質問には choices が必要です", "choice and multi questions need choices"))
            return ()
        if not wants:
            self.issue(key, Msg("choices は choice/multi の質問だけに指定できます", "choices only apply to choice and multi questions"))
            return ()
        if not isinstance(value, list) or not value:
            self.issue(key, Msg("choices は空でない配列にしてください", "choices must be a non-empty array"))
            return ()
        result: list[Choice] = []
        for n, raw in enumerate(value):
            ckey = f"{key}[{n}]"
            if not isinstance(raw, dict):
                self.issue(ckey, Msg("value, ja, en の表で指定してください", "must be a table with value, ja and en"))
                continue
            self._unknown_keys(raw, {"value", "ja", "en"}, f"{ckey}.")
            cvalue = raw.get("value")
            label = self._msg({k: raw.get(k) for k in ("ja", "en")}, ckey, required=True)
            if not isinstance(cvalue, str) or not cvalue:
                self.issue(f"{ckey}.value", Msg("value を文字列で指定してください", "value must be non-empty text"))
            elif any(c.value == cvalue for c in result):
                self.issue(f"{ckey}.value", Msg(f"選択肢「{cvalue}」が重複しています", f"duplicate choice value '{cvalue}'"))
            elif label is not None:
                result.append(Choice(cvalue, label))
        return tuple(result)

    def _validation(self, value: Any, key: str, qtype: QuestionType) -> Validation:
        if value is None:
            return Validation()
        if not isinstance(value, dict):
            self.issue(key, Msg("表で指定してください", "must be a table"))
            return Validation()
        self._unknown_keys(value, {"regex", "min", "max"}, f"{key}.")
        regex = value.get("regex")
        if regex is not None:
            if qtype not in (QuestionType.TEXT, QuestionType.KANA):
                self.issue(f"{key}.regex", Msg("regex は text/kana の質問だけに指定できます", "regex only applies to text and kana"))
            else:
                try:
                    re.compile(regex)
                except (re.error, TypeError) as exc:
                    self.issue(f"{key}.regex", Msg(f"正規表現が正しくありません: {exc}", f"invalid regular expression: {exc}"))
        bounds: dict[str, Any] = {}
        for side in ("min", "max"):
            bound = value.get(side)
            if bound is None:
                continue
            if qtype is QuestionType.DATE:
                try:
                    bounds[side] = date.fromisoformat(str(bound))
                except ValueError:
                    self.issue(f"{key}.{side}", Msg("日付は 2025-04-01 の形式で指定してください", "dates must be YYYY-MM-DD"))
            elif qtype in (QuestionType.INT, QuestionType.TEXT, QuestionType.KANA):
                if isinstance(bound, bool) or not isinstance(bound, int):
                    self.issue(f"{key}.{side}", Msg("整数で指定してください", "must be a whole number"))
                else:
                    bounds[side] = bound
            else:
                self.issue(f"{key}.{side}", Msg(
                    f"{side} は int/text/kana/date の質問だけに指定できます", f"{side} only applies to int, text, kana and date",
                ))
        if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
            self.issue(key, Msg("min が max より大きくなっています", "min is greater than max"))
        return Validation(
            regex if isinstance(regex, str) else None,
            str(value["min"]) if qtype is QuestionType.DATE and "min" in bounds else bounds.get("min"),
            str(value["max"]) if qtype is QuestionType.DATE and "max" in bounds else bounds.get("max"),
        )

    def _show_if(self, value: Any, key: str, earlier: dict[str, Question]) -> ShowIf | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.issue(key, Msg("表で指定してください", "must be a table"))
            return None
        self._unknown_keys(value, {"question", "equals", "one_of"}, f"{key}.")
        target = value.get("question")
        # Only earlier questions: keeps the form readable top-down and rules out cycles.
        if target not in earlier:
            self.issue(f"{key}.question", Msg(
                f"条件の質問「{target}」は、この手続きで前に定義されている必要があります",
                f"'{target}' must be a question defined earlier in this procedure",
            ))
            return None
        has_equals, one_of = "equals" in value, value.get("one_of")
        if has_equals == (one_of is not None):
            self.issue(key, Msg("equals か one_of のどちらか一方を指定してください", "give exactly one of equals or one_of"))
            return None
        if one_of is not None:
            if not isinstance(one_of, list) or not one_of:
                self.issue(f"{key}.one_of", Msg("空でない配列にしてください", "must be a non-empty array"))
                return None
            return ShowIf(target, one_of=tuple(str(v) for v in one_of))
        equals = value["equals"]
        other = earlier[target]
        if other.choices and str(equals) not in {c.value for c in other.choices}:
            self.issue(f"{key}.equals", Msg(
                f"「{equals}」は質問「{target}」の選択肢にありません", f"'{equals}' is not a choice of '{target}'",
            ))
            return None
        return ShowIf(target, equals=equals)
