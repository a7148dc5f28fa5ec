"""CSV files that people open in Excel: formula-safe cells and atomic, BOM-marked writes.

Shared by every export (support sessions and KPI summary, audit log), so the CSV-injection
guard and its inverse (the support import reads our own exports back) cannot drift apart.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator, TextIO, cast

# Excel (and LibreOffice) run a cell starting with one of these as a formula: "=HYPERLINK(...)" typed
# into a free-text field would become a live link or worse in whoever opens the export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula, so it stays text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def undo_spreadsheet_safe(text: str) -> str:
    """The inverse of :func:`spreadsheet_safe`, for reading an export back in ("'=..." -> "=...")."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def write_text_atomic(path: Path, text: str, encoding: str = "utf-8-sig") -> Path:
    """Write ``text`` to ``path`` through a temporary file beside it, replaced in one step, owner-only.

    A user never finds half a file where they expect a report, and a failed write (disk full,
    no permission) leaves no temporary file holding part of the data. ``utf-8-sig`` writes the
    BOM Excel needs to read UTF-8; newlines are written as given (csv uses CRLF). Exports hold
    personal data, so the file is created 0600 (:mod:`dxdesk.outputfiles`); whether an existing
    file may be replaced is decided before, by :func:`dxdesk.outputfiles.check_output`.
    """
    from dxdesk.outputfiles import write_private_text

    return write_private_text(Path(path), text, encoding)


@contextlib.contextmanager
def atomic_text_file(path: Path, encoding: str = "utf-8-sig") -> Iterator[TextIO]:
    """:func:`write_text_atomic` for a file written piece by piece (a million-row export is
    streamed, never held as one string): :func:`dxdesk.outputfiles.private_file` in text mode."""
    from dxdesk.outputfiles import private_file

    with private_file(Path(path), encoding) as f:
        yield cast(TextIO, f)
