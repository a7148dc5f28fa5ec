"""What the counter screens need from the rest of the app, handed in by the bootstrap (dxdesk/ui/app.py)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from dxdesk import timeutil
from dxdesk.app.visits import CounterVisits
from dxdesk.config import Settings
from dxdesk.counter import Catalogue, VisitJournal
from dxdesk.counter.timing import Clock
from dxdesk.security.permissions import Session
from dxdesk.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from PySide6.QtPrintSupport import QPrinter

    from dxdesk.cardreader.service import CardService


class StartableMonitor(Protocol):
    """``dxdesk.cardreader.monitor.CardMonitor`` (or a test double): start()/stop()."""

    def start(self) -> Any: ...

    def stop(self) -> Any: ...


# Builds a card monitor that calls the given callback (from its own thread) with each CardEvent.
MonitorFactory = Callable[[Callable[[object], None]], StartableMonitor]


@dataclass
class CounterServices:
    """Everything the counter page uses.

    * ``visits`` → the counter's use cases (dxdesk.app.visits): visits, their audit events, storing.
    * ``session`` → the signed-in clerk; every step is checked against this role (there is no
      unchecked mode).
    * ``card_service`` None → card reading unavailable, manual entry only.
    * ``card_monitor_factory`` None → no live reader/card events (the status is refreshed on demand).
    * ``printer_factory`` → a pre-configured QPrinter (kiosk printer, PDF in tests); None asks with the print dialog.
    """

    visits: CounterVisits
    session: Session
    runner: TaskRunner
    card_service: "CardService | None" = None
    card_monitor_factory: MonitorFactory | None = None
    printer_factory: "Callable[[], QPrinter] | None" = None
    # Local time zone for what people read (wall clock in the step bar, dates on forms).
    local_now: Callable[[], datetime] = field(default=timeutil.local_now)

    @property
    def settings(self) -> Settings:
        return self.visits.settings

    @property
    def catalogue(self) -> Catalogue:
        return self.visits.catalogue

    @property
    def journal(self) -> VisitJournal:
        return self.visits.journal

    @property
    def clock(self) -> Clock:
        return self.visits.clock

    @property
    def clerk_id(self) -> str:
        return self.session.clerk_id

    @property
    def desk_name(self) -> str:
        return self.settings.general.desk_name
