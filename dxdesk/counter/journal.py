"""Crash-safe journal of visits: one JSON file per visit under ``data_dir/visits``.

Written after every change, atomically (temp file + fsync + ``os.replace``), owner
read/write only. The file has a plaintext header (ids, step, timeline, procedures:
enough for :meth:`VisitJournal.pending` to list visits without the key) and one
AES-GCM envelope holding everything personal (card data, answers, retained fields).

A closed visit stays in the journal until the store has taken its record
(:meth:`VisitJournal.forget`), so a crash between closing and storing loses nothing:
:meth:`VisitJournal.unstored_records` hands such records back.
"""
from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dxdesk.i18n import Msg
from dxdesk.paths import app_paths

from .card import VisitCardData
from .catalogue import Catalogue
from .crypto import KeyProvider, seal, unseal
from .errors import JournalError
from .interview import Interview
from .record import VisitRecord
from .timing import Clock, TimelineEvent, VisitStep, system_clock
from .visit import Visit

log = logging.getLogger(__name__)

JOURNAL_FORMAT = 1
_ID_RE = re.compile(r"[A-Za-z0-9-]{1,64}")


@dataclass(frozen=True)
class PendingVisit:
    """An unfinished visit as listed at start-up ("resume this visit?"). No personal data."""

    visit_id: str
    clerk_id: str
    desk_id: str
    desk_name: str
    step: VisitStep
    suspended: bool
    procedures: tuple[str, ...]
    started_at: datetime
    saved_at: datetime


def default_journal_dir() -> Path:
    return app_paths().data_dir / "visits"


