"""#16 follow-up: a support topic a town added itself reads as its label in the 監査ログ, not as its code.

The administrator adds the topic through the support service (audited as support.change / topic_saved), a
supervisor opens 監査ログ: the 詳細 column and the detail dialog name the topic in the UI language."""
from __future__ import annotations

import pytest
from accounts import add_ready_account

from dxdesk.security.auditlabels import details_text
from dxdesk.security.auditview import AuditService
from dxdesk.security.permissions import Role
from dxdesk.support.catalog import Topic
from dxdesk.support.service import SupportService
from dxdesk.support.sql_repository import SqlRepository
from dxdesk.ui.admin.audit import DETAIL_COLUMN, row_pairs

from .conftest import PASSWORD

pytestmark = pytest.mark.ui


@pytest.fixture
def town_topics(auth, admin, db):
    """Two topics the town added (the service requires both labels)."""
    support = SupportService(SqlRepository(db), admin, auth.audit)
    support.save_topic(Topic("town_bus_app", "町営バスアプリ", "Town bus app"))
    support.save_topic(Topic("snow_alert", "除雪情報メール", "Snow clearing mail"))


def _audit_tab(qtbot, make_page, auth, admin):
    page = make_page(add_ready_account(auth, admin, "boss", "課長", Role.SUPERVISOR, PASSWORD))
    tab = page.audit_tab
    qtbot.waitUntil(lambda: not tab.calls.busy() and tab.table.rowCount() > 0, timeout=10_000)
    return page, tab


def _topic_rows(tab):
    return [(i, row) for i, row in enumerate(tab.rows) if row.record.details.get("kind") == "topic_saved"]


def test_a_town_added_topic_reads_as_its_label_in_the_audit_list_and_detail(qtbot, make_page, auth, admin,
                                                                             town_topics):
    _page, tab = _audit_tab(qtbot, make_page, auth, admin)
    shown = {tab.table.item(i, DETAIL_COLUMN).text() for i, _row in _topic_rows(tab)}
    assert shown == {"内容: 相談内容の保存、相談内容: 町営バスアプリ、使用中: オン",
                     "内容: 相談内容の保存、相談内容: 除雪情報メール、使用中: オン"}
    assert not any("town_bus_app" in text or "snow_alert" in text for text in shown)
    [(_i, bus)] = [(i, row) for i, row in _topic_rows(tab) if row.record.details["topic"] == "town_bus_app"]
    assert ("相談内容", "町営バスアプリ") in row_pairs(bus, {}, tab._topics)


def test_in_english_the_town_topics_read_as_their_english_labels(qtbot, make_page, auth, admin, town_topics,
                                                                   english):
    _page, tab = _audit_tab(qtbot, make_page, auth, admin)
    shown = {row.record.details["topic"]: tab.table.item(i, DETAIL_COLUMN).text() for i, row in _topic_rows(tab)}
    assert shown == {"town_bus_app": "What: Topic saved, Topic: Town bus app, In use: On",
                     "snow_alert": "What: Topic saved, Topic: Snow clearing mail, In use: On"}


def test_national_topics_keep_the_seed_words_and_an_unknown_code_is_shown_as_stored(auth, admin, db, town_topics):
    topics = AuditService(db, auth.audit).topic_labels()
    assert details_text({"topic": "line"}, language="ja", topics=topics) == "相談内容: LINE・SNS"
    assert details_text({"topic": "line"}, language="ja") == "相談内容: LINE・SNS"  # no store at hand: the seed
    assert details_text({"topic": "town_bus_app"}, language="ja") == "相談内容: town_bus_app"  # ...knows no town topic
    # A code known nowhere (deleted since, or not yet synced here) is shown as stored.
    assert details_text({"topic": "gone_topic"}, language="ja", topics=topics) == "相談内容: gone_topic"
