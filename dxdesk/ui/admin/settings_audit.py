"""Persist a settings change and record it in the audit log, in that order.

There is no settings service in the core yet, so the admin tabs check MANAGE_SETTINGS
themselves (``require`` raises PermissionDeniedError with a Japanese message) before
writing. The audit event records *which* setting changed, not personal values.
"""
from __future__ import annotations

from typing import Any

from dxdesk.config import Settings, save_settings
from dxdesk.paths import AppPaths
from dxdesk.security.audit import AuditEntry, AuditLog, EventType, Result
from dxdesk.security.permissions import Permission, Session, require


def save_and_audit(session: Session, settings: Settings, audit: AuditLog | None, paths: AppPaths | None,
                   setting: str, **details: Any) -> None:
    """Runs on a worker thread: the file write and the audit commit both wait on I/O."""
    require(session, Permission.MANAGE_SETTINGS)
    save_settings(settings, paths)
    if audit is not None:
        audit.append(AuditEntry(EventType.SETTINGS_CHANGE, session.clerk_id, Result.SUCCESS,
                                details={"setting": setting, **details}))
