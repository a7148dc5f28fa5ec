"""End to end: a full visit that reads the My Number leaves it nowhere in clear text.

Drives the application layer the way the counter screen does — sign-in, the
CounterVisits use cases (dxdesk.app.visits) with the card service over the in-process
simulated card (PIN 1234), card-read and print audit events, the record stored with
its visit.close event — without importing any UI module; plus the support log, a support report PDF, support and audit CSV exports
and a retention dry run. Then it searches the *bytes* of everything written under
the temp home (log file at DEBUG so APDU traces are on, the SQLite file and its WAL,
the visit journal, every export) for the number in every spelling, the PIN as a
VERIFY payload, and the resident's name and address where they must not be.

A second test crashes mid-visit, with the card data in local variables, and checks
that the crash text and the log hold none of it.
"""
from __future__ import annotations

import logging
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from accounts import add_ready_account

from dxdesk.cardreader.service import CardService
from dxdesk.cardreader.simcard import SimulatedCard
from dxdesk.cardreader.testdata import PERSON_KOKUTOU
from dxdesk.app.visits import CounterVisits
from dxdesk.config import CardSettings, SecuritySettings, Settings
from dxdesk.counter import IdentifyMethod, InMemoryKeyProvider, VisitCardData, VisitJournal, load_catalogue
from dxdesk.counter.journal import default_journal_dir
from dxdesk.log import setup_logging
from dxdesk.paths import app_paths
from dxdesk.security.audit import AuditLog
from dxdesk.security.auditview import AuditService
from dxdesk.security.auth import AuthService
from dxdesk.security.crashreport import safe_crash_report
from dxdesk.security.passwords import ScryptParams
from dxdesk.security.permissions import Role
from dxdesk.security.retention import RetentionService
from dxdesk.store.database import open_database
from dxdesk.support import kpi
from dxdesk.support.model import SupportSession, local_now
from dxdesk.support.report import ReportOptions
from dxdesk.support.repository import SessionQuery
from dxdesk.support.service import SupportService
from dxdesk.support.sql_repository import SqlRepository


NUMBER = PERSON_KOKUTOU.my_number
NAME = PERSON_KOKUTOU.holder.name
ADDRESS = PERSON_KOKUTOU.holder.address
PASSWORD = "correct horse 1"
KOKUHO_ANSWERS = {"kokuho_reason": "move_in", "kokuho_start_on": "令和8年4月1日", "kokuho_members": 1,
                  "phone": "09012345678"}


def _number_spellings() -> dict[str, bytes]:
    groups = f"{NUMBER[:4]} {NUMBER[4:8]} {NUMBER[8:]}"
    fullwidth = NUMBER.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    ascii_hex = NUMBER.encode().hex()
    return {
        "number": NUMBER.encode(),
        "number full-width": fullwidth.encode("utf-8"),
        "number 4-4-4": groups.encode(),
        "number 4-4-4 dashes": groups.replace(" ", "-").encode(),
        "number full-width 4-4-4": " ".join((fullwidth[:4], fullwidth[4:8], fullwidth[8:])).encode("utf-8"),
        "number UTF-16": NUMBER.encode("utf-16-le"),
        "number as hex": ascii_hex.encode(),
        "number as HEX": ascii_hex.upper().encode(),
        "number as spaced hex": " ".join(ascii_hex[i:i + 2] for i in range(0, 24, 2)).upper().encode(),
    }


PIN_VERIFY = {"PIN as VERIFY hex": b"31323334", "PIN as spaced VERIFY hex": b"31 32 33 34"}
PERSONAL = {"name": NAME.encode("utf-8"), "family name": NAME.split("\u3000")[0].encode("utf-8"),
            "address": ADDRESS.encode("utf-8")}


def found(data: bytes, patterns: dict[str, bytes]) -> list[str]:
    lowered = data.lower()
    return [label for label, needle in patterns.items() if needle in data or needle.lower() in lowered]


