"""Noting the audit chain head outside the database without paying for it on every event.

The head note (:mod:`auditkey`) is a keyring write, or an fsync'd owner-only file: about
9 ms, several times the cost of the append itself. Writing it after every commit made a
busy desk (an import, a bench, a day of card reads) spend most of its audit time there.

So the note is written at once only when this process has not written it for that desk
within :data:`NOTE_INTERVAL` seconds; otherwise the newest head waits in memory and a
timer writes it when the interval is over. Closing the database and leaving the process
write whatever is waiting. Inside this process :func:`noted_head` answers with the newest
head, written or waiting, so the gap check at the next append and ``audit verify`` always
compare with the true newest event.

What this gives up: a process killed (power cut, kill -9) inside the interval leaves the
note up to one interval behind — the same kind of lag as dying between a commit and the
note, which verification already accepts (only a note *ahead* of the database, or naming
another hash, is a finding). Someone deleting events while the desk runs gains nothing:
the waiting head is the real newest one and is written over whatever they did.
"""
from __future__ import annotations

import atexit
import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from dxdesk.paths import AppPaths
from dxdesk.security.auditchain import ChainHead

log = logging.getLogger(__name__)

NOTE_INTERVAL = 1.0  # seconds between two writes of one desk's note (a burst costs one write per interval)

Writer = Callable[[str, ChainHead, AppPaths], None]


@dataclass
class _Note:
    waiting: ChainHead | None = None  # newest head not yet written
    written_at: float = float("-inf")  # monotonic time of the last write
    timer: threading.Timer | None = None
    write: Writer | None = None


_lock = threading.RLock()  # one lock for all notes: writes are rare, and it keeps flushes ordered
_notes: dict[tuple[str, AppPaths], _Note] = {}
_atexit_registered = False


def note_head(desk_id: str, head: ChainHead, paths: AppPaths, write: Writer) -> None:
    """Record ``head`` as this desk's newest event; written now or within :data:`NOTE_INTERVAL`."""
    global _atexit_registered
    with _lock:
        note = _notes.setdefault((desk_id, paths), _Note())
        note.write = write
        note.waiting = head  # last writer wins: a restore may move the head backwards on purpose
        if time.monotonic() - note.written_at >= NOTE_INTERVAL:
            _write(desk_id, paths, note)
            return
        if note.timer is None:
            if not _atexit_registered:
                atexit.register(flush_all)
                _atexit_registered = True
            delay = max(0.0, note.written_at + NOTE_INTERVAL - time.monotonic())
            note.timer = threading.Timer(delay, _flush_one, (desk_id, paths))
            note.timer.daemon = True
            note.timer.start()


def _write(desk_id: str, paths: AppPaths, note: _Note) -> None:
    head, write = note.waiting, note.write
    if head is None or write is None:
        return
    note.waiting = None
    write(desk_id, head, paths)  # never raises (save_chain_head logs and goes on)
    note.written_at = time.monotonic()


def _flush_one(desk_id: str, paths: AppPaths) -> None:
    with _lock:
        note = _notes.get((desk_id, paths))
        if note is None:
            return
        note.timer = None
        _write(desk_id, paths, note)


def noted_head(desk_id: str, paths: AppPaths) -> ChainHead | None:
    """The newest head this process recorded for the desk and has not written yet (None: read the note)."""
    with _lock:
        note = _notes.get((desk_id, paths))
        return note.waiting if note is not None else None


def flush(paths: AppPaths | None = None) -> None:
    """Write every waiting head (of one set of folders, or all) now, and forget this process's notes.

    Called when a database closes and at exit; after it the stored note is the whole truth again.
    """
    with _lock:
        for key in [k for k in _notes if paths is None or k[1] == paths]:
            note = _notes.pop(key)
            if note.timer is not None:
                note.timer.cancel()
            _write(key[0], key[1], note)


def flush_all() -> None:
    flush(None)
