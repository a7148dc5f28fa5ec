"""Printing filled forms as a use case: PRINT_FORMS checked, the job handed to the spooler, ``form.print`` audited.

Used by ``dxdesk form print`` (a script prints a resident's data: a person signs in and the print
is on the record). On CUPS the submission runs inside the writer job that appends the audit event,
after the permission check: a job CUPS refused raises there and is never recorded as printed.
Without CUPS (Windows) Qt's print engine paints the job on the calling (main) thread, where Qt's
application lives, after the same checks; the event is appended once the spooler has the job.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy.orm import Session as OrmSession

from dxdesk.app.visit_records import print_entry
from dxdesk.config import Calibration, Settings
from dxdesk.forms.calibration import calibration_for
from dxdesk.forms.printing import spool_path, spool_pdf
from dxdesk.security.audit import AuditError, AuditLog, check_entry
from dxdesk.security.permissions import Permission, Session, require


class FormPrinting:
    """Prints as the signed-in clerk; the calibration is always the chosen printer's."""

    def __init__(self, audit: AuditLog, settings: Settings) -> None:
        self.audit = audit
        self.settings = settings

    def check(self, session: Session) -> None:
        require(session, Permission.PRINT_FORMS)

    def calibration(self, printer: str) -> Calibration:
        """The stored calibration of the printer the job goes to (identity when none is stored)."""
        return calibration_for(self.settings, printer)

    def print_pdf(self, session: Session, pdf: bytes, printer: str, *, forms: Sequence[str], pages: int,
                  copies: int = 1, title: str = "dxdesk", visit_id: str = "") -> str:
        """Hand the PDF to the spooler as ``session``; return what identifies the job."""

        path = spool_path()
        base = print_entry(session.clerk_id, visit_id, forms, pages)
        entry = replace(base, details={**base.details, "printer": printer, "copies": copies, "path": path})
        try:
            check_entry(entry)
        except AuditError:
            # The audit log refuses values that look like numbers (a printer named "EPSON-1234567"):
            # the print is still recorded, without the printer's name.
            entry = replace(entry, details={**base.details, "printer": "(withheld)", "copies": copies, "path": path})

        def spool() -> str:
            require(session, Permission.PRINT_FORMS)
            check_entry(entry)  # an event the log would refuse stops the print before the spooler has it
            return spool_pdf(pdf, printer, copies, title)

        if path == "raster":  # Qt's engine paints on this (main) thread, where Qt's application lives
            request = spool()
            self.audit.database.writer.run(lambda orm: self.audit.append_in(orm, entry))
            return request

        def job(orm: OrmSession) -> str:
            request = spool()
            self.audit.append_in(orm, entry)
            return request

        return self.audit.database.writer.run(job)
