"""Counter clerk screens (窓口受付): one module per step, orchestrated by :class:`CounterPage`.

Wiring (dxdesk/ui/app.py)::

    services = CounterServices(visits=app_services.visits, session=session, runner=TaskRunner(),
                               card_service=app_services.card_service,
                               card_monitor_factory=lambda cb: CardMonitor(cb))
    page = CounterPage(services)
"""
from __future__ import annotations

from .page import CounterPage
from .pinpad import PinPad, PinPadDialog
from .resident import ResidentView
from .services import CounterServices

__all__ = ["CounterPage", "CounterServices", "PinPad", "PinPadDialog", "ResidentView"]
