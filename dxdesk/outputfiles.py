"""Files dxdesk writes where a person asked (reports, exports, form PDFs, backups): never over something else.

Every output goes through :func:`check_output` first:

* never the desk's own files, not even with ``--force``: the database (and its ``-wal``
  / ``-shm``), the settings, the key files, the instance lock; nor anything inside the
  config folder, where the secrets live;
* never an existing file unless the caller passes ``force`` (``--force`` on the CLI;
  the window's save dialog asks the person first);

and is then written by :func:`write_private` / :func:`write_private_text`: to a
temporary file created owner-only (0600) beside the target and renamed over it in
one step, so a report holding names and addresses is never readable by other
accounts on the PC, and a failed write leaves neither half a file nor a temporary.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from dxdesk.i18n import Msg
from dxdesk.paths import AppPaths, app_paths


class OutputRefusedError(ValueError):
    """The chosen output path would replace something it must not; ``msg`` says what to do."""

    def __init__(self, msg: Msg) -> None:
        super().__init__(msg.en)
        self.msg = msg
        self.message = msg  # the name the store/support errors use


def _protected(paths: AppPaths) -> tuple[set[Path], list[Path]]:
    """(files never to replace, folders never to write into)."""
    db = paths.database_file
    files = {db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-journal"), paths.settings_file}
    files |= {p for p in db.parent.glob(db.name + "*")}  # instance lock and other side files
    return {_real(p) for p in files}, [_real(paths.config_dir)]


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def refuse_protected(path: Path, paths: AppPaths | None = None) -> None:
    """OutputRefusedError when ``path`` is one of dxdesk's own files (checked again by every writer here)."""
    files, folders = _protected(paths or app_paths())
    real = _real(path)
    if real in files or any(real == d or d in real.parents for d in folders):
        raise OutputRefusedError(Msg(
            f"{path} は dxdesk のデータベース・設定・キーのファイルです。別の保存先を選んでください。",
            f"{path} is one of dxdesk's own files (database, settings or keys); choose another output file.",
        ))


def check_output(path: Path, force: bool = False, paths: AppPaths | None = None) -> Path:
    """Return ``path`` if dxdesk may write there; else raise OutputRefusedError."""
    refuse_protected(path, paths)
    if path.is_dir():
        raise OutputRefusedError(Msg(f"{path} はフォルダーです。ファイル名を指定してください。",
                                     f"{path} is a folder; give a file name."))
    if path.exists() and not force:
        raise OutputRefusedError(Msg(
            f"{path} は既にあります。別の名前を選ぶか、上書きしてよい場合は --force を付けてください。",
            f"{path} already exists; choose another name, or add --force to replace it.",
        ))
    return path


@contextlib.contextmanager
def private_file(path: Path, encoding: str | None = None) -> Iterator[IO[Any]]:
    """A file written piece by piece, owner-only (0600) and atomically: a temporary file beside
    ``path`` that replaces it in one rename when the block ends well, and is removed otherwise.

    Binary unless ``encoding`` is given (text is then written with newlines as given: csv uses
    CRLF). Never over dxdesk's own files, whoever calls (a save dialog's choice included).
    """
    path = Path(path)
    refuse_protected(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        handle = os.fdopen(fd, "wb") if encoding is None else os.fdopen(fd, "w", encoding=encoding, newline="")
        with handle as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)  # the umask can only narrow O_CREAT's mode; this states it
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename == str(tmp):
            exc.filename = str(path)  # the error names the file the person chose, not our temporary
        raise


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` through :func:`private_file` (owner-only, atomic, never over dxdesk's own files)."""
    with private_file(path) as fh:
        fh.write(data)
    return Path(path)


def write_private_text(path: Path, text: str, encoding: str = "utf-8-sig") -> Path:
    """:func:`write_private` for text; newlines are written as given (csv uses CRLF)."""
    return write_private(path, text.encode(encoding))
