"""The one error model: every failure a person can act on is a :class:`DxError`.

A DxError carries exactly one user-facing text, ``message``: a :class:`~dxdesk.i18n.Msg`
pair (Japanese for the window, English for the CLI and the log). ``str(exc)`` is the
English text, because str() is what ends up in logs. The window turns any exception
into screen text in one place (``dxdesk.ui.errors.error_text``); the CLI prints
``message.en`` for any DxError and calls everything else an unexpected error (a bug).

Rules for every message: it says what happened and what to do next, in words a clerk
understands; it never holds card data, a PIN, a My Number or a record's values.
"""
from __future__ import annotations

from typing import ClassVar

from dxdesk.i18n import Msg


class DxError(Exception):
    """Base of every dxdesk error with a sentence for the user (``message``)."""

    default_message: ClassVar[Msg] = Msg(
        "処理できませんでした。もう一度お試しください。続く場合は管理者に連絡してください。",
        "The operation failed. Try again; if it persists, contact the administrator.",
    )

    def __init__(self, message: Msg | None = None) -> None:
        self.message: Msg = message or self.default_message
        super().__init__(self.message.en)

    def __str__(self) -> str:
        return self.message.en


class DetailedError(DxError):
    """An error whose detail is technical English (a file name, a settings key, a template field).

    Such errors are for whoever maintains the desk; the Japanese text says what kind of
    problem it is and who can fix it, followed by the detail as written.
    """

    ja_lead: ClassVar[str] = "設定に問題があります。管理者に連絡してください"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(Msg(f"{self.ja_lead}（{detail}）", detail))


class FileAccessError(DxError):
    """A file the user chose (or the desk needs) cannot be read or written; says which and why."""

    def __init__(self, exc: OSError) -> None:
        # strerror is the C library's English text; it names the cause (permission, no such file).
        reason = exc.strerror or type(exc).__name__
        where = f" {exc.filename}" if exc.filename else ""
        super().__init__(Msg(
            f"ファイルを読み書きできませんでした（{reason}）。場所と権限を確かめてから、もう一度お試しください。",
            f"Cannot read or write{where}: {reason}. Check the location and its permissions, then try again.",
        ))


def as_dx_error(exc: BaseException) -> DxError | None:
    """The DxError that says what ``exc`` means for the user, or None when it is a bug.

    The one rule both the window (``dxdesk.ui.errors``) and the CLI apply: DxErrors as
    they are; driver and OS errors that escaped the store through the store's own
    mapping (``dxdesk.store.errors.translate_error``: read-only, locked, full, corrupt);
    a file-system error that names its file as a FileAccessError. Anything else is a bug.
    """
    if isinstance(exc, DxError):
        return exc
    try:
        from dxdesk.store.errors import (
            translate_error,  # imported late: SQLAlchemy only when something failed
        )
    except ModuleNotFoundError:  # a trimmed build without the store
        translated: BaseException = exc
    else:
        translated = translate_error(exc)
    if isinstance(translated, DxError):
        if translated is not exc and translated.__cause__ is None:
            translated.__cause__ = exc  # kept for the log
        return translated
    if isinstance(exc, OSError) and exc.filename is not None:
        return FileAccessError(exc)
    return None
