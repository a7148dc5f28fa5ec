"""Crash text that is safe to show, copy and log.

A normal traceback can carry a resident's data in two places: local variables
(never included here: we format frames from the code objects only) and the
exception message (passed through :func:`dxdesk.log.redact`, and dropped entirely
for card errors, whose messages may quote card responses, and for any message with
non-ASCII text: a resident's name or address is Japanese and matches no pattern). Source lines are left
out too: a line like ``number = "123412341234"`` in a test or a debug session
would otherwise leak through the frame text.
"""
from __future__ import annotations

import platform
import sys
import re
import traceback
from types import TracebackType

from dxdesk import __version__
from dxdesk.log import redact

MAX_FRAMES = 60
# Exception types whose message may quote card data: dropped, only the type is kept.
_CARD_MODULE_PREFIXES = ("dxdesk.cardreader", "smartcard")


def _is_card_error(exc_type: type[BaseException]) -> bool:
    for klass in exc_type.__mro__:
        module = getattr(klass, "__module__", "") or ""
        if module.startswith(_CARD_MODULE_PREFIXES) or klass.__name__.startswith("Card"):
            return True
    return False


_DATES = re.compile(r"(?<!\d)(?:1[89]|20)\d{2}([-/.]?)\d{1,2}\1\d{1,2}(?!\d)")


def _describe_exception(exc_type: type[BaseException], exc: BaseException | None) -> str:
    name = f"{exc_type.__module__}.{exc_type.__qualname__}"
    if _is_card_error(exc_type):
        return f"{name}: [message withheld: card error]"
    if issubclass(exc_type, LookupError) and not issubclass(exc_type, IndexError):
        # A KeyError's message *is* the key, often a value from the data (a name, a number).
        return f"{name}: [message withheld: lookup key]"
    try:
        message = str(exc) if exc is not None else ""
    except Exception:  # a broken __str__ must not break the crash report
        message = "[message unavailable]"
    if not message.isascii():
        # Names and addresses from the card are Japanese text, which redact() cannot recognise;
        # dxdesk's own exceptions carry English text (Msg.en), so little diagnostic value is lost.
        return f"{name}: [message withheld: non-ASCII text]"
    # A birth date in an error text ("Invalid isoformat string: '1980-02-17'") is personal data too.
    return f"{name}: {_DATES.sub('[date]', redact(message))}" if message else name


def _frames(tb: TracebackType | None) -> list[str]:
    lines = []
    # walk_tb yields (frame, lineno); we read only the code object, never f_locals.
    for frame, lineno in traceback.walk_tb(tb):
        code = frame.f_code
        lines.append(f'  File "{code.co_filename}", line {lineno}, in {code.co_name}')
    if len(lines) > MAX_FRAMES:
        half = MAX_FRAMES // 2
        lines = lines[:half] + [f"  ... {len(lines) - MAX_FRAMES} frames omitted ..."] + lines[-half:]
    return lines


def safe_crash_report(
    exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None
) -> str:
    """Build the crash text: versions, frames (file, line, function) and a redacted message."""
    parts = [
        f"dxdesk {__version__} on Python {platform.python_version()} ({sys.platform})",
        "Traceback (most recent call last):",
        *_frames(tb),
        _describe_exception(exc_type, exc),
    ]
    # Follow the cause/context chain the same way, so "during handling ..." stays visible.
    seen = {id(exc)}
    inner = exc
    while inner is not None:
        nxt = inner.__cause__ or (None if inner.__suppress_context__ else inner.__context__)
        if nxt is None or id(nxt) in seen:
            break
        seen.add(id(nxt))
        parts[1:1] = [
            "Traceback (most recent call last):",
            *_frames(nxt.__traceback__),
            _describe_exception(type(nxt), nxt),
            "",
            "The above exception led to the following one:",
            "",
        ]
        inner = nxt
    return "\n".join(parts)
