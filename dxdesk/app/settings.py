"""Settings changes as a use case: MANAGE_SETTINGS checked, the file written, the change audited.

The settings live in ``settings.toml``, not in the database, so the file write cannot join
the audit event's transaction. It runs *inside* the writer job that appends the
``settings.change`` event, after the append: an event the audit log refuses leaves the
file untouched, and a file that cannot be written rolls the event back. The event names
*which* setting changed (and a non-personal value), never personal data.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session as OrmSession

from dxdesk.config import Settings, save_settings
from dxdesk.paths import AppPaths
from dxdesk.security.audit import AuditEntry, AuditLog, EventType, Result, check_entry
from dxdesk.security.permissions import Permission, Session, require


class SettingsChanges:
    """Saves the shared :class:`Settings` object as the signed-in administrator, audited."""

    def __init__(self, audit: AuditLog, settings: Settings, paths: AppPaths | None = None) -> None:
        self.audit = audit
        self.settings = settings
        self.paths = paths

    def check(self, session: Session) -> None:
        """Raise PermissionDeniedError unless ``session`` may change settings (before touching the object)."""
        require(session, Permission.MANAGE_SETTINGS)

    def save(self, session: Session, setting: str, **details: Any) -> None:
        """Write the settings file and its ``settings.change`` event; blocks (run it on a worker)."""
        require(session, Permission.MANAGE_SETTINGS)
        entry = AuditEntry(EventType.SETTINGS_CHANGE, session.clerk_id, Result.SUCCESS,
                           details={"setting": setting, **details})
        check_entry(entry)

        def job(orm: OrmSession) -> None:
            self.audit.append_in(orm, entry)
            save_settings(self.settings, self.paths)

        self.audit.database.writer.run(job)

    def work_offline(self, session: Session, offline: bool) -> None:
        """The 接続・同期 switch: the same use case as ``dxdesk db work-offline`` (``db.work_offline`` event)."""
        from dxdesk.app.maintenance import apply_work_offline

        apply_work_offline(self.audit, session, self.settings, self.paths, offline)
