"""The back-office hand-off as a use case: records of printed forms into the folder and the store, audited.

``CounterVisits.record_printed`` calls :meth:`Handoff.records` on the caller's thread (the
Visit is not thread-safe) and :meth:`Handoff.write_in` inside the writer job that appends the
``form.print`` event: the ``handoff.write`` event, the stored copies (``printed_records``, for
``dxdesk visit export``) and the files commit together. A folder that cannot be written does not
undo the print: the event says ``failure`` and the stored copy is kept for the export.
Pickup and the export are supervisors' acts (EXPORT_DATA), audited the same way.
Turning it on or off, the folder, the retention and the QR codes are an administrator's settings
change (:meth:`Handoff.configure`, MANAGE_SETTINGS): ``dxdesk handoff set`` and 管理 → データ引き渡し
both call it, so both check the folder the same way and write the same ``settings.change`` event.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from dxdesk.config import HandoffSettings, Settings
from dxdesk.counter import Visit
from dxdesk.counter.visit import GUIDE_SHEET_FORM
from dxdesk.errors import DxError
from dxdesk.forms import FormData, find_template
from dxdesk.forms.template import FormTemplate
from dxdesk.handoff.folder import HandoffFolder
from dxdesk.handoff.record import HandoffRecord, build_record
from dxdesk.i18n import Msg
from dxdesk.outputfiles import OutputRefusedError
from dxdesk.paths import AppPaths, app_paths
from dxdesk.security.audit import AuditEntry, AuditLog, EventType, Item, Result
from dxdesk.security.permissions import Permission, Session, require
from dxdesk.timeutil import local_now, local_today

log = logging.getLogger(__name__)

RETENTION_DAYS = (1, 3650)  # the range an administrator may choose (files hold personal data: not forever)


@dataclass(frozen=True)
class HandoffState:
    """What 管理 → データ引き渡し and ``dxdesk handoff status`` show."""

    enabled: bool
    folder: Path  # the folder in use (the default one when ``custom_folder`` is False)
    custom_folder: bool
    retention_days: int
    qr: bool
    waiting: tuple[str, ...]  # the record files waiting for pickup, by name


def handoff_folder(settings: Settings, paths: AppPaths | None = None) -> Path:
    """``[handoff] folder``, else ``handoff`` in the data folder (a training desk: its own data folder)."""
    if settings.handoff.folder.strip():
        return Path(settings.handoff.folder).expanduser()
    return default_handoff_folder(paths)


def default_handoff_folder(paths: AppPaths | None = None) -> Path:
    """``handoff`` in the data folder: the folder when ``[handoff] folder`` is empty."""
    return (paths or app_paths()).data_dir / "handoff"


def handoff_state(settings: Settings, paths: AppPaths | None = None) -> HandoffState:
    """The current setting and the files waiting in the folder (lists the folder: call it off the GUI thread)."""
    current = settings.handoff
    folder = HandoffFolder(handoff_folder(settings, paths))
    return HandoffState(enabled=current.enabled, folder=folder.path, custom_folder=bool(current.folder.strip()),
                        retention_days=current.retention_days, qr=current.qr,
                        waiting=tuple(f.name for f in folder.files()))


class Handoff:
    def __init__(self, settings: Settings, audit: AuditLog, paths: AppPaths | None = None) -> None:
        self.settings = settings
        self.audit = audit
        self.paths = paths

    @property
    def enabled(self) -> bool:
        return self.settings.handoff.enabled

    @property
    def folder(self) -> HandoffFolder:
        return HandoffFolder(handoff_folder(self.settings, self.paths))

    # -- the setting ---------------------------------------------------------------------------

    def state(self) -> HandoffState:
        return handoff_state(self.settings, self.paths)

    def configure(self, session: Session, *, enabled: bool | None = None, folder: str | None = None,
                  retention_days: int | None = None, qr: bool | None = None) -> HandoffState:
        """Change the hand-off setting as an administrator (MANAGE_SETTINGS), audited as ``settings.change``.

        ``folder`` "" means the default folder. The folder in use is checked (created if only it is
        missing, a file written and removed) whenever the hand-off is being turned on or the folder
        changes; a refusal (HandoffFolderError, a sentence) leaves the setting and the file as they were.
        Blocks: the GUI runs it on a worker.
        """
        from dxdesk.app.settings import SettingsChanges

        changes = SettingsChanges(self.audit, self.settings, self.paths)
        changes.check(session)
        if retention_days is not None and not RETENTION_DAYS[0] <= retention_days <= RETENTION_DAYS[1]:
            raise DxError(Msg("保存期間は {low}〜{high} 日で指定してください。",
                              "The retention must be between {low} and {high} days.").format(
                low=RETENTION_DAYS[0], high=RETENTION_DAYS[1]))
        current = self.settings.handoff
        before = HandoffSettings(current.enabled, current.folder, current.retention_days, current.qr)
        changed: dict[str, Any] = {}
        if folder is not None:
            current.folder = str(Path(folder).expanduser().resolve()) if folder.strip() else ""
            changed["folder"] = "custom" if current.folder else "default"  # a path could name a person: not audited
        if enabled is not None:
            current.enabled = changed["enabled"] = enabled
        if retention_days is not None:
            current.retention_days = changed["retention_days"] = retention_days
        if qr is not None:
            current.qr = changed["qr"] = qr
        try:
            if folder is not None or enabled:
                self.folder.check_usable()
            changes.save(session, "handoff", **changed)
        except BaseException:
            # The shared Settings (the printing desk reads it) keeps what the file still says.
            current.enabled, current.folder = before.enabled, before.folder
            current.retention_days, current.qr = before.retention_days, before.qr
            raise
        return self.state()

    # -- printing --------------------------------------------------------------------------------

    def records(self, visit: Visit, forms: Sequence[str], filled: Mapping[str, FormData] | None = None,
                ) -> list[tuple[FormTemplate, HandoffRecord]]:
        """The records of ``forms`` as printed for ``visit`` (the 手続き案内票 is the resident's, not a form).

        ``filled`` is what the PDF was drawn from (``VisitPdf.filled``); without it the data is built
        again from the visit the way the print step builds it (today, the desk's default mode).
        """
        wanted = [f for f in forms if f != GUIDE_SHEET_FORM]
        if not wanted:
            return []
        if filled is None or any(f not in filled for f in wanted):
            from dxdesk.app.formpdf import form_fill_data, visit_form_payload

            payload = visit_form_payload(visit, local_today(), self.settings.forms.default_mode,
                                         municipality=self.settings.general.municipality)
            filled = {f: form_fill_data(payload, f) for f in wanted if f in payload.data}
        clerk = visit.session.login if visit.session is not None else visit.clerk_id
        now = local_now().replace(microsecond=0)
        out = []
        for form_id in wanted:
            if form_id not in filled:
                continue
            template = find_template(form_id)
            out.append((template, build_record(template, filled[form_id], visit_id=visit.id, desk_id=visit.desk_id,
                                               desk_name=visit.desk_name, clerk=clerk, printed_at=now)))
        return out

    def write_in(self, orm: OrmSession, actor: str, records: Sequence[tuple[FormTemplate, HandoffRecord]]) -> None:
        """Store the records, write them to the folder and append ``handoff.write`` (in the caller's job)."""
        from dxdesk.store.models import PrintedRecord

        if not records:
            return
        for _template, record in records:
            orm.add(PrintedRecord(visit_id=record.visit_id, form_id=record.form_id, printed_at=record.printed_at,
                                  record=record.document()))
        details: dict[str, Any] = {"visit_id": records[0][1].visit_id, "forms": [r.form_id for _t, r in records]}
        result = Result.SUCCESS
        folder = self.folder
        try:
            details["purged"] = folder.purge(self.settings.handoff.retention_days)
            details["records_written"] = len([folder.write(t, r) for t, r in records])
        except (OSError, OutputRefusedError) as exc:
            # The kind only: the path could name a person's folder, the text is the OS's.
            log.error("hand-off folder not written (%s); the records stay in the database for visit export",
                      type(exc).__name__)
            result, details["error"] = Result.FAILURE, type(exc).__name__
        items = (Item.MY_NUMBER,) if any(r.has_my_number for _t, r in records) else ()
        self.audit.append_in(orm, AuditEntry(EventType.HANDOFF_WRITE, actor, result, items=items, details=details))

    # -- supervisors -----------------------------------------------------------------------------

    def pickup(self, session: Session, destination: Path) -> list[Path]:
        """Move every record out of the folder to ``destination`` (EXPORT_DATA), audited."""
        require(session, Permission.EXPORT_DATA)
        folder = self.folder

        def job(orm: OrmSession) -> list[Path]:
            moved = folder.pickup(destination)
            self.audit.append_in(orm, AuditEntry(EventType.HANDOFF_PICKUP, session.clerk_id, Result.SUCCESS,
                                                 details={"files": len(moved)}))
            return moved

        moved: list[Path] = self.audit.database.writer.run(job)
        return moved

    def stored(self, session: Session, start: datetime, end: datetime) -> Iterator[HandoffRecord]:
        """Stored records of closed visits printed in [start, end), oldest first (EXPORT_DATA; the caller audits)."""
        from dxdesk.store.models import PrintedRecord, Visit as VisitRow

        require(session, Permission.EXPORT_DATA)
        query = (select(PrintedRecord.record).join(VisitRow, VisitRow.id == PrintedRecord.visit_id)
                 .where(VisitRow.status == "closed", PrintedRecord.printed_at >= start, PrintedRecord.printed_at < end)
                 .order_by(PrintedRecord.printed_at, PrintedRecord.id))
        with self.audit.database.session() as orm:
            for (document,) in orm.execute(query.execution_options(yield_per=500)):
                yield HandoffRecord.from_document(document)
