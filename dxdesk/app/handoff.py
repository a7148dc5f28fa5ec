"""The back-office hand-off as a use case: records of printed forms into the folder and the store, audited.

``CounterVisits.record_printed`` calls :meth:`Handoff.records` on the caller's thread (the
Visit is not thread-safe) and :meth:`Handoff.write_in` inside the writer job that appends the
``form.print`` event: the ``handoff.write`` event, the stored copies (``printed_records``, for
``dxdesk visit export``) and the files commit together. A folder that cannot be written does not
undo the print: the event says ``failure`` and the stored copy is kept for the export.
Pickup and the export are supervisors' acts (EXPORT_DATA), audited the same way.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from dxdesk.config import Settings
from dxdesk.counter import Visit
from dxdesk.counter.visit import GUIDE_SHEET_FORM
from dxdesk.forms import FormData, find_template
from dxdesk.forms.template import FormTemplate
from dxdesk.handoff.folder import HandoffFolder
from dxdesk.handoff.record import HandoffRecord, build_record
from dxdesk.outputfiles import OutputRefusedError
from dxdesk.paths import AppPaths, app_paths
from dxdesk.security.audit import AuditEntry, AuditLog, EventType, Item, Result
from dxdesk.security.permissions import Permission, Session, require
from dxdesk.timeutil import local_now, local_today

log = logging.getLogger(__name__)


def handoff_folder(settings: Settings, paths: AppPaths | None = None) -> Path:
    """``[handoff] folder``, else ``handoff`` in the data folder (a training desk: its own data folder)."""
    if settings.handoff.folder.strip():
        return Path(settings.handoff.folder).expanduser()
    return (paths or app_paths()).data_dir / "handoff"


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
