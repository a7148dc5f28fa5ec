"""Cross-check the procedures' form mappings against the form templates (``dxdesk procedures check``).

The loader (:mod:`dxdesk.counter.catalogue`) validates each procedure file on its own; this
module reads the templates the procedures print and reports:

- a template ``interview.<key>`` that the procedure leaves empty: a *warning* (some boxes are
  for the clerk's pen; ``key = "manual"`` in the mapping says so and silences it);
- a mapped key the template does not read: a *warning* (a typo, or a field the town removed);
- a value the template's circled-choice field has no option for, a list sent to a text box,
  a table mapped onto a field that is not a table: *errors*, as each prints as a bad value.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from dxdesk.i18n import Msg

from .catalogue import CatalogueIssue
from .procedures import FieldMapping, Procedure, QuestionType, ValueSource
from .visit import GUIDE_SHEET_FORM  # filled from the visit summary, never from interview answers

if TYPE_CHECKING:
    from dxdesk.forms.template import Field, FormTemplate

_SINGLE_VALUE_TYPES = ("text", "furigana", "comb", "date")


def check_form_maps(
    procedures: Iterable[Procedure], load_template: Callable[[str], "FormTemplate"] | None = None,
) -> list[CatalogueIssue]:
    """Issues (errors and warnings) of every procedure's forms; templates loaded once each."""
    from dxdesk.forms.registry import find_template
    from dxdesk.forms.template import TemplateError

    load = load_template or find_template
    cache: dict[str, FormTemplate | TemplateError] = {}
    issues: list[CatalogueIssue] = []
    for procedure in procedures:
        for n, form_id in enumerate(procedure.forms):
            if form_id == GUIDE_SHEET_FORM:
                continue
            if form_id not in cache:
                try:
                    cache[form_id] = load(form_id)
                except TemplateError as exc:
                    cache[form_id] = exc
            template = cache[form_id]
            if isinstance(template, TemplateError):
                issues.append(CatalogueIssue(procedure.source_file, f"forms[{n}]", Msg(
                    f"様式「{form_id}」を読めません: {template}", f"cannot load form '{form_id}': {template}",
                )))
                continue
            issues.extend(_check_one(procedure, form_id, template))
    return issues


def _interview_fields(template: "FormTemplate") -> dict[str, "Field"]:
    """Template fields reading ``interview.<key>`` by key (the first field wins for a shared key)."""
    fields: dict[str, Field] = {}
    for f in template.fields:
        ns, _, key = f.source.partition(".")
        if ns == "interview" and key:
            fields.setdefault(key.split(".")[0], f)
    return fields


def _check_one(procedure: Procedure, form_id: str, template: "FormTemplate") -> list[CatalogueIssue]:
    issues: list[CatalogueIssue] = []
    fields = _interview_fields(template)
    mappings = {m.key: m for m in procedure.form_map(form_id)}
    questions = {q.id: q for q in procedure.questions}

    def issue(key: str, message: Msg, warning: bool = False) -> None:
        issues.append(CatalogueIssue(procedure.source_file, f"form_map.{form_id}.{key}", message, warning))

    for key, f in fields.items():
        mapping = mappings.get(key)
        if mapping is None and key in questions:
            # The answer goes to the form under its own id: it must still fit the field.
            mapping = FieldMapping(key, sources=(ValueSource(question=key),))
        elif mapping is None:
            issue(key, Msg(
                f"様式の項目「{f.name}」（interview.{key}）に値が入りません。対応付けるか、手書きなら \"manual\" と書いてください",
                f"the form's field '{f.name}' (interview.{key}) gets no value from this procedure: "
                f"map it, or write {key} = \"manual\" if it is filled in by hand",
            ), warning=True)
            continue
        for message in _fit_problems(procedure, mapping, f):
            issue(key, message)
    for key in mappings:
        if key not in fields:
            issue(key, Msg(
                f"様式「{form_id}」は interview.{key} を使っていません", f"form '{form_id}' does not read interview.{key}",
            ), warning=True)
    return issues


def _fit_problems(procedure: Procedure, mapping: FieldMapping, f: "Field") -> list[Msg]:
    """Why the mapped values would print as a bad value in field ``f`` (empty when they fit)."""
    if mapping.manual:
        return []
    if mapping.rows:
        if f.type != "rows":
            return [Msg(f"表（rows）は rows 型の項目「{f.name}」にしか入りません", f"rows can only fill a rows field, '{f.name}' is a {f.type} field")]
        columns = {c.key for c in f.columns}
        return [
            Msg(f"列「{c.key}」は様式の表にありません（{', '.join(sorted(columns))}）",
                f"column '{c.key}' is not a column of the form's table ({', '.join(sorted(columns))})")
            for row in mapping.rows for c in row if c.key not in columns
        ]
    problems: list[Msg] = []
    for source in mapping.sources:
        question = procedure.question(source.question) if source.question else None
        if f.type in _SINGLE_VALUE_TYPES and question is not None and question.type is QuestionType.MULTI and not source.label:
            problems.append(Msg(
                f"複数選択の質問「{question.id}」は一覧になるため、項目「{f.name}」には label = true で文字にしてください",
                f"multi question '{question.id}' gives a list; use label = true to print it in the {f.type} field '{f.name}'",
            ))
        if f.type == "choice":
            options = {o.value for o in f.options}
            strange = [v for v in _possible_values(source, question) if v and v not in options]
            if strange:
                problems.append(Msg(
                    f"「{strange[0]}」は様式の選択項目「{f.name}」にありません（{', '.join(sorted(options))}）。map で対応させてください",
                    f"'{strange[0]}' is not an option of the form's choice field '{f.name}' "
                    f"({', '.join(sorted(options))}); add it to map",
                ))
    return problems


def _possible_values(source: ValueSource, question: Any) -> list[str]:
    """Every value this source can give a choice field, as text; [] when unknowable (free text, card)."""
    if source.question is None:
        return [_text(source.value)] if source.value is not None else []
    if source.label:
        return [c.label.ja for c in question.choices]
    table = {k: _text(v) for k, v in source.choice_map}
    if question.type is QuestionType.BOOL:
        return [table.get(k, k) for k in ("true", "false")] if table else ["1"]
    return [table.get(c.value, c.value) for c in question.choices]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)
