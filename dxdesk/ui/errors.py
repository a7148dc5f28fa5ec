"""The window's one translator from an exception to screen text, in the UI language.

Every screen that reports a failure (a TaskRunner job, a writer job, a card read, a
refused request) shows ``error_text(exc)``. What the user can act on is a DxError and
carries its own sentence (``dxdesk.errors.as_dx_error`` also maps driver and file
errors that reached the UI some other way); anything else is a bug: a generic sentence
on screen and the exception's type in the log, never a traceback or the exception's
text, which might quote a resident's data.
"""
from __future__ import annotations

import logging

from dxdesk.errors import as_dx_error
from dxdesk.i18n import Msg

log = logging.getLogger(__name__)

MSG_UNEXPECTED = Msg(
    ja="予期しないエラーが発生しました。もう一度お試しください。続く場合は管理者に連絡してください。",
    en="An unexpected error occurred. Try again; if it persists, contact the administrator.",
)
# The card screens' word for a failure that is not a DxError.
MSG_READ_FAILED = Msg("カードの読み取りに失敗しました。もう一度お試しください。", "Reading the card failed. Please try again.")


def error_text(exc: BaseException, unexpected: Msg = MSG_UNEXPECTED) -> str:
    """The user-facing text for ``exc``; ``unexpected`` words the generic sentence for a screen (e.g. a card read)."""
    error = as_dx_error(exc)
    if error is not None:
        return error.message.text()
    log.warning("unexpected error shown as a generic message: %s", type(exc).__name__)
    return unexpected.text()
