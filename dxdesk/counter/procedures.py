"""The procedures catalogue as plain, frozen dataclasses.

A procedure (手続き) is data, not code: the loader in :mod:`dxdesk.counter.catalogue`
builds these objects from ``resources/procedures/*.toml`` and the town's override
folder, so a town edits its catalogue without touching Python.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from dxdesk.i18n import Msg

# Form ids agreed with the forms engine (resources/forms/). The loader also accepts any
# form template it finds there, so a town's new form needs no code change.
KNOWN_FORM_IDS: frozenset[str] = frozenset(
    {"idou_todoke", "juminhyo_request", "inkan_request", "koseki_request", "tax_certificate_request", "guide_sheet"}
)

# Items of the card (basic four + reading + My Number) a procedure may keep after the visit.
CARD_FIELDS: tuple[str, ...] = ("name", "name_kana", "address", "birth_date", "sex", "my_number")


class QuestionType(str, Enum):
    TEXT = "text"
    KANA = "kana"
    CHOICE = "choice"
    MULTI = "multi"
    INT = "int"
    DATE = "date"
    POSTAL_CODE = "postal_code"
    PHONE = "phone"
    BOOL = "bool"


@dataclass(frozen=True)
class Choice:
    value: str
    label: Msg


@dataclass(frozen=True)
class Validation:
    """Optional limits. ``min``/``max``: value for int, length for text/kana, ISO date for date."""

    regex: str | None = None
    min: int | str | None = None
    max: int | str | None = None


@dataclass(frozen=True)
class ShowIf:
    """Show a question only when another answer matches.

    ``equals``: the other answer equals this value (for a ``multi`` answer: contains it).
    ``one_of``: the other answer is one of these values (for ``multi``: shares one).
    """

    question: str
    equals: str | int | bool | None = None
    one_of: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    id: str
    label: Msg
    type: QuestionType
    required: bool = False
    choices: tuple[Choice, ...] = ()
    validation: Validation = field(default_factory=Validation)
    show_if: ShowIf | None = None
    help: Msg | None = None

    def choice_label(self, value: str) -> Msg | None:
        return next((c.label for c in self.choices if c.value == value), None)


@dataclass(frozen=True)
class FollowOn:
    """A procedure to suggest next; with ``show_if``, only unless the answer rules it out
    (an unanswered condition still suggests it: better one suggestion too many than a missed one)."""

    id: str
    show_if: ShowIf | None = None


@dataclass(frozen=True)
class Counter:
    """Where a procedure is handled (窓口): shown on the guide sheet as "go next to ..."."""

    id: str
    name: Msg


# Values of the visit's identity data a form mapping may use (``card = "name_kana"``). Never
# the My Number: a form that prints it reads ``card.my_number`` itself, under its own guard.
CARD_SOURCES: tuple[str, ...] = (
    "name", "family_name", "given_name", "name_kana", "address", "birth_date", "sex", "sex_label",
)
KANA_SCRIPTS: tuple[str, ...] = ("hiragana", "katakana")
Constant = str | int | bool


@dataclass(frozen=True)
class ValueSource:
    """Where one template value comes from: exactly one of ``question``, ``card`` or ``value``.

    ``choice_map`` turns answer values into the form's option values (household → all);
    values it does not name pass unchanged. ``label`` prints the Japanese choice label(s)
    instead of the value. ``when``: every condition must hold, else this source gives nothing.
    ``kana``: convert a reading to hiragana or katakana (the form's ふりがな row).
    """

    question: str | None = None
    card: str | None = None
    value: Constant | None = None
    choice_map: tuple[tuple[str, Constant], ...] = ()
    label: bool = False
    when: tuple[ShowIf, ...] = ()
    kana: str = ""


@dataclass(frozen=True)
class FieldMapping:
    """What a form template's ``interview.<key>`` gets for one procedure.

    ``sources``: tried in order, the first that gives a value wins. ``rows``: for a table
    field (異動する人), one mapping per column for each row; a row with no value is left out.
    ``manual``: the clerk or resident writes it by hand; stated so the check stays quiet.
    """

    key: str
    sources: tuple[ValueSource, ...] = ()
    rows: tuple[tuple["FieldMapping", ...], ...] = ()
    manual: bool = False


@dataclass(frozen=True)
class Procedure:
    id: str
    name: Msg
    counter: Counter
    forms: tuple[str, ...]
    requires_my_number: bool
    my_number_note: Msg | None  # the legal basis, shown to the resident when the number is read
    retain: tuple[str, ...]  # card fields kept after the visit (subset of CARD_FIELDS)
    questions: tuple[Question, ...]
    follow_ons: tuple[FollowOn, ...]
    description: Msg | None = None
    source_file: str = ""  # where it was loaded from, for error messages and `procedures list`
    # Per form id: what the template's interview.* keys get (the [form_map.<form>] tables).
    form_maps: tuple[tuple[str, tuple[FieldMapping, ...]], ...] = ()

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def form_map(self, form_id: str) -> tuple[FieldMapping, ...]:
        """The mapping for one of this procedure's forms; () when it has none."""
        return next((m for f, m in self.form_maps if f == form_id), ())
