"""Logging set-up: one owner-only rotating file, and a filter that keeps card data out.

The redaction filter is attached to every handler dxdesk installs. It rewrites the
message, its arguments and any traceback text, so a My Number (12 digits), VERIFY
APDU data (the PIN) or text-AP TLV payloads (name, address, number) can never reach
a log line, even when a caller logs carelessly.
"""
from __future__ import annotations

import logging
import io
import logging.handlers
import os
import re
import sys
from pathlib import Path

from dxdesk.paths import app_paths

REDACTED = "[REDACTED]"

_HEX = r"[0-9A-Fa-f]{2}"
_SEP = r"[\s:]?"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # VERIFY / CHANGE REFERENCE DATA with data: 00 20|24 P1 P2 Lc <data>  -> keep the header, drop the data.
    (
        re.compile(rf"(?<![0-9A-Fa-f])([08]0{_SEP}2[04]{_SEP}{_HEX}{_SEP}{_HEX}{_SEP}(?:0[1-9A-Fa-f]|1[0-9A-Fa-f]))((?:{_SEP}{_HEX})+)"),
        r"\1 " + REDACTED,
    ),
    # Text-AP objects (FF10 My Number, FF20 basic four, FF30 integrity) and their inner DF2x tags, as hex.
    (re.compile(rf"(?i)(?<![0-9a-f])(?:ff{_SEP}[123]0|df{_SEP}2[2-5]|df{_SEP}3[1-3])(?:{_SEP}{_HEX})+"), REDACTED),
    # Anything that looks like an individual number: 12 digits (ASCII or full-width), optionally grouped 4-4-4.
    (re.compile(r"(?<![0-9０-９])[0-9０-９]{4}[\s\-]?[0-9０-９]{4}[\s\-]?[0-9０-９]{4}(?![0-9０-９])"), REDACTED),
    # key=value forms of secrets: pin=1234, "password": "..."
    (re.compile(r"(?i)\b(pin|password|passwd|secret|照合番号[AB]?)(['\"]?\s*[:=]\s*['\"]?)[^\s,'\"}]+"), r"\1\2" + REDACTED),
]


# Record ids are UUIDs; their last group is 12 hex digits, all decimal about once in 300 ids, which
# would otherwise be taken for a My Number and make ids vanish from logs at random.
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")


def _redact_plain(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(text: str) -> str:
    parts: list[str] = []
    last = 0
    for match in _UUID.finditer(text):
        parts.append(_redact_plain(text[last:match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_redact_plain(text[last:]))
    return "".join(parts)


def _format_exception(exc_info) -> str:  # type: ignore[no-untyped-def]
    """A traceback without source lines or non-ASCII messages (a name or address matches no pattern)."""
    try:
        from dxdesk.security.crashreport import safe_crash_report
    except ImportError:  # a trimmed build without the security package
        return logging.Formatter().formatException(exc_info)
    return safe_crash_report(*exc_info)


class RedactionFilter(logging.Filter):
    """Scrubs a record in place; never drops it (a missing log line hides problems)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not kill logging
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            # Always ours: a handler without this filter (a test harness, a library's) may have cached the
            # plain traceback, message and source lines included, in exc_text already.
            record.exc_text = _format_exception(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class _OwnerOnlyRotatingFileHandler(logging.handlers.RotatingFileHandler):
    def _open(self) -> io.TextIOWrapper:
        # Create with 0600 from the start so there is no window where others can read it.
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.chmod(self.baseFilename, 0o600)
        # Always append: a rotating handler never truncates its current file.
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


class _OneLineFormatter(logging.Formatter):
    """Console lines without traceback or stack text: those go to the log file, not a clerk's terminal."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        return self.formatMessage(record)


def setup_logging(level: int = logging.INFO, log_file: Path | None = None, console: bool = False) -> Path:
    """Install the rotating file handler (idempotent) and return the log file path."""
    paths = app_paths().ensure()
    log_file = log_file or paths.log_file
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_dxdesk", False):
            root.removeHandler(handler)
            handler.close()
    handler = _OwnerOnlyRotatingFileHandler(log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(RedactionFilter())
    handler._dxdesk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(_OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
        stream.addFilter(RedactionFilter())
        stream.setLevel(logging.WARNING)
        stream._dxdesk = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    root.setLevel(level)
    # Alembic announces its plugins and every migration check at INFO on each start: noise in a desk log.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    return log_file
