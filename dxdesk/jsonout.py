"""Machine-readable command output (``--json``): one shape for every command, in one place.

Kiosk front ends and RPA robots (WinActor, UiPath, Power Automate) read dxdesk's answers
from standard output. Every ``--json`` command therefore prints exactly one JSON document
on stdout (UTF-8, Japanese kept readable, dates ISO 8601) and nothing else there; a failure
is the object ``{"error": CODE, "message": TEXT, "tries_left": N}`` on stdout with a
non-zero exit code, so a robot never has to parse an English sentence on stderr.

``CODE`` is a stable snake_case name of the error's kind (``wrong_pin``, ``pin_blocked``,
``no_card`` ...; :func:`error_code`); ``tries_left`` is the PIN tries the card has left
when the error is about the PIN, else ``null``. ``message`` is the English text of the
:class:`~dxdesk.errors.DxError`: never card data, a PIN or a My Number.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import enum
import functools
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, Any, TextIO

from dxdesk.errors import as_dx_error

EXIT_ERROR = 2  # the same code `dxdesk` uses for any refusal a person can act on


def _default(value: object) -> object:
    """Values json cannot write by itself: dates as ISO strings, enums by value, paths as text."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def dumps(document: object) -> str:
    """The document as one line of JSON (ensure_ascii off: 黒桐 stays 黒桐, not \\u9ed2...)."""
    return json.dumps(document, ensure_ascii=False, default=_default, separators=(",", ":"))


def emit(document: object, stream: TextIO | None = None) -> None:
    """Print ``document`` as the command's one line of JSON on stdout."""
    out = stream or sys.stdout
    out.write(dumps(document) + "\n")
    out.flush()


def error_code(exc: BaseException) -> str:
    """``WrongPinError`` -> ``wrong_pin``: the class name without "Error", in snake case."""
    name = type(exc).__name__.removesuffix("Error") or "error"
    if name == "User":  # dxdesk.cli.UserError: what the command line alone refused (a missing option) ...
        cause = exc.__cause__
        if cause is not None and as_dx_error(cause) is not None:
            return error_code(as_dx_error(cause) or cause)  # ... or a service's refusal it worded: its kind
        return "invalid_request"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def error_document(exc: BaseException, code: str | None = None) -> dict[str, Any]:
    """``{"error", "message", "tries_left"}`` for any error; a DxError's English sentence as the message."""
    dx = as_dx_error(exc)
    message = dx.message.en if dx is not None else f"unexpected error ({type(exc).__name__})"
    tries_left = getattr(exc, "tries_left", None)
    if tries_left is None and error_code(exc) == "pin_blocked":
        tries_left = 0
    return {"error": code or error_code(exc), "message": message,
            "tries_left": tries_left if isinstance(tries_left, int) else None}


def json_command(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A command handler whose errors become the error object on stdout (exit 2) when ``args.json`` is set.

    Without ``--json`` errors pass through to ``dxdesk.cli.main`` (one English line on stderr).
    Anything that is not a DxError is a bug and passes through either way (logged with its frames).
    """

    @functools.wraps(handler)
    def wrapped(args: argparse.Namespace) -> int:
        if not getattr(args, "json", False):
            return handler(args)
        try:
            return handler(args)
        except Exception as exc:
            if as_dx_error(exc) is None:
                raise
            emit(error_document(exc))
            return EXIT_ERROR

    return wrapped


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    """The one ``--json`` option, worded the same on every command."""
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document on stdout (errors as {\"error\", \"message\", \"tries_left\"}, "
                             "exit 2) for kiosk front ends and RPA tools")


def emit_items(rows: Iterable[Mapping[str, Any]], key: str = "items", stream: IO[str] | None = None,
               **extra: Any) -> int:
    """Stream ``{key: [...], "count": N, **extra}`` row by row (a million support sessions never sit in memory).

    Still one JSON document; returns N. An error half-way leaves the document unterminated, which a
    reader's JSON parser rejects: never a silently short list.
    """
    out = stream or sys.stdout
    out.write("{" + json.dumps(key) + ":[")
    count = 0
    for row in rows:
        out.write(("," if count else "") + dumps(dict(row)))
        count += 1
    tail = "".join("," + json.dumps(k) + ":" + dumps(v) for k, v in extra.items())
    out.write(f'],"count":{count}{tail}}}\n')
    out.flush()
    return count
