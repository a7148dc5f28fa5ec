"""Errors of the counter workflow, each carrying a bilingual message.

``str(error)`` is the English text (logs, CLI); the UI shows ``error.message`` in its language.
Messages never contain card data, answers or PINs: they name the step, the
question or the procedure, never the value.
"""
from __future__ import annotations

from dxdesk.errors import DxError
from dxdesk.i18n import Msg


class VisitError(DxError):
    """A request the visit cannot honour in its current state (wrong step, bad data, missing answers).

    ``code`` is a stable identifier for programmatic checks (tests, UI branching),
    ``message`` the bilingual text to show.
    """

    def __init__(self, msg: Msg, code: str = "visit_error") -> None:
        super().__init__(msg)
        self.code = code


class AnswerError(VisitError):
    """An interview answer failed validation; ``question_id`` names the question."""

    def __init__(self, question_id: str, msg: Msg) -> None:
        super().__init__(msg, code="invalid_answer")
        self.question_id = question_id


class JournalError(VisitError):
    """The visit journal cannot be read or written (corrupt file, wrong key, disk problem)."""

    def __init__(self, msg: Msg) -> None:
        super().__init__(msg, code="journal")
