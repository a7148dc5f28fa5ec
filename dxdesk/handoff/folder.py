"""The hand-off folder: one JSON file per printed form and one CSV per form type and day.

The folder holds residents' personal data, so it is created owner-only (0700) and every file in
it is written owner-only and atomically (:func:`dxdesk.outputfiles.private_file`: a temporary
file renamed over the target), so a robot polling the folder never reads half a file. A day's
CSV (``<form_id>_<YYYYMMDD>.csv``, UTF-8 with BOM, CRLF, header row) gains one row per printed
form by rewriting it whole (days are short; the rewrite keeps the file atomic). Files leave the
folder when picked up (:meth:`HandoffFolder.pickup`, or the town's robot deleting what it read)
or when older than the town's retention (:meth:`HandoffFolder.purge`).
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dxdesk.errors import DxError
from dxdesk.forms.template import FormTemplate
from dxdesk.handoff.record import HandoffRecord, csv_header
from dxdesk.i18n import Msg
from dxdesk.outputfiles import private_file

SUFFIXES = (".json", ".csv")


@dataclass(frozen=True)
class Written:
    json_file: Path
    csv_file: Path


class HandoffFolderError(DxError):
    """The folder an administrator chose cannot hold the records: says why and what to do."""


def _folder_error(ja: str, en: str, **names: object) -> HandoffFolderError:
    return HandoffFolderError(Msg(ja, en).format(**names))


class HandoffFolder:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def check_usable(self) -> None:
        """Create the folder if only it is missing, and prove a file can be written there (then removed).

        Called when an administrator turns the hand-off on or chooses a folder, so a typo or a
        read-only share is said at once, not found out at the first print. A missing parent is
        not created: a mistyped path should not grow a tree of folders somewhere.
        """
        path = self.path
        if path.exists() and not path.is_dir():
            raise _folder_error("「{path}」はフォルダーではありません。引き渡し用のフォルダーを選んでください。",
                                "{path} is not a folder. Choose a folder for the hand-off.", path=path)
        if not path.exists() and not path.parent.is_dir():
            raise _folder_error("フォルダー「{parent}」がありません。あるフォルダーを選ぶか、先に作成してください。",
                                "The folder {parent} does not exist. Choose an existing folder or create it first.",
                                parent=path.parent)
        try:
            if not path.exists():
                path.mkdir(mode=0o700)
            handle, probe = tempfile.mkstemp(dir=path, prefix=".dxdesk-probe-")  # a dot file: never a record
            os.close(handle)
            os.unlink(probe)
        except OSError as exc:
            raise _folder_error("フォルダー「{path}」に書き込めません（{reason}）。書き込みできるフォルダーを選ぶか、"
                                "フォルダーの権限を確かめてください。",
                                "Cannot write to the folder {path} ({reason}). Choose a folder you can write to, "
                                "or check its permissions.",
                                path=path, reason=exc.strerror or type(exc).__name__) from None

    def ensure(self) -> Path:
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.path, 0o700)  # also when it existed: the folder holds personal data
        return self.path

    def write(self, template: FormTemplate, record: HandoffRecord) -> Written:
        """Add ``record``: its JSON file and a row in its form's CSV of the day (header on a new file)."""
        self.ensure()
        stamp = record.printed_at
        json_file = self.path / f"{record.form_id}_{stamp:%Y%m%d_%H%M%S}_{record.visit_id[:12]}.json"
        with private_file(json_file, encoding="utf-8") as fh:
            fh.write(json.dumps(record.document(), ensure_ascii=False, indent=1) + "\n")
        csv_file = self.path / f"{record.form_id}_{stamp:%Y%m%d}.csv"
        try:
            before = csv_file.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            before = ""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        if not before:
            writer.writerow(csv_header(template))
        writer.writerow(record.csv_row())
        with private_file(csv_file, encoding="utf-8-sig") as fh:
            fh.write(before + buf.getvalue())
        return Written(json_file, csv_file)

    def files(self) -> Iterator[Path]:
        if not self.path.is_dir():
            return
        for entry in sorted(self.path.iterdir()):
            if entry.is_file() and entry.suffix in SUFFIXES and not entry.name.startswith("."):
                yield entry

    def purge(self, retention_days: int, now: float | None = None) -> int:
        """Delete records last written more than ``retention_days`` ago; returns how many files went."""
        limit = (time.time() if now is None else now) - retention_days * 86400
        gone = 0
        for entry in self.files():
            if entry.stat().st_mtime < limit:
                entry.unlink(missing_ok=True)
                gone += 1
        return gone

    def pickup(self, destination: Path) -> list[Path]:
        """Move every record to ``destination`` (IT staff's pickup); the folder is empty afterwards."""
        destination.mkdir(parents=True, exist_ok=True)
        moved = []
        for entry in list(self.files()):
            target = destination / entry.name
            if target.exists():
                raise FileExistsError(17, "a picked-up record of that name is already there", str(target))
            moved.append(Path(shutil.move(str(entry), target)))
        return moved