@pytest.fixture
def debug_log():
    """The app's log file in the temp home, at DEBUG (APDU traces on); handlers removed afterwards."""
    root = logging.getLogger()
    level = root.level
    path = setup_logging(logging.DEBUG)
    yield path
    for handler in list(root.handlers):
        if getattr(handler, "_dxdesk", False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.fixture
def desk():
    """Database, audit log, and signed-in sessions for a clerk, a supporter and a supervisor."""
    db = open_database()
    audit = AuditLog(db)
    auth = AuthService(db, audit, SecuritySettings(), params=ScryptParams(n=2**6, r=8, p=1))
    admin = auth.create_first_admin("admin", "管理者", PASSWORD)
    sessions = {}
    for role in (Role.CLERK, Role.SUPPORTER, Role.SUPERVISOR):
        add_ready_account(auth, admin, role.value, f"{role.value} user", role, PASSWORD)
        sessions[role] = auth.sign_in(role.value, PASSWORD)
    yield db, audit, auth, sessions
    db.close()


class Pin:
    def request_pin(self, key_label: str, tries_left: int) -> str | None:
        return PERSON_KOKUTOU.pin


def _full_visit(db, audit, clerk, journal: VisitJournal, scanned_mid_visit: list[bytes]) -> None:
    settings = Settings()
    settings.general.desk_id = audit.desk_id
    visits = CounterVisits(db, audit, load_catalogue(), journal, settings)
    card = SimulatedCard.from_person(PERSON_KOKUTOU)
    with CardService(CardSettings(), list_reader_infos=lambda: [], simulated_card=card, training=True,
                     require_session=True) as service:
        service.bind_session(clerk)
        visit = visits.start(clerk, ["kokuho_kanyu"])
        assert visit.needs_my_number
        result = service.read_card(Pin(), include_my_number=visit.needs_my_number).result(30)
        assert result.holder.my_number == NUMBER  # really read, so there is something to leak
        visits.identify(visit, VisitCardData.from_card_holder(IdentifyMethod.CARD_PIN, result.holder),
                        simulated=True, jimu_type="国民健康保険", reason="資格取得届").result(30)
        scanned_mid_visit.extend(p.read_bytes() for p in journal.directory.glob("*"))
        for question, value in KOKUHO_ANSWERS.items():
            visit.answer(question, value)
        visit.set_name_kana("こくとう みきや")
        visit.finish_interview()
        visit.confirm()
        visits.record_printed(visit, visit.forms_to_print, pages=1).result(30)
        timeline = visit.timeline
        record = visit.close()
    assert record.retained["my_number"] == NUMBER  # 国保 keeps it: it must reach the store encrypted
    visits.store(clerk, record, timeline).result(30)


def test_my_number_and_pin_appear_nowhere_in_clear(tmp_path, debug_log, desk):
    db, audit, auth, sessions = desk
    clerk, supporter, supervisor = sessions[Role.CLERK], sessions[Role.SUPPORTER], sessions[Role.SUPERVISOR]
    journal = VisitJournal(InMemoryKeyProvider())
    mid_visit: list[bytes] = []
    _full_visit(db, audit, clerk, journal, mid_visit)
    assert mid_visit, "the journal held the visit while the card data was in it"

    # The support log, its report and exports, and the audit export.
    repo = SqlRepository(db)
    SupportService(repo, supporter, audit).add(SupportSession(
        id=str(uuid.uuid4()), started_at=local_now().replace(second=0, microsecond=0) - timedelta(hours=1),
        venue="中央公民館", venue_type="community_hall", topics=("mynumber_use",), device="android",
        age_band="75-79", attendees=1, helpers=1, duration_minutes=30, outcome="resolved",
        note="マイナ保険証の利用登録", logged_by="supporter"))
    reports = SupportService(repo, supervisor, audit)
    today = local_now().date()
    period = (today - timedelta(days=7), today)
    rows = reports.list(SessionQuery(date_from=period[0], date_to=period[1]))
    exports = tmp_path / "exports"
    exports.mkdir()
    reports.write_report_pdf(exports / "support.pdf", rows, reports.catalog(),
                             ReportOptions(period=period, municipality="サンプル町"))
    reports.write_csv_pair(exports / "support.csv", rows, kpi.summarize(rows), reports.catalog())
    assert AuditService(db, audit).export_csv(supervisor, exports / "audit.csv") >= 6
    RetentionService(db, audit, SecuritySettings()).purge_as_system(dry_run=True)
    for session in sessions.values():
        auth.sign_out(session)
    logging.getLogger("dxdesk.test").debug("end of visit")  # the file handler flushes per record

    # The search itself must be able to see every spelling, or "absent" means nothing.
    every = b" | ".join([*_number_spellings().values(), *PIN_VERIFY.values()])
    assert len(found(every, {**_number_spellings(), **PIN_VERIFY})) == len(_number_spellings()) + len(PIN_VERIFY)
    # The number is in the database — encrypted, as 国保 retains it.
    with db.session() as orm:
        from dxdesk.store.models import Visit as VisitRow

        assert [v.my_number for v in orm.query(VisitRow)] == [NUMBER]

    log_bytes = debug_log.read_bytes()
    assert b"-> 00 20 00 80 04 XX XX XX XX" in log_bytes, "APDU traces must be on, or this test proves little"
    db_file = Path(db.path)
    stores = {
        "log": log_bytes,
        "journal (mid-visit)": b"".join(mid_visit),
        "journal (after)": b"".join(p.read_bytes() for p in default_journal_dir().glob("*")),
        **{f"export {p.name}": p.read_bytes() for p in sorted(exports.iterdir())},
    }
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = db_file.with_name(db_file.name + suffix)
        if candidate.exists():
            stores[f"database{suffix or ' file'}"] = candidate.read_bytes()
    assert "database file" in stores and any(len(v) for v in stores.values())
    leaks = {where: found(data, {**_number_spellings(), **PIN_VERIFY}) for where, data in stores.items()}
    assert {where: what for where, what in leaks.items() if what} == {}
    # Name and address: never in the log, the audit trail or the exports (the database keeps them encrypted).
    named = {where: found(data, PERSONAL) for where, data in stores.items()}
    assert {where: what for where, what in named.items() if what} == {}

    # Everything else under the temp home (settings, keys, backups) — nothing may hold the number either.
    for path in sorted(app_paths().config_dir.rglob("*")) + sorted(app_paths().data_dir.rglob("*")):
        if path.is_file():
            assert not found(path.read_bytes(), _number_spellings()), path.name


def test_forced_crash_mid_visit_leaks_no_card_data(debug_log):
    holder = PERSON_KOKUTOU.holder  # a CardHolder, as the card service returns it

    def interview_step(card_holder, my_number: str) -> None:
        resident = VisitCardData.from_card_holder(IdentifyMethod.CARD_PIN, card_holder)  # noqa: F841 (held)
        number_text = f"個人番号 {my_number}"  # noqa: F841 (a local, as a careless screen would keep it)
        # A careless bug message quoting the resident, the way real crashes happen.
        raise ValueError(f"cannot fit {card_holder.name} / {card_holder.address} on the form")

    try:
        interview_step(holder, NUMBER)
    except ValueError:
        exc_type, exc, tb = sys.exc_info()
        # What dxdesk.ui.crash_dialog's excepthook does, minus the Qt dialog.
        details = safe_crash_report(exc_type, exc, tb)
        logging.getLogger("dxdesk.ui.crash_dialog").error("unhandled error in the GUI:\n%s", details)
        # And a careless handler elsewhere logging the exception with its traceback.
        logging.getLogger("dxdesk.counter").exception("visit step failed for %s", NUMBER)
    assert "interview_step" in details and "ValueError" in details
    texts = {"crash text": details.encode("utf-8"), "log": debug_log.read_bytes()}
    for where, data in texts.items():
        assert found(data, _number_spellings()) == [], where
        assert found(data, PERSONAL) == [], where
    # Both reports kept the frames (where it happened) and withheld the message (what it quoted).
    log_text = texts["log"].decode("utf-8")
    assert log_text.count("in interview_step") == 2
    assert log_text.count("ValueError: [message withheld: non-ASCII text]") == 2


def test_the_visit_runs_without_any_ui_module():
    """The use cases are the application layer's: driving a visit needs no Qt and no dxdesk.ui."""
    import subprocess

    code = (
        "import sys, pathlib\n"
        f"sys.path.insert(0, {str(Path(__file__).parents[1])!r})\n"
        "import dxdesk.app.visits, dxdesk.app.composition\n"
        f"import importlib.util as u; spec = u.spec_from_file_location('e2e', {__file__!r})\n"
        "m = u.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "print(sorted(k for k in sys.modules if k.startswith(('dxdesk.ui', 'PySide6'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