class VisitJournal:
    """Persists visits; ``key_provider`` is needed to save or load, not to list pending visits."""

    def __init__(self, key_provider: KeyProvider | None = None, directory: Path | None = None) -> None:
        self.key_provider = key_provider
        self.directory = directory or default_journal_dir()

    def _path(self, visit_id: str) -> Path:
        if not _ID_RE.fullmatch(visit_id):  # ids become file names: refuse anything path-like
            raise JournalError(Msg("受付IDが正しくありません", f"Invalid visit id {visit_id!r}."))
        return self.directory / f"{visit_id}.json"

    def _key(self) -> KeyProvider:
        if self.key_provider is None:
            raise JournalError(Msg("暗号鍵が設定されていません", "No encryption key provider was given to the visit journal."))
        return self.key_provider

    # -- writing -----------------------------------------------------------------------------------

    def save(self, visit: Visit) -> None:
        card = visit.card
        personal: dict[str, Any] = {
            "card": card.to_json() if card is not None else None,
            "answers": visit.interview.to_json(),
            "retained": visit.record.retained if visit.record else {},
        }
        record = visit.record.to_json() if visit.record else None
        if record is not None:
            record["retained"] = {}  # kept only inside the envelope
        document = {
            "format": JOURNAL_FORMAT,
            "visit_id": visit.id,
            "clerk_id": visit.clerk_id,
            "desk_id": visit.desk_id,
            "desk_name": visit.desk_name,
            "step": visit.step.value,
            "suspended": visit.suspended,
            "procedures": list(visit.procedure_ids),
            "forms_printed": list(visit.forms_printed),
            "timeline": [e.to_json() for e in visit.timeline],
            "saved_at": visit.clock().isoformat(),
            "record": record,
            "personal": seal(self._key(), personal, associated=visit.id),
        }
        self._write_atomic(self._path(visit.id), json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"))

    def _write_atomic(self, path: Path, data: bytes) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".visit-", suffix=".tmp")
            try:
                if hasattr(os, "fchmod"):  # POSIX; mkstemp already creates 0600, this makes it explicit
                    os.fchmod(fd, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            _fsync_dir(self.directory)
        except OSError as exc:
            raise JournalError(Msg(
                f"受付記録を保存できません: {exc.strerror}", f"Cannot write the visit journal in {self.directory}: {exc.strerror}",
            )) from None

    def forget(self, visit_id: str) -> None:
        """Remove a visit's file, once the store holds its record (or the clerk discards it)."""
        self._path(visit_id).unlink(missing_ok=True)

    # -- reading -----------------------------------------------------------------------------------

    def _read(self, path: Path) -> dict[str, Any]:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(document, dict) or document.get("format") != JOURNAL_FORMAT:
                raise ValueError("unknown format")
            return document
        except (OSError, ValueError) as exc:
            raise JournalError(Msg(
                f"受付記録 {path.name} を読めません", f"Cannot read visit journal file {path.name}: {exc}",
            )) from None

    def _documents(self) -> list[dict[str, Any]]:
        if not self.directory.is_dir():
            return []
        documents = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                documents.append(self._read(path))
            except JournalError as exc:
                log.warning("Skipping %s", exc)
        return documents

    def pending(self) -> list[PendingVisit]:
        """Unfinished visits, oldest first: offer to resume them at start-up."""
        result = []
        for doc in self._documents():
            try:
                if doc["step"] == VisitStep.CLOSED.value:
                    continue
                result.append(PendingVisit(
                    visit_id=doc["visit_id"], clerk_id=doc["clerk_id"], desk_id=doc["desk_id"],
                    desk_name=doc.get("desk_name", ""), step=VisitStep(doc["step"]), suspended=bool(doc["suspended"]),
                    procedures=tuple(doc["procedures"]), started_at=TimelineEvent.from_json(doc["timeline"][0]).at,
                    saved_at=datetime.fromisoformat(doc["saved_at"]),
                ))
            except (KeyError, IndexError, TypeError, ValueError) as exc:
                log.warning("Skipping damaged visit journal entry %s (%s)", doc.get("visit_id"), type(exc).__name__)
        return sorted(result, key=lambda p: p.started_at)

    def unstored_records(self) -> list[VisitRecord]:
        """Records of closed visits not yet :meth:`forget`-ten (the store did not take them before a crash)."""
        records = []
        for doc in self._documents():
            if doc.get("record") is None:
                continue
            # One damaged file must not hold back the others (nor, at start-up, the resume list):
            # it is skipped and stays on disk for an administrator to look at.
            try:
                personal = unseal(self._key(), doc["personal"], associated=doc["visit_id"])
                data = dict(doc["record"], retained=personal.get("retained", {}))
                records.append(VisitRecord.from_json(data))
            except (JournalError, KeyError, TypeError, ValueError, AttributeError) as exc:
                if self.key_provider is None:
                    raise
                log.warning("Skipping damaged closed-visit record %s (%s)", doc.get("visit_id"), type(exc).__name__)
        return records

    def load(self, visit_id: str, catalogue: Catalogue, clock: Clock = system_clock) -> Visit:
        """Rebuild a visit after a restart. An open visit that was not suspended comes back suspended
        (reason "interrupted", from its last save): call ``resume()`` when the clerk picks it up."""
        path = self._path(visit_id)
        if not path.exists():
            raise JournalError(Msg("この受付記録はありません", f"No journal entry for visit {visit_id}."))
        doc = self._read(path)
        personal = unseal(self._key(), doc["personal"], associated=visit_id)
        missing = [p for p in doc["procedures"] if p not in catalogue]
        if missing:
            raise JournalError(Msg(
                f"手続きカタログから削除された手続きがあります: {', '.join(missing)}",
                f"The catalogue no longer has procedure(s) {', '.join(missing)} used by this visit.",
            ))
        try:
            visit = Visit(
                visit_id=visit_id, catalogue=catalogue, clerk_id=doc["clerk_id"], desk_id=doc["desk_id"],
                desk_name=doc.get("desk_name", ""), clock=clock, journal=self,
                timeline=[TimelineEvent.from_json(e) for e in doc["timeline"]],
                interview=Interview.from_json(catalogue, doc["procedures"], personal["answers"]),
                card=VisitCardData.from_json(personal["card"]) if personal["card"] else None,
                forms_printed=doc["forms_printed"],
                record=VisitRecord.from_json(dict(doc["record"], retained=personal.get("retained", {})))
                if doc.get("record") else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise JournalError(Msg(
                "受付記録の内容が壊れています", f"The journal entry for visit {visit_id} is damaged ({type(exc).__name__}).",
            )) from None
        visit._mark_interrupted(datetime.fromisoformat(doc["saved_at"]))
        self.save(visit)
        return visit


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; directories cannot be opened this way on Windows.
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
