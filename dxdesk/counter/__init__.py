"""Counter visit workflow (Qt-free): procedures catalogue, interview, visit state machine, journal.

The UI and the CLI drive the same objects::

    catalogue = load_catalogue()
    journal = VisitJournal(key_provider)
    visit = Visit.start(catalogue, session=clerk_session, desk_id="d1", procedures=["tennyu"], journal=journal)
    visit.identify(VisitCardData(IdentifyMethod.CARD_PIN, name=..., ...))
    visit.answer("phone", "090-1234-5678"); visit.finish_interview(); visit.confirm()
    data = build_form_data(visit, "idou_todoke"); ...print...; visit.record_printed("idou_todoke")
    record = visit.close()   # card data wiped; store the record, then journal.forget(visit.id)
"""
from __future__ import annotations

from .card import CARD_ITEM_LABELS, IdentifyMethod, VisitCardData
from .catalogue import (
    Catalogue,
    CatalogueError,
    CatalogueIssue,
    check_catalogue,
    default_catalogue_dirs,
    known_form_ids,
    load_catalogue,
)
from .crypto import InMemoryKeyProvider, KeyProvider
from .errors import AnswerError, JournalError, VisitError
from .formdata import ConfirmationItem, build_form_data, confirmation_items, guide_sheet_data
from .interview import Interview, normalize_answer
from .journal import PendingVisit, VisitJournal, default_journal_dir
from .procedures import (
    Choice,
    Counter,
    FieldMapping,
    FollowOn,
    Procedure,
    Question,
    QuestionType,
    ShowIf,
    Validation,
    ValueSource,
)
from .record import VisitRecord
from .timing import EventKind, TimelineEvent, VisitStep, VisitTimes, compute_times
from .visit import Visit

__all__ = [
    "AnswerError", "CARD_ITEM_LABELS", "Catalogue", "CatalogueError", "CatalogueIssue", "Choice", "ConfirmationItem",
    "Counter", "FieldMapping", "ValueSource", "confirmation_items",
    "EventKind", "FollowOn", "IdentifyMethod", "InMemoryKeyProvider", "Interview", "JournalError", "KeyProvider",
    "PendingVisit", "Procedure", "Question", "QuestionType", "ShowIf", "TimelineEvent", "Validation", "Visit",
    "VisitCardData", "VisitError", "VisitJournal", "VisitRecord", "VisitStep", "VisitTimes", "build_form_data",
    "check_catalogue", "compute_times", "default_catalogue_dirs", "default_journal_dir", "guide_sheet_data",
    "known_form_ids", "load_catalogue", "normalize_answer",
]
