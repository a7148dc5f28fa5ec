"""Builds a CounterPage over real core services: the training card, temp journal, store, audit log,
and a clerk account created through the auth service and signed in (no unchecked mode).

Shared by the tests (through conftest fixtures) and make_screenshots.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from PySide6.QtPrintSupport import QPrinter

from dxdesk.cardreader.service import CardService
from dxdesk.cardreader.simcard import SimulatedCard, SimulatedTransport
from dxdesk.cardreader.testdata import PERSON_KOKUTOU
from dxdesk.config import CardSettings, Settings
from dxdesk.app.visits import CounterVisits
from dxdesk.counter import InMemoryKeyProvider, VisitJournal, load_catalogue
from dxdesk.paths import AppPaths
from dxdesk.security.audit import AuditLog
from dxdesk.security.auth import AuthService
from dxdesk.store.database import Database, open_database
from dxdesk.ui.counter import CounterPage, CounterServices
from dxdesk.ui.tasks import TaskRunner
from fakeclock import FakeClock
from signin import CHEAP, sign_in_clerk


class ScriptedCardService(CardService):
    """The real CardService (same card thread, policy and protocol) on an in-process simulated card.

    CardService opens a fresh SimulatedTransport per read; overriding ``_simulated`` lets a test
    pull the card after ``remove_after`` APDUs, like a resident lifting it mid-read.
    """

    def __init__(self, card: SimulatedCard, settings: CardSettings | None = None) -> None:
        # Training mode (研修モード) is the only place a simulated card is read; no reader is listed.
        super().__init__(settings or CardSettings(), list_reader_infos=lambda: [], simulated_card=card,
                         training=True)
        self.card = card
        self.remove_after: int | None = None

    def _simulated(self):  # type: ignore[override]
        transport, source = super()._simulated()
        assert isinstance(transport, SimulatedTransport)
        if self.remove_after is not None:
            transport.remove_after(self.remove_after)
            self.remove_after = None
        return transport, source


@dataclass
class Kit:
    page: CounterPage
    services: CounterServices
    clock: FakeClock
    card_service: ScriptedCardService | None
    printed_pdf: Path
    database: Database
    closers: list = field(default_factory=list)

    def close(self) -> None:
        self.page.shutdown()
        for close in reversed(self.closers):
            close()


def make_kit(tmp: Path, *, tries_left: int = 3, with_card: bool = True,
             journal: VisitJournal | None = None) -> Kit:
    settings = Settings()
    settings.general.desk_id = "0c8a3f3e-1d7e-4c39-9a57-2f1b0f0c0001"
    settings.general.desk_name = "住民課 1番窓口"
    clock = FakeClock(datetime(2026, 4, 1, 0, 30, tzinfo=timezone.utc))  # 09:30 in Japan
    runner = TaskRunner()
    closers: list = [runner.shutdown]
    card_service = None
    if with_card:
        card = SimulatedCard.from_person(PERSON_KOKUTOU, pin_tries_left=tries_left)
        card_service = ScriptedCardService(card, settings.card)
        closers.append(card_service.close)
    paths = AppPaths(tmp / "config", tmp / "data", tmp / "logs", tmp / "cache")
    database = open_database(settings, paths)
    closers.append(database.close)
    audit = AuditLog(database)
    clerk = sign_in_clerk(AuthService(database, audit, settings.security, params=CHEAP))
    printed = tmp / "printed.pdf"

    def printer() -> QPrinter:
        p = QPrinter(QPrinter.PrinterMode.HighResolution)
        p.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        p.setOutputFileName(str(printed))
        p.setResolution(100)  # enough to prove the pages are painted; keeps the test fast
        return p

    visits = CounterVisits(database, audit, load_catalogue(),
                           journal or VisitJournal(InMemoryKeyProvider(), tmp / "visits"), settings, clock)
    services = CounterServices(
        visits=visits, session=clerk, runner=runner, card_service=card_service, printer_factory=printer,
        local_now=lambda: clock.now.astimezone(timezone(timedelta(hours=9))),
    )
    if card_service is not None:
        card_service.bind_session(clerk)  # as the app does after sign-in
    page = CounterPage(services)
    page.resize(1280, 800)
    return Kit(page, services, clock, card_service, printed, database, closers)
