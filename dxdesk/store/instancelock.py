"""One dxdesk per data folder: an exclusive, non-blocking OS lock on a file beside the database.

SQLite happily lets two processes open the same file, so a second dxdesk started on
the same data folder (a double click too many, or ``dxdesk db restore``/``rotate-key``
racing an app that is starting) would run side by side with the first. The app, and
the CLI commands that must not run beside it, take this lock in ``open_database``.

The lock is an OS lock (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows), not
the file's existence: it dies with its process, so a crash or a kill -9 never leaves a
stale lock behind, and the lock file itself is simply reused (it is never deleted, so
two starters can never end up locking two different files of the same name).
"""
from __future__ import annotations

import errno
import logging
import os
import sys
from pathlib import Path

from dxdesk.i18n import Msg
from dxdesk.store.errors import DatabaseInUseError, StoreError

log = logging.getLogger(__name__)

LOCK_SUFFIX = ".lock"


def lock_path_for(database: Path) -> Path:
    """The lock file beside ``database`` (``dxdesk.sqlite3`` -> ``dxdesk.sqlite3.lock``)."""
    return database.with_name(database.name + LOCK_SUFFIX)


class InstanceLock:
    """Held from :meth:`acquire` until :meth:`release` (or until the process ends)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, database: Path) -> "InstanceLock":
        """Take the lock for ``database`` at once, or raise DatabaseInUseError (never waits)."""
        path = lock_path_for(database)
        try:
            # Owner-only like the database; O_CREAT reuses a lock file left by an earlier run.
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise _unusable(path, exc) from None
        try:
            locked = _lock(fd)
        except OSError as exc:  # not "held elsewhere" but "cannot lock here" (e.g. a network drive)
            os.close(fd)
            raise _unusable(path, exc) from None
        except BaseException:
            os.close(fd)
            raise
        if not locked:
            os.close(fd)
            log.info("instance lock %s is held by another process", path)
            raise DatabaseInUseError()
        return cls(path, fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Give the lock up; calling it again does nothing."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock(fd)
        finally:
            os.close(fd)  # closing alone would release it too; unlocking first says what is meant

    def __enter__(self) -> "InstanceLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _unusable(path: Path, exc: OSError) -> StoreError:
    return StoreError(Msg(
        "データフォルダーにロックファイルを作成できません。フォルダーの書き込み権限を確認してください。",
        f"cannot use the lock file {path}: {exc.strerror or type(exc).__name__}; check the data folder's permissions",
    ))


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int) -> bool:
        # One byte at offset 0 is the lock; LK_NBLCK fails at once when another handle holds it.
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EDEADLOCK):
                return False
            raise
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> bool:
        # flock belongs to this open file description: a second open of the same file, even in
        # this process, conflicts with it, which is what we want.
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
