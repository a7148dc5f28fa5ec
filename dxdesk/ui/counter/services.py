"""What the counter screens need from the rest of the app, handed in by the bootstrap (dxdesk/ui/app.py)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from dxdesk.config import Settings
from dxdesk.counter import Catalogue, VisitJournal
from dxdesk.counter.timing import Clock, system_clock
from dxdesk.ui.tasks import TaskRunner
from dxdesk import timeutil

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

    from dxdesk.cardreader.service import CardService
    from dxdesk.security.audit import AuditLog
    from dxdesk.security.permissions import Session
    from dxdesk.store.database import Database


class StartableMonitor(Protocol):
    """``dxdesk.cardreader.monitor.CardMonitor`` (or a test double): start()/stop()."""

    def start(self) -> Any: ...

    def stop(self) -> Any: ...


# Builds a card monitor that calls the given callback (from its own thread) with each CardEvent.
MonitorFactory = Callable[[Callable[[object], None]], StartableMonitor]


@dataclass
class CounterServices:
    """Everything the counter page uses; ``None`` means "not available here" and the page adapts.

    * ``card_service`` None → card reading unavailable, manual entry only.
    * ``card_monitor_factory`` None → no live reader/card events (the status is refreshed on demand).
    * ``session`` None → no sign-in in this build (demo); permissions are not enforced.
    * ``audit`` / ``database`` None → nothing audited / the record is not stored (demo).
    * ``printer_factory`` → a pre-configured QPrinter (kiosk printer, PDF in tests); None asks with the print dialog.
    """

    catalogue: Catalogue
    journal: VisitJournal
    settings: Settings
    runner: TaskRunner
    card_service: "CardService | None" = None
    session: "Session | None" = None
    audit: "AuditLog | None" = None
    database: "Database | None" = None
    clock: Clock = system_clock
    card_monitor_factory: MonitorFactory | None = None
    printer_factory: "Callable[[], QPrinter] | None" = None
    # Local time zone for what people read (wall clock in the step bar, dates on forms).
    local_now: Callable[[], datetime] = field(default=timeutil.local_now)

    @property
    def clerk_id(self) -> str:
        return self.session.clerk_id if self.session is not None else "demo"

    @property
    def desk_id(self) -> str:
        return self.settings.general.desk_id or "desk"

    @property
    def desk_name(self) -> str:
        return self.settings.general.desk_name
