"""What the resident reads on the confirmation view: one section per procedure, plain words, both languages.

:func:`confirmation_items` gives the clerk's flat list in Japanese; the resident (often elderly,
sometimes reading English) needs it grouped under one heading per procedure, with clerk jargon
(方書, 転入届の特例) replaced by the plain words of ``resources/counter_words/glossary.toml``, and
every value in the reader's language (男 → Male, 世帯全員 → Whole household). Answers typed by the
clerk (addresses, names) stay as typed. Dates stay ISO here: the UI formats 和暦.
"""
from __future__ import annotations

import logging
import re
import tomllib
from functools import lru_cache
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import budoux

from dxdesk.i18n import Msg
from dxdesk.paths import app_paths
from dxdesk.resources import resource_path

from .card import CARD_ITEM_LABELS, SEX_LABELS
from .procedures import Question
from .errors import VisitError
from .visit import Visit

log = logging.getLogger(__name__)

GLOSSARY_FILE = "glossary.toml"
YES = Msg("はい", "Yes")
NO = Msg("いいえ", "No")
ABOUT_YOU = Msg("あなたのこと", "About you")


@dataclass(frozen=True)
class Term:
    ja: str
    plain_ja: str
    en: str = ""
    plain_en: str = ""


@dataclass(frozen=True)
class Glossary:
    """Plain words for the resident: whole labels by question id, and words replaced inside any text."""

    labels: Mapping[str, Msg] = field(default_factory=dict)
    terms: tuple[Term, ...] = ()

    def plain(self, text: Msg, question_id: str = "") -> Msg:
        if question_id in self.labels:
            return self.labels[question_id]
        ja, en = text.ja, text.en
        for term in self.terms:  # longest first (sorted at load), so 転入届の特例 wins over a shorter word
            ja = ja.replace(term.ja, term.plain_ja)
            if term.en:
                en = en.replace(term.en, term.plain_en)
        return Msg(ja, en)


def load_glossary(paths: Sequence[Path] | None = None) -> Glossary:
    """The bundled glossary, replaced by the town's copy in ``<data dir>/counter_words/`` when there is one."""
    if paths is None:
        paths = [resource_path("counter_words", GLOSSARY_FILE), app_paths().data_dir / "counter_words" / GLOSSARY_FILE]
    chosen = [p for p in paths if p.is_file()]
    if not chosen:
        return Glossary()
    try:
        return parse_glossary(tomllib.loads(chosen[-1].read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        # The view still works with the catalogue's own words; a bad town file must not stop the counter.
        log.warning("resident glossary %s ignored: %s", chosen[-1], exc)
        return Glossary()


@lru_cache(maxsize=1)
def default_glossary() -> Glossary:
    """Loaded once per process: the view is rebuilt on every answer change."""
    return load_glossary()


def parse_glossary(data: dict[str, Any]) -> Glossary:
    labels: dict[str, Msg] = {}
    for qid, text in data.get("labels", {}).items():
        if not isinstance(text, dict) or not isinstance(text.get("ja"), str) or not isinstance(text.get("en"), str):
            raise TypeError(f"labels.{qid} needs ja and en texts")
        labels[qid] = Msg(text["ja"], text["en"])
    terms = []
    for i, raw in enumerate(data.get("terms", [])):
        if not isinstance(raw, dict) or not isinstance(raw.get("ja"), str) or not isinstance(raw.get("plain_ja"), str):
            raise TypeError(f"terms[{i}] needs ja and plain_ja")
        if bool(raw.get("en")) != bool(raw.get("plain_en")):
            raise TypeError(f"terms[{i}]: en and plain_en go together")
        terms.append(Term(raw["ja"], raw["plain_ja"], str(raw.get("en", "")), str(raw.get("plain_en", ""))))
    terms.sort(key=lambda t: -len(t.ja))
    return Glossary(labels, tuple(terms))


@dataclass(frozen=True)
class ResidentRow:
    key: str  # "card.name", "interview.phone", ...
    label: Msg
    value: Msg  # the My Number comes masked; typed answers are the same in both languages
    reading: str = ""  # furigana for the name
    is_date: bool = False  # ISO in value; shown as 和暦


@dataclass(frozen=True)
class ResidentSection:
    heading: Msg
    rows: tuple[ResidentRow, ...]


def resident_sections(visit: Visit, glossary: Glossary | None = None) -> list[ResidentSection]:
    """About-you first (what the card says), then each procedure with the answers it prints."""
    words = glossary or Glossary()
    card = visit.card
    if card is None or card.discarded:
        raise VisitError(Msg("本人確認がまだです", "The resident has not been identified yet."), code="not_identified")
    about = [
        ResidentRow("card.name", words.plain(CARD_ITEM_LABELS["name"]), _same(card.name), reading=card.name_kana),
        ResidentRow("card.address", words.plain(CARD_ITEM_LABELS["address"]), _same(card.address)),
        ResidentRow("card.birth_date", words.plain(CARD_ITEM_LABELS["birth_date"]), _same(card.birth_date.isoformat()),
                    is_date=True),
        ResidentRow("card.sex", words.plain(CARD_ITEM_LABELS["sex"]), SEX_LABELS[card.sex]),
    ]
    if visit.needs_my_number and card.has_my_number:
        about.append(ResidentRow("card.my_number", words.plain(CARD_ITEM_LABELS["my_number"]),
                                 _same(card.masked_my_number())))
    sections = [ResidentSection(ABOUT_YOU, tuple(about))]
    interview = visit.interview
    answers = interview.answers()
    visible = {q.id for q in interview.visible_questions()}
    shown: set[str] = set()
    for procedure in interview.procedures:
        rows = []
        for question in procedure.questions:
            # A shared question (phone) is asked once: it is shown under the first procedure that asks it.
            if question.id in shown or question.id not in visible or question.id not in answers:
                continue
            shown.add(question.id)
            answer = answers[question.id]
            value = answer_text(question, answer)
            if question.choices:  # the catalogue's words may be jargon; what the clerk typed stays as typed
                value = words.plain(value)
            rows.append(ResidentRow(f"interview.{question.id}", words.plain(question.label, question.id), value,
                                    is_date=isinstance(answer, date)))
        if rows:
            sections.append(ResidentSection(procedure.name, tuple(rows)))
    return sections


def answer_text(question: Question, value: Any) -> Msg:
    """An answer in both languages: choices by their labels, yes/no, dates ISO, typed text as typed."""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, date):
        return _same(value.isoformat())
    if isinstance(value, list):
        labels = [question.choice_label(str(v)) or _same(str(v)) for v in value]
        return Msg("、".join(m.ja for m in labels), ", ".join(m.en for m in labels))
    label = question.choice_label(str(value)) if question.choices else None
    return label if label is not None else _same(str(value))


def _same(text: str) -> Msg:
    return Msg(text, text)


@lru_cache(maxsize=1)
def _parser() -> budoux.Parser:
    return budoux.load_default_japanese_parser()


_AFTER_SPACE = re.compile(r"(?<= )(?=\S)")


def phrases(text: str) -> list[str]:
    """Where a line may break without cutting a word: Japanese phrases (BudouX) and English words.

    Joined back together they give ``text`` unchanged (spaces stay at the end of the word before).
    """
    out: list[str] = []
    for chunk in _parser().parse(text) if text else []:
        out.extend(part for part in _AFTER_SPACE.split(chunk) if part)
    return out
