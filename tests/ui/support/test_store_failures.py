"""The support screens over the real local store when the database cannot be used.

The failure is made real (tests/storefaults.py: an immutable file as root, another
process holding the write lock, a damaged ciphertext); the screen must show the store's
own sentence through the window's one translator, keep what was typed, and never say
"unexpected error".
"""
from __future__ import annotations

import dataclasses

import pytest
import support_ui_sample as sample
from storefaults import damage_ciphertext, read_only, write_lock_held_by_another_program

from dxdesk.store.crypto import MSG_CANNOT_DECRYPT
from dxdesk.store.database import open_database
from dxdesk.store.errors import (
    DamagedRecordError,
    DatabaseLockedError,
    DatabaseReadOnlyError,
)
from dxdesk.support.sql_repository import SqlRepository

pytestmark = pytest.mark.ui

TAB_LIST = 1


@pytest.fixture
def store():
    """Requested before make_page, so the database closes after the page has shut down."""
    db = open_database(busy_timeout_ms=200)  # a lock is reported after 0.2 s instead of 5 s
    yield db
    db.close()


def fill_entry(page) -> None:  # type: ignore[no-untyped-def]
    e = page.entry
    e.topics.toggle_index(0)
    e.device.set_value("pc")
    e.age_band.set_value("<65")
    e.outcome.set_value("referred")
    e.duration.set_minutes(10)
    e.venue_type.set_value("community_hall")  # the venue is new to this store
    e.note.setText("keep me")


@pytest.fixture
def read_only_store():
    """The store opened (as at start-up) from a database file that cannot be written.

    Opened after the file became read-only: SQLite keeps writing through a descriptor it
    opened earlier, as any program would."""
    db = open_database()
    SqlRepository(db)  # seeds the catalogue while it still can
    db.close()
    with read_only(db.path):
        db = open_database()
        yield db
        db.close()


def assert_save_refused_and_form_kept(qtbot, page, expected) -> None:  # type: ignore[no-untyped-def]
    e = page.entry
    e.submit()
    qtbot.waitUntil(lambda: e.banner.kind == "error", timeout=15000)
    assert e.banner.text() == expected.message.ja
    assert e.note.text() == "keep me" and e.topics.values() == ("power",) and e.save_button.isEnabled()


def test_a_save_to_a_read_only_database_says_why_and_keeps_the_form(qtbot, read_only_store, make_page):
    repo = SqlRepository(read_only_store)
    page = make_page(repo)
    fill_entry(page)
    assert_save_refused_and_form_kept(qtbot, page, DatabaseReadOnlyError())
    assert repo.list() == []


def test_a_save_while_another_program_holds_the_file_says_why_and_keeps_the_form(qtbot, store, make_page):
    repo = SqlRepository(store)
    page = make_page(repo)
    fill_entry(page)
    with write_lock_held_by_another_program(store.path):
        assert_save_refused_and_form_kept(qtbot, page, DatabaseLockedError())
    assert repo.list() == []


def test_a_damaged_row_is_named_as_such_in_the_list(qtbot, store, make_page):
    repo = SqlRepository(store)
    first = sample.sessions()[0]
    repo.add(dataclasses.replace(first, follow_up_needed=True, follow_up_contact="090-1111-2222"))
    damage_ciphertext(store.path, "support_sessions", "follow_up_contact")
    page = make_page(repo)
    page.show_tab(TAB_LIST)
    qtbot.waitUntil(lambda: page.list.banner.kind == "error", timeout=15000)
    assert page.list.banner.text() == DamagedRecordError(MSG_CANNOT_DECRYPT).message.ja
