"""A clerk's desk with the town's hand-off on, and a visit that prints every bundled form."""
from __future__ import annotations

import pytest

from dxdesk.app.handoff import Handoff
from dxdesk.app.visits import CounterVisits
from dxdesk.cardreader.testdata import PERSON_KOKUTOU
from dxdesk.config import Settings
from dxdesk.counter import IdentifyMethod, InMemoryKeyProvider, VisitCardData, VisitJournal, load_catalogue
from dxdesk.security.audit import AuditLog
from dxdesk.security.auth import AuthService
from dxdesk.store.database import open_database
from signin import CHEAP, sign_in_clerk

# One visit that prints all five bundled application forms (the 手続き案内票 is the resident's sheet).
PROCEDURES = ["tennyu", "juminhyo", "zei_shomei", "koseki_shomei", "inkan_shomei"]
BUNDLED_FORMS = {"idou_todoke", "juminhyo_request", "tax_certificate_request", "koseki_request", "inkan_request"}
ANSWERS = {
    # 転入届 for one person (as tests/counter/conftest.py TENNYU_ANSWERS)
    "moved_on": "令和8年3月28日", "previous_address": "東京都清瀬市観布子南１２－７－２０２",
    "new_postal_code": "0590902", "new_address": "北海道白老町大町１丁目１番地", "special_move_in": False,
    "household": "new", "members_moving": "1", "insurance": "employer", "has_children_under_18": "no",
    "has_member_65_plus": False, "phone": "09012345678",
    # 住民票
    "juminhyo_copies": 2, "scope": "household", "include_items": ["head_relationship", "my_number"],
    "juminhyo_purpose": "bank", "requester": "self", "submit_to": "北海道銀行",
    # 税証明
    "tax_certificate_types": ["shotoku", "hikazei"], "fiscal_year": 2025, "tax_copies": 2, "tax_purpose": "pension",
    # 戸籍
    "honseki": "北海道白老郡白老町大町１丁目１番地", "hittosha": "黒桐　幹也", "certificate_types": ["zenbu"],
    "koseki_copies": 1, "relation": "self", "koseki_purpose": "pension",
    # 印鑑登録証明書
    "inkan_visitor": "self", "has_inkan_card": True, "inkan_card_number": "123456", "inkan_copies": 1,
    "inkan_purpose": "vehicle",
}


@pytest.fixture
def handoff_desk(tmp_path):
    settings = Settings()
    settings.handoff.enabled = True
    settings.handoff.folder = str(tmp_path / "handoff")
    db = open_database(settings)
    audit = AuditLog(db)
    auth = AuthService(db, audit, settings.security, params=CHEAP)
    clerk = sign_in_clerk(auth)
    visits = CounterVisits(db, audit, load_catalogue(), VisitJournal(InMemoryKeyProvider(), tmp_path / "visits"),
                           settings, handoff=Handoff(settings, audit))
    yield visits, auth, clerk
    db.close()


def confirmed_visit(visits: CounterVisits, clerk, procedures=PROCEDURES, answers=ANSWERS):
    """A visit identified with the fictional card (the number read only when a procedure needs it), answered, confirmed."""
    visit = visits.start(clerk, procedures)
    if visit.needs_my_number:
        card = VisitCardData.from_card_holder(IdentifyMethod.CARD_PIN, PERSON_KOKUTOU.holder)
        visits.identify(visit, card, simulated=True, jimu_type="住民基本台帳", reason="転入届").result(10)
    else:
        card = VisitCardData.from_card_holder(IdentifyMethod.CARD_PIN, PERSON_KOKUTOU.holder.without_my_number())
        visits.identify(visit, card, simulated=True).result(10)
    visit.set_name_kana("こくとう みきや")
    for qid, value in answers.items():
        if qid in {q.id for q in visit.interview.questions}:
            visit.answer(qid, value)
    visit.finish_interview()
    visit.confirm()
    return visit
